/* pipeline_file.h - the lines of one capture or ground-truth file into a
 * pipeline: a local file, or an S3 object's local copy (s3_source.h).
 * `kpigate replay` and the daemon's S3 source read through it, so a file
 * gives the same windows, decisions and rejects either way.
 *
 * A line over the cap is rejected (too_big) and reading goes on; a corrupt
 * or truncated gzip stream makes the rest of the file one rejected line
 * (bad_file), and the file ends there without an error. */
#ifndef PIPELINE_FILE_H
#define PIPELINE_FILE_H

#include <stdint.h>

#include "file_source.h"
#include "kpg_error.h"
#include "pipeline.h"

typedef struct pipeline_file_hooks {
	/* After each line applied or rejected (pl->last_reject says which);
	 * may be NULL. */
	void (*on_line)(void *opaque, const pipeline *pl, int is_gt,
			const char *path, uint64_t line_no);
	/* A corrupt gzip stream: msg says after which line; may be NULL. */
	void (*on_corrupt)(void *opaque, const char *msg);
	void *opaque;
} pipeline_file_hooks;

/* Reads lr (opened by the caller, who closes it) to its end into pl:
 * ground truth (is_gt) or captures routed to endpoint (NULL: by the
 * record). path names the lines in rejects and errors (borrowed for the
 * call). Returns 0, or the pipeline's or the reader's error. */
int pipeline_file_read(pipeline *pl, line_reader *lr, int is_gt,
		       const char *endpoint, const char *path,
		       const pipeline_file_hooks *h, kpg_err *err);

#endif
