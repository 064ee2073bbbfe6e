/* policy_dir.h - the policy files of a folder: what the daemon loads at
 * start-up and lists again at every reload. */
#ifndef POLICY_DIR_H
#define POLICY_DIR_H

#include <stddef.h>

#include "kpg_error.h"

#define POLICY_DIR_MAX_FILES 4096 /* *.json files in one policy folder */

/* The regular *.json files of dir (hidden ones skipped; symbolic links
 * followed, as Kubernetes ConfigMaps are links), sorted, as dir/name.
 * Returns 0 with *files (caller frees with policy_dir_files_free; *n may
 * be 0), KPG_EIO, KPG_ETOOBIG past POLICY_DIR_MAX_FILES, KPG_ENOMEM. */
int policy_dir_list(const char *dir, char ***files, size_t *n, kpg_err *err);
void policy_dir_files_free(char **files, size_t n);

#endif
