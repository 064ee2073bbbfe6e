/* kpg_file.h - reading a whole small file (policies, configurations) with
 * a size cap, so a huge or endless file fails cleanly. */
#ifndef KPG_FILE_H
#define KPG_FILE_H

#include <stddef.h>

#include "kpg_error.h"

/* Reads path into *out (NUL-terminated; caller frees) and *outlen. Returns
 * 0, KPG_EIO (err: strerror), KPG_ETOOBIG (err: "larger than MAX bytes;
 * a WHAT is at most ..."), or KPG_ENOMEM. */
int kpg_read_file(const char *path, size_t max, const char *what, char **out,
		  size_t *outlen, kpg_err *err);

/* The folder part of path: "a/b.json" -> "a", "b.json" -> "", "/b" -> "/".
 * Returns a new string (caller frees), or NULL without memory. */
char *kpg_dir_of(const char *path);

/* fsync of a folder, so a file just created or renamed in it keeps its
 * name across a power loss. 0, or -1 with errno. */
int kpg_fsync_dir(const char *dir);

#endif
