/* pipeline_file.c - a file's lines into the pipeline (pipeline_file.h). */
#include "pipeline_file.h"

int pipeline_file_read(pipeline *pl, line_reader *lr, int is_gt,
		       const char *endpoint, const char *path,
		       const pipeline_file_hooks *h, kpg_err *err)
{
	const char *line;
	size_t len;
	int rc;

	while ((rc = line_reader_next(lr, &line, &len, err)) != LINE_EOF) {
		if (rc == KPG_EINTEGRITY) {
			/* a corrupt or truncated gzip: the rest of this file is
			 * one rejected line, named; the next file is read */
			if (h->on_corrupt != NULL)
				h->on_corrupt(h->opaque, err->msg);
			if (is_gt)
				pl->stats.gt_lines++;
			else
				pl->stats.capture_lines++;
			rc = pipeline_reject(pl, is_gt, CAPTURE_REJECT_BAD_FILE, path,
					     lr->line_no + 1, err->msg);
			kpg_err_clear(err);
			return rc;
		}
		if (rc < 0)
			return rc;
		if (rc == LINE_TOO_BIG) {
			if (is_gt)
				pl->stats.gt_lines++;
			else
				pl->stats.capture_lines++;
			pipeline_reject(pl, is_gt, CAPTURE_REJECT_TOO_BIG, path, lr->line_no,
					"line longer than the cap");
		} else {
			rc = is_gt ? pipeline_gt_line(pl, line, len, path, lr->line_no, err)
				   : pipeline_capture_line(pl, line, len, endpoint, path,
							   lr->line_no, err);
			if (rc)
				return rc;
		}
		if (h->on_line != NULL)
			h->on_line(h->opaque, pl, is_gt, path, lr->line_no);
	}
	return 0;
}
