/* quality_file.h - a window's Model Monitor constraint_violations.json
 * (quality.violations_dir in the policy). */
#ifndef QUALITY_FILE_H
#define QUALITY_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"
#include "quality.h"

/* The window start as a folder name: "2026-01-05T00-00-00Z" (UTC, no
 * colons, whole seconds). buf holds at least 32 bytes. */
void quality_window_stamp(int64_t start_ms, char *buf, size_t len);

/* Writes DIR/<model>/<stamp of start_ms>/constraint_violations.json with
 * r's failed checks (an empty list when none), creating the folders;
 * atomically: a temporary file in the same folder, fsync'd, renamed over
 * the old one, the folder fsync'd. Returns 0, or KPG_EIO / KPG_ENOMEM
 * with a sentence in err. */
int quality_write_violations(const char *dir, const char *model,
			     int64_t start_ms, const quality_result *r,
			     kpg_err *err);

#endif
