/* daemon_s3.c - polling S3 for capture and ground-truth objects
 * (daemon_s3.h). */
#include "daemon_s3.h"

#include <stdlib.h>
#include <string.h>

#include "kpg_log.h"
#include "kpg_time.h"
#include "pipeline_file.h"

#define HOUR_MS ((int64_t)3600 * 1000)

void daemon_s3_open(daemon_s3 *s, const config *cfg, metrics *m)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->m = m;
	s3_cursor_init(&s->cur);
	/* borrowed from cfg, which outlives the source */
	s->src.opt.region = cfg->aws_region;
	s->src.opt.ca_bundle = cfg->aws_ca_bundle;
	s->src.opt.endpoint = cfg->aws_s3_endpoint;
	s->lookback_ms = (int64_t)cfg->s3_lookback_h * HOUR_MS;
}

void daemon_s3_close(daemon_s3 *s)
{
	s3_source_close(&s->src);
	s3_cursor_free(&s->cur);
}

int daemon_s3_restore(daemon_s3 *s, const state_ctx *st, kpg_err *err)
{
	if (st->cursor_len == 0) {
		s3_cursor_free(&s->cur);
		return 0;
	}
	return s3_cursor_decode(&s->cur, st->cursor, st->cursor_len, kpg_time_now_ms(), err);
}

int daemon_s3_save(daemon_s3 *s, state_ctx *st, kpg_err *err)
{
	unsigned char *b = NULL;
	size_t len = 0;
	int rc;

	s3_cursor_prune(&s->cur, s->lookback_ms);
	rc = s3_cursor_encode(&s->cur, &b, &len, err);
	if (rc == 0) {
		rc = state_cursor_set(st, b, len);
		if (rc)
			kpg_err_set(err, "the S3 cursor (%zu bytes) does not fit the checkpoint",
				    len);
	}
	free(b);
	return rc;
}

/* The request counters of the source into the metrics. */
static void daemon_s3_count_requests(daemon_s3 *s)
{
	metrics_add(&s->m->s3_list_requests, s->src.list_requests - s->lists_seen);
	metrics_add(&s->m->s3_get_requests, s->src.get_requests - s->gets_seen);
	s->lists_seen = s->src.list_requests;
	s->gets_seen = s->src.get_requests;
}

/* Lists url into *fl; nothing under it yet is an empty list. */
static int daemon_s3_list(daemon_s3 *s, const char *url, file_list *fl,
			  kpg_err *err)
{
	int rc = file_list_expand_remote(&url, 1, "s3://", s3_source_expand,
					 &s->src, fl, err);

	if (rc == KPG_ENOTFOUND) {
		kpg_err_clear(err);
		return 0;
	}
	return rc;
}

/* daemon_s3_object's per-line hook: the record counters. */
static void daemon_s3_on_line(void *opaque, const pipeline *pl, int is_gt,
			      const char *path, uint64_t line_no)
{
	metrics *m = opaque;

	(void)path;
	(void)line_no;
	metrics_add(is_gt ? &m->ground_truth_records : &m->capture_records, 1);
	if (pl->last_reject != CAPTURE_OK) {
		if (is_gt)
			metrics_add(&m->ground_truth_rejected, 1);
		else
			metrics_add(&m->capture_rejected[pl->last_reject], 1);
	}
}

static void daemon_s3_on_corrupt(void *opaque, const char *msg)
{
	metrics *m = opaque;

	log_warnx("%s; the rest of the object is skipped", msg);
	metrics_add(&m->s3_errors, 1);
}

/* Reads one object to its end into pl, as `kpigate replay` reads a file
 * of an hour folder. 1 (with err) when it could not be fetched. */
static int daemon_s3_object(daemon_s3 *s, pipeline *pl, const char *path,
			    const char *etag, int64_t hour_ms, int is_gt,
			    kpg_err *err)
{
	pipeline_file_hooks h = {daemon_s3_on_line, daemon_s3_on_corrupt, s->m};
	line_reader lr;
	char endpoint[256];
	int rc;

	endpoint[0] = '\0';
	if (!is_gt) {
		file_endpoint_of(path, endpoint, sizeof(endpoint));
		pipeline_set_arrival(pl, hour_ms, hour_ms + HOUR_MS - 1, 1);
	}
	rc = s3_source_open(&s->src, path, etag, pl->max_line_bytes, &lr, err);
	daemon_s3_count_requests(s);
	if (rc)
		return 1; /* nothing applied: retried at the next poll */
	rc = pipeline_file_read(pl, &lr, is_gt, endpoint[0] ? endpoint : NULL, path,
				&h, err);
	line_reader_close(&lr);
	return rc;
}

/* An object written into an hour after the look-back had passed it:
 * read, but said and counted, since its records arrive after later
 * hours' (late_record rejects when their window has closed). */
static void daemon_s3_report_late(daemon_s3 *s, const file_list *fl, size_t i)
{
	char hour[32], modified[32];

	kpg_time_format_iso8601(fl->partition_ms[i], hour, sizeof(hour));
	kpg_time_format_iso8601(fl->modified_ms[i], modified, sizeof(modified));
	log_warnx("%s: written at %s into the hour of %s, after that hour left the "
		  "look-back (source.lookback_hours = %u): read now, after later hours; "
		  "records whose window has closed are rejected as late_record. "
		  "Raise source.lookback_hours above the delay.",
		  fl->paths[i], modified, hour, s->cfg->s3_lookback_h);
	metrics_add(&s->m->s3_late_objects, 1);
}

/* What to do with object i of fl: 1 process it, 0 skip it. */
static int daemon_s3_wanted(daemon_s3 *s, const file_list *fl, size_t i)
{
	const char *etag = fl->tags[i] ? fl->tags[i] : "";
	kpg_err err = {""};

	if (fl->partition_ms[i] == INT64_MIN) {
		log_debug("%s: not in SageMaker's yyyy/mm/dd/hh layout: skipped",
			  fl->paths[i]);
		return 0;
	}
	switch (s3_cursor_check(&s->cur, fl->paths[i], etag, fl->partition_ms[i],
				fl->modified_ms[i], s->lookback_ms)) {
	case S3_CURSOR_NEW:
		return 1;
	case S3_CURSOR_LATE:
		daemon_s3_report_late(s, fl, i);
		return 1;
	case S3_CURSOR_SEEN:
		return 0;
	case S3_CURSOR_TOO_OLD:
		/* processed, then pruned (s3_cursor.h) */
		return 0;
	case S3_CURSOR_CHANGED:
		break;
	}
	log_errorx("%s was processed with another ETag and now has %s: "
		   "SageMaker never rewrites capture objects; not read again",
		   fl->paths[i], etag);
	metrics_add(&s->m->s3_errors, 1);
	/* the new ETag replaces the old one: said and counted once */
	if (s3_cursor_note(&s->cur, fl->paths[i], etag, fl->partition_ms[i],
			   fl->modified_ms[i], &err) != 0)
		log_warnx("%s", err.msg);
	return 0;
}

int daemon_s3_poll(daemon_s3 *s, pipeline *pl, daemon_s3_between_fn between,
		   void *opaque, volatile sig_atomic_t *stop, kpg_err *err)
{
	file_list cap, gt;
	size_t i = 0, j = 0;
	/* before the first LIST: every object of this poll's listing was
	 * written before it on S3's clock (s3_cursor.h) */
	int64_t listed_ms = kpg_time_now_ms() - S3_CURSOR_CLOCK_MARGIN_MS;
	int rc, complete = 0;

	memset(&cap, 0, sizeof(cap));
	memset(&gt, 0, sizeof(gt));
	metrics_add(&s->m->s3_polls, 1);
	rc = daemon_s3_list(s, s->cfg->s3_capture, &cap, err);
	if (rc == 0 && s->cfg->s3_ground_truth != NULL)
		rc = daemon_s3_list(s, s->cfg->s3_ground_truth, &gt, err);
	daemon_s3_count_requests(s);
	if (rc) {
		log_warnx("S3 poll: %s", err->msg);
		kpg_err_clear(err);
		metrics_add(&s->m->s3_errors, 1);
		rc = 0;
		goto done;
	}
	/* replay's order: by hour, labels first on equal hours */
	complete = 1;
	while (i < cap.n || j < gt.n) {
		int is_gt = j < gt.n && (i >= cap.n ||
					 gt.partition_ms[j] <= cap.partition_ms[i]);
		const file_list *fl = is_gt ? &gt : &cap;
		size_t k = is_gt ? j++ : i++;
		const char *etag = fl->tags[k] ? fl->tags[k] : "";

		if (*stop) {
			complete = 0;
			break;
		}
		if (!daemon_s3_wanted(s, fl, k))
			continue;
		rc = daemon_s3_object(s, pl, fl->paths[k], etag, fl->partition_ms[k],
				      is_gt, err);
		if (rc == 1) {
			log_warnx("S3 poll: %s; retried at the next poll", err->msg);
			kpg_err_clear(err);
			metrics_add(&s->m->s3_errors, 1);
			rc = 0;
			complete = 0;
			break; /* never a later object before this one */
		}
		if (rc)
			break; /* the pipeline's: the daemon stops */
		rc = s3_cursor_note(&s->cur, fl->paths[k], etag, fl->partition_ms[k],
				    fl->modified_ms[k], err);
		if (rc)
			break;
		metrics_add(&s->m->s3_objects, 1);
		log_debug("%s: processed", fl->paths[k]);
		rc = between(opaque);
		if (rc) {
			kpg_err_set(err, "checkpoint failed");
			break;
		}
	}
	if (complete && rc == 0)
		s3_cursor_listed(&s->cur, listed_ms);
done:
	file_list_free(&cap);
	file_list_free(&gt);
	return rc;
}
