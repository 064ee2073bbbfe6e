/* Policy hot reload: the policy_dir watch (debounce, SIGHUP, degraded
 * mode), the accepted policy set and its rescans (invalid edits rejected
 * and audited with line:column while the old policy keeps running; valid
 * edits accepted and audited with their SHA-256; new, removed and renamed
 * models need a restart), and swapping a running pipeline's policy
 * (window kept for a threshold edit, finished under the old policy for a
 * window edit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline.h"
#include "pipeline_reload.h"
#include "policy_reload.h"
#include "policy_watch.h"

static char root[64];  /* per-run temp folder */
static char pdir[128]; /* root/policies: the policy_dir */
static int case_no;

static void path_in(char *out, size_t cap, const char *d, const char *name)
{
	snprintf(out, cap, "%s/%s", d, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A policy text: accuracy must stay at least kpi_min; windows of records. */
static void policy_text(char *out, size_t cap, const char *model, double kpi_min,
			unsigned records, const char *ref)
{
	snprintf(out, cap,
		 "{\"model\": \"%s\", \"reference\": {\"path\": \"%s\"},\n"
		 " \"window\": {\"records\": %u},\n"
		 " \"kpis\": [{\"metric\": \"accuracy\", \"min\": %g}],\n"
		 " \"guards\": {\"min_records\": 1, \"min_labelled\": 1},\n"
		 " \"action\": {\"type\": \"dry_run\"},\n"
		 " \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1,"
		 " \"expected_hours\": 1, \"region\": \"us-east-1\"}}\n",
		 model, ref, records, kpi_min);
}

static void write_policy(const char *name, const char *model, double kpi_min,
			 unsigned records)
{
	char path[256], text[1024];

	path_in(path, sizeof(path), pdir, name);
	policy_text(text, sizeof(text), model, kpi_min, records, "../ref.csv");
	write_file(path, text);
}

static void sha_of_file(const char *path, char hex[65])
{
	unsigned char md[32], buf[8192];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(EVP_Digest(buf, n, md, NULL, EVP_sha256(), NULL), 1);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Every record of event in the audit log, in order (new array). */
static json_t *audit_events(const char *path, const char *event)
{
	json_t *out = json_array();
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_error_t jerr;
		json_t *rec = json_loads(line, 0, &jerr);

		assert_non_null(rec);
		if (strcmp(json_string_value(json_object_get(rec, "event")), event) == 0)
			json_array_append(out, rec);
		json_decref(rec);
	}
	free(line);
	fclose(f);
	return out;
}

static size_t count_events(const char *path, const char *event)
{
	json_t *a = audit_events(path, event);
	size_t n = json_array_size(a);

	json_decref(a);
	return n;
}

/* Fresh policy_dir with p.json (model m), an audit log and a set. */
typedef struct fixture {
	char audit_path[256];
	char p_path[256];
	audit_log *audit;
	policy_set set;
	FILE *report;
	char *report_text;
	size_t report_len;
} fixture;

static void fixture_open(fixture *fx, double kpi_min, unsigned records)
{
	char sub[32], *files[1];
	kpg_err err = {""};

	memset(fx, 0, sizeof(*fx));
	snprintf(sub, sizeof(sub), "case%d", ++case_no);
	snprintf(pdir, sizeof(pdir), "%s/%s", root, sub);
	assert_int_equal(mkdir(pdir, 0700), 0);
	strcat(pdir, "/policies");
	assert_int_equal(mkdir(pdir, 0700), 0);
	{
		char ref[256];

		snprintf(ref, sizeof(ref), "%s/%s/ref.csv", root, sub);
		write_file(ref, "x\n0\n1\n2\n3\n4\n5\n6\n");
		snprintf(fx->audit_path, sizeof(fx->audit_path), "%s/%s/audit.jsonl",
			 root, sub);
	}
	write_policy("p.json", "m", kpi_min, records);
	path_in(fx->p_path, sizeof(fx->p_path), pdir, "p.json");
	files[0] = fx->p_path;
	assert_int_equal(policy_set_load(&fx->set, files, 1, stderr, &err), 0);
	assert_int_equal(fx->set.n, 1);
	assert_int_equal(audit_open(fx->audit_path, &fx->audit, &err), 0);
	fx->report = open_memstream(&fx->report_text, &fx->report_len);
	assert_non_null(fx->report);
}

static void fixture_close(fixture *fx)
{
	audit_verify_result vr;
	kpg_err err = {""};

	/* whatever was recorded, the chain is intact */
	assert_int_equal(audit_verify_file(fx->audit_path, &vr, &err), 0);
	fclose(fx->report);
	free(fx->report_text);
	audit_close(fx->audit);
	policy_set_free(&fx->set);
}

static void scan(fixture *fx, policy_reload_result *res)
{
	kpg_err err = {""};

	assert_int_equal(policy_reload_scan(&fx->set, pdir, fx->audit, fx->report,
					    res, &err),
			 0);
	fflush(fx->report);
}

/* Feeds n capture records (score 0.9, predicted positive) and their
 * labels (0): accuracy 0 on every window. */
static void feed(pipeline *pl, int from, int n)
{
	char line[640];
	kpg_err err = {""};

	for (int i = from; i < from + n; i++) {
		int len = snprintf(line, sizeof(line),
				   "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\","
				   "\"mode\":\"INPUT\",\"data\":\"%d\",\"encoding\":\"CSV\"},\"endpointOutput\":"
				   "{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"0.9\","
				   "\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"e%d\","
				   "\"inferenceTime\":\"2026-01-01T00:%02d:%02dZ\"},\"eventVersion\":\"0\"}",
				   i % 7, i, i / 60, i % 60);

		assert_int_equal(pipeline_capture_line(pl, line, (size_t)len, NULL, "t",
						       (uint64_t)i, &err),
				 0);
		assert_int_equal(pl->last_reject, CAPTURE_OK);
		len = snprintf(line, sizeof(line),
			       "{\"groundTruthData\":{\"data\":\"0\",\"encoding\":\"CSV\"},"
			       "\"eventMetadata\":{\"eventId\":\"e%d\"},\"eventVersion\":\"0\"}",
			       i);
		assert_int_equal(pipeline_gt_line(pl, line, (size_t)len, "g",
						  (uint64_t)i, &err),
				 0);
	}
}

static void pipeline_from_set(pipeline *pl, const fixture *fx)
{
	policy *pols[1] = {NULL};
	kpg_err err = {""};

	assert_int_equal(policy_set_instantiate(&fx->set, pols, &err), 0);
	assert_int_equal(pipeline_init(pl, pols, 1, NULL, fx->audit, NULL, &err), 0);
	assert_null(pols[0]);
}

static const char *last_decision(const pipeline *pl)
{
	size_t n = json_array_size(pl->decisions);

	assert_true(n > 0);
	return json_string_value(json_object_get(
		json_object_get(json_array_get(pl->decisions, n - 1), "decision"),
		"decision"));
}

/* ---- watch ---------------------------------------------------------- */

static void test_watch_debounce(void **state)
{
	policy_watch *w;
	kpg_err err = {""};
	char path[256], tmp[256], link[256];
	int64_t t0;

	(void)state;
	snprintf(pdir, sizeof(pdir), "%s/watch", root);
	assert_int_equal(mkdir(pdir, 0700), 0);
	assert_int_equal(policy_watch_open(&w, pdir, 500, &err), 0);
	assert_string_equal(err.msg, "");
	assert_true(policy_watch_fd(w) >= 0);
	t0 = policy_watch_now_ms();
	assert_int_equal(policy_watch_poll_at(w, t0), 0); /* nothing yet */
	assert_int_equal(policy_watch_poll_at(w, t0 + 1000), 0);

	path_in(path, sizeof(path), pdir, "p.json");
	write_file(path, "{}");
	assert_int_equal(policy_watch_poll_at(w, t0 + 2000), 0); /* seen, not quiet */
	assert_int_equal(policy_watch_poll_at(w, t0 + 2499), 0);
	write_file(path, "{ }"); /* still being written: the quiet time restarts */
	assert_int_equal(policy_watch_poll_at(w, t0 + 2600), 0);
	assert_int_equal(policy_watch_poll_at(w, t0 + 3099), 0);
	assert_int_equal(policy_watch_poll_at(w, t0 + 3100), 1);
	assert_int_equal(policy_watch_poll_at(w, t0 + 5000), 0); /* reported once */

	/* a ConfigMap update: a new ..data target swapped in by rename */
	path_in(tmp, sizeof(tmp), pdir, "..data_tmp");
	path_in(link, sizeof(link), pdir, "..data");
	assert_int_equal(symlink("..2026_01_01", tmp), 0);
	assert_int_equal(rename(tmp, link), 0);
	assert_int_equal(policy_watch_poll_at(w, t0 + 6000), 0);
	assert_int_equal(policy_watch_poll_at(w, t0 + 6500), 1);

	/* the real clock */
	policy_watch_close(w);
	assert_int_equal(policy_watch_open(&w, pdir, 150, &err), 0);
	write_file(path, "{}");
	assert_int_equal(policy_watch_poll(w), 0);
	usleep(300 * 1000);
	assert_int_equal(policy_watch_poll(w), 1);
	assert_int_equal(policy_watch_poll(w), 0);
	policy_watch_close(w);
}

static void on_hup(int sig)
{
	(void)sig;
	policy_watch_request();
}

static void test_watch_sighup_and_degraded(void **state)
{
	struct sigaction sa, old;
	policy_watch *w;
	kpg_err err = {""};
	char missing[256];

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGHUP, &sa, &old), 0);

	snprintf(missing, sizeof(missing), "%s/no-such-folder", root);
	assert_int_equal(policy_watch_open(&w, missing, 0, &err), 0);
	assert_non_null(strstr(err.msg, "SIGHUP only")); /* a warning */
	assert_int_equal(policy_watch_fd(w), -1);
	assert_int_equal(policy_watch_poll(w), 0);
	assert_int_equal(raise(SIGHUP), 0);
	assert_int_equal(policy_watch_poll(w), 1); /* no debounce for SIGHUP */
	assert_int_equal(policy_watch_poll(w), 0);
	policy_watch_close(w);
	assert_int_equal(sigaction(SIGHUP, &old, NULL), 0);
}

/* ---- the set and scans ------------------------------------------------ */

static void test_load_rejects_invalid_and_duplicates(void **state)
{
	fixture fx;
	policy_set s;
	char q[256], bad[256], *files[2];
	kpg_err err = {""};

	(void)state;
	fixture_open(&fx, 0.9, 10);
	write_policy("q.json", "m", 0.9, 10); /* model m twice */
	path_in(q, sizeof(q), pdir, "q.json");
	files[0] = fx.p_path;
	files[1] = q;
	assert_int_equal(policy_set_load(&s, files, 2, fx.report, &err), KPG_EINVAL);
	assert_int_equal(s.n, 0);
	path_in(bad, sizeof(bad), pdir, "bad.json");
	write_file(bad, "{\"model\": \"b\",\n \"window\": {\"records\": -3}}\n");
	files[1] = bad;
	assert_int_equal(policy_set_load(&s, files, 2, fx.report, &err), KPG_EINVAL);
	fflush(fx.report);
	assert_non_null(strstr(fx.report_text, "q.json:1:11: model \"m\" is also the model of"));
	assert_non_null(strstr(fx.report_text, "bad.json:2:"));
	fixture_close(&fx);
}

static void test_invalid_edit_rejected_old_kept(void **state)
{
	fixture fx;
	policy_reload_result res;
	char old_sha[65], new_sha[65], *old_bytes;
	json_t *rej, *errors, *e0;

	(void)state;
	fixture_open(&fx, 0.9, 10);
	snprintf(old_sha, sizeof(old_sha), "%s", fx.set.items[0].sha256);
	old_bytes = strdup(fx.set.items[0].bytes);
	sha_of_file(fx.p_path, new_sha);
	assert_string_equal(old_sha, new_sha);

	/* nothing changed: nothing happens */
	scan(&fx, &res);
	assert_int_equal(res.n_changed, 0);
	assert_int_equal(res.n_rejected, 0);
	assert_int_equal(res.n_unchanged, 1);
	policy_reload_result_free(&res);

	/* two errors: a negative window and an unknown metric */
	write_file(fx.p_path,
		   "{\"model\": \"m\", \"reference\": {\"path\": \"../ref.csv\"},\n"
		   " \"window\": {\"records\": -5},\n"
		   " \"kpis\": [{\"metric\": \"acuracy\", \"min\": 0.9}],\n"
		   " \"action\": {\"type\": \"dry_run\"},\n"
		   " \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1,"
		   " \"expected_hours\": 1, \"region\": \"us-east-1\"}}\n");
	sha_of_file(fx.p_path, new_sha);
	scan(&fx, &res);
	assert_int_equal(res.n_changed, 0);
	assert_int_equal(res.n_rejected, 1);
	policy_reload_result_free(&res);

	/* the old policy is still the accepted one */
	assert_int_equal(fx.set.n, 1);
	assert_string_equal(fx.set.items[0].sha256, old_sha);
	assert_string_equal(fx.set.items[0].bytes, old_bytes);

	/* every error printed at file:line:column */
	assert_non_null(strstr(fx.report_text, "p.json:2:24:"));
	assert_non_null(strstr(fx.report_text, "p.json:3:22:"));
	assert_non_null(strstr(fx.report_text, "keeps running its accepted policy"));

	rej = audit_events(fx.audit_path, "policy_rejected");
	assert_int_equal(json_array_size(rej), 1);
	e0 = json_object_get(json_array_get(rej, 0), "data");
	assert_string_equal(json_string_value(json_object_get(e0, "sha256")), new_sha);
	assert_string_equal(json_string_value(json_object_get(e0, "kept")), old_sha);
	assert_string_equal(json_string_value(json_object_get(e0, "reason")), "invalid");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rej, 0),
							      "model")),
			    "m");
	errors = json_object_get(e0, "errors");
	assert_int_equal(json_array_size(errors), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(errors, 0),
							    "line")),
			 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(errors, 0),
							    "column")),
			 24);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(errors, 1),
							    "line")),
			 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(errors, 1),
							    "column")),
			 22);
	json_decref(rej);

	/* the same bad bytes again: reported, not audited twice */
	scan(&fx, &res);
	assert_int_equal(res.n_rejected, 1);
	policy_reload_result_free(&res);
	assert_int_equal(count_events(fx.audit_path, "policy_rejected"), 1);

	/* a pipeline built now runs the accepted bytes, not the file */
	{
		pipeline pl;

		pipeline_from_set(&pl, &fx);
		assert_int_equal(pl.models[0].pol->window_records, 10);
		pipeline_free(&pl);
	}
	free(old_bytes);
	fixture_close(&fx);
}

static void test_threshold_edit_keeps_window(void **state)
{
	fixture fx;
	policy_reload_result res;
	pipeline pl;
	kpg_err err = {""};
	char new_sha[65], old_sha[65];
	json_t *loaded, *d;
	uint64_t index_before;

	(void)state;
	fixture_open(&fx, 0.9, 10);
	snprintf(old_sha, sizeof(old_sha), "%s", fx.set.items[0].sha256);
	pipeline_from_set(&pl, &fx);
	feed(&pl, 0, 10); /* accuracy 0 < 0.9: retrain */
	assert_string_equal(last_decision(&pl), "retrain");
	feed(&pl, 10, 6); /* an open window of 6 */
	assert_int_equal(pl.models[0].win.n_records, 6);
	index_before = pl.models[0].window_index;

	write_policy("p.json", "m", 0.0, 10); /* accuracy 0 is no longer a breach */
	sha_of_file(fx.p_path, new_sha);
	scan(&fx, &res);
	assert_int_equal(res.n_rejected, 0);
	assert_int_equal(res.n_changed, 1);
	assert_int_equal(res.changed[0], 0);
	assert_string_equal(fx.set.items[0].sha256, new_sha);

	loaded = audit_events(fx.audit_path, "policy_loaded");
	assert_int_equal(json_array_size(loaded), 2); /* start-up, reload */
	d = json_object_get(json_array_get(loaded, 1), "data");
	assert_string_equal(json_string_value(json_object_get(d, "sha256")), new_sha);
	assert_string_equal(json_string_value(json_object_get(d, "previous_sha256")),
			    old_sha);
	assert_string_equal(json_string_value(json_object_get(d, "reason")), "reload");
	assert_string_equal(json_string_value(json_object_get(d, "model")), "m");
	assert_string_equal(json_string_value(json_object_get(d, "window")), "kept");
	json_decref(loaded);

	assert_int_equal(pipeline_apply_reload(&pl, &fx.set, &res, &err), 0);
	policy_reload_result_free(&res);
	/* same window, same guards; new thresholds */
	assert_int_equal(pl.models[0].win.n_records, 6);
	assert_int_equal(pl.models[0].window_index, index_before);
	assert_int_equal(pl.models[0].retrains, 1);
	assert_true(pl.models[0].pol->kpis[0].threshold == 0.0);
	assert_int_equal(count_events(fx.audit_path, "window_evaluated"), 1);
	feed(&pl, 16, 4); /* closes the window at 10 records */
	assert_int_equal(count_events(fx.audit_path, "window_evaluated"), 2);
	assert_string_equal(last_decision(&pl), "hold");
	{
		json_t *w = json_object_get(json_array_get(pl.decisions, 1), "window");

		assert_int_equal(json_integer_value(json_object_get(w, "records")), 10);
	}
	pipeline_free(&pl);
	fixture_close(&fx);
}

static void test_window_edit_finishes_old_window(void **state)
{
	fixture fx;
	policy_reload_result res;
	pipeline pl;
	kpg_err err = {""};
	json_t *loaded, *wins, *w;

	(void)state;
	fixture_open(&fx, 0.9, 10);
	pipeline_from_set(&pl, &fx);
	feed(&pl, 0, 5);
	assert_int_equal(count_events(fx.audit_path, "window_evaluated"), 0);

	write_policy("p.json", "m", 0.0, 20); /* windows of 20, and a new KPI bound */
	scan(&fx, &res);
	assert_int_equal(res.n_changed, 1);
	loaded = audit_events(fx.audit_path, "policy_loaded");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(loaded, 1), "data"), "window")),
			    "restarted");
	json_decref(loaded);

	assert_int_equal(pipeline_apply_reload(&pl, &fx.set, &res, &err), 0);
	policy_reload_result_free(&res);
	/* the open 5 were evaluated and decided under the OLD policy */
	wins = audit_events(fx.audit_path, "window_evaluated");
	assert_int_equal(json_array_size(wins), 1);
	w = json_object_get(json_array_get(wins, 0), "data");
	assert_int_equal(json_integer_value(json_object_get(w, "records")), 5);
	json_decref(wins);
	assert_int_equal(count_events(fx.audit_path, "decision"), 1);
	assert_string_equal(last_decision(&pl), "retrain"); /* old min 0.9 */
	/* a fresh window under the new policy */
	assert_int_equal(pl.models[0].win.n_records, 0);
	assert_int_equal(pl.models[0].window_index, 1);
	assert_int_equal(pl.models[0].pol->window_records, 20);
	assert_ptr_equal(pl.models[0].win.ref, &pl.models[0].ref);
	feed(&pl, 5, 19);
	assert_int_equal(count_events(fx.audit_path, "window_evaluated"), 1);
	feed(&pl, 24, 1);
	assert_int_equal(count_events(fx.audit_path, "window_evaluated"), 2);
	assert_string_equal(last_decision(&pl), "hold");
	pipeline_free(&pl);
	fixture_close(&fx);
}

/* A reload to text labels: the new reference's UP/DOWN column is checked
 * (a policy it does not fit is rejected, the old one kept), the window
 * restarts with the positive label, and the decoder now keeps text
 * predictions. */
static void test_label_edit_takes_text_labels(void **state)
{
	static const char *tail =
		" \"window\": {\"records\": 10},\n"
		" \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.5}],\n"
		" \"guards\": {\"min_records\": 1, \"min_labelled\": 1},\n"
		" \"action\": {\"type\": \"dry_run\"},\n"
		" \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1,"
		" \"expected_hours\": 1, \"region\": \"us-east-1\"}}\n";
	fixture fx;
	policy_reload_result res;
	pipeline pl;
	kpg_err err = {""};
	char ref[256], text[2048], line[640];
	int len;

	(void)state;
	fixture_open(&fx, 0.9, 10);
	pipeline_from_set(&pl, &fx);
	feed(&pl, 0, 3);
	snprintf(ref, sizeof(ref), "%s/../ref2.csv", pdir);
	write_file(ref, "x,y\n0,UP\n1,DOWN\n2,UP\n");

	/* without positive_label the text column does not fit: rejected */
	snprintf(text, sizeof(text),
		 "{\"model\": \"m\", \"reference\": {\"path\": \"../ref2.csv\", \"label_column\": \"y\"},\n%s",
		 tail);
	write_file(fx.p_path, text);
	scan(&fx, &res);
	assert_int_equal(res.n_rejected, 1);
	assert_int_equal(res.n_changed, 0);
	policy_reload_result_free(&res);
	assert_non_null(strstr(fx.report_text, "label column 'y' holds \"UP\", \"DOWN\""));

	snprintf(text, sizeof(text),
		 "{\"model\": \"m\", \"reference\": {\"path\": \"../ref2.csv\", \"label_column\": \"y\"},\n"
		 " \"prediction\": {\"positive_label\": \"UP\", \"negative_label\": \"DOWN\"},\n%s",
		 tail);
	write_file(fx.p_path, text);
	scan(&fx, &res);
	assert_int_equal(res.n_changed, 1);
	assert_int_equal(pipeline_apply_reload(&pl, &fx.set, &res, &err), 0);
	policy_reload_result_free(&res);
	assert_true(pl.models[0].lab.text);
	assert_true(pl.text_labels);
	assert_int_equal(pl.models[0].win.n_records, 0);
	/* the model answers "UP"; the label is "DOWN": a false positive */
	len = snprintf(line, sizeof(line),
		       "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\","
		       "\"mode\":\"INPUT\",\"data\":\"1\",\"encoding\":\"CSV\"},\"endpointOutput\":"
		       "{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"UP\","
		       "\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"t1\","
		       "\"inferenceTime\":\"2026-01-01T01:00:00Z\"},\"eventVersion\":\"0\"}");
	assert_int_equal(pipeline_capture_line(&pl, line, (size_t)len, NULL, "t", 1, &err), 0);
	len = snprintf(line, sizeof(line),
		       "{\"groundTruthData\":{\"data\":\"DOWN\",\"encoding\":\"CSV\"},"
		       "\"eventMetadata\":{\"eventId\":\"t1\"},\"eventVersion\":\"0\"}");
	assert_int_equal(pipeline_gt_line(&pl, line, (size_t)len, "g", 1, &err), 0);
	assert_int_equal(pl.last_reject, CAPTURE_OK);
	assert_int_equal(pl.models[0].win.kpi.fp, 1);
	assert_int_equal(pl.models[0].win.kpi.n, 1);
	pipeline_free(&pl);
	fixture_close(&fx);
}

static void test_new_removed_renamed_need_restart(void **state)
{
	fixture fx;
	policy_reload_result res;
	char q[256], moved[256], old_sha[65];
	json_t *rej, *d;

	(void)state;
	fixture_open(&fx, 0.9, 10);
	snprintf(old_sha, sizeof(old_sha), "%s", fx.set.items[0].sha256);

	/* a new, valid file: not loaded */
	write_policy("q.json", "q", 0.9, 10);
	path_in(q, sizeof(q), pdir, "q.json");
	scan(&fx, &res);
	assert_int_equal(res.n_changed, 0);
	assert_int_equal(res.n_rejected, 1);
	assert_int_equal(res.n_unchanged, 1);
	policy_reload_result_free(&res);
	assert_int_equal(fx.set.n, 1);
	assert_int_equal(policy_set_find_model(&fx.set, "q"), -1);
	rej = audit_events(fx.audit_path, "policy_rejected");
	assert_int_equal(json_array_size(rej), 1);
	d = json_object_get(json_array_get(rej, 0), "data");
	assert_string_equal(json_string_value(json_object_get(d, "reason")), "restart_needed");
	assert_true(json_is_null(json_object_get(d, "kept")));
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(
									 json_object_get(d, "errors"), 0),
								 "message")),
			       "adding a model needs a restart"));
	json_decref(rej);
	assert_int_equal(unlink(q), 0);

	/* the file removed: the model keeps running */
	snprintf(moved, sizeof(moved), "%s/../p.json.away", pdir);
	assert_int_equal(rename(fx.p_path, moved), 0);
	scan(&fx, &res);
	assert_int_equal(res.n_rejected, 1);
	policy_reload_result_free(&res);
	assert_int_equal(fx.set.n, 1);
	assert_string_equal(fx.set.items[0].sha256, old_sha);
	rej = audit_events(fx.audit_path, "policy_rejected");
	assert_int_equal(json_array_size(rej), 2);
	d = json_object_get(json_array_get(rej, 1), "data");
	assert_true(json_is_null(json_object_get(d, "sha256")));
	assert_string_equal(json_string_value(json_object_get(d, "kept")), old_sha);
	json_decref(rej);
	assert_int_equal(rename(moved, fx.p_path), 0);
	scan(&fx, &res); /* back as it was: nothing to do */
	assert_int_equal(res.n_rejected, 0);
	assert_int_equal(res.n_unchanged, 1);
	policy_reload_result_free(&res);

	/* the model renamed */
	write_policy("p.json", "m2", 0.9, 10);
	scan(&fx, &res);
	assert_int_equal(res.n_changed, 0);
	assert_int_equal(res.n_rejected, 1);
	policy_reload_result_free(&res);
	assert_string_equal(fx.set.items[0].model, "m");
	assert_non_null(strstr(fx.report_text, "p.json:1:11: model changed from \"m\" to \"m2\""));
	assert_int_equal(count_events(fx.audit_path, "policy_rejected"), 3);
	assert_int_equal(count_events(fx.audit_path, "policy_loaded"), 0);

	/* a folder that cannot be listed changes nothing */
	{
		char gone[256];
		kpg_err err = {""};

		snprintf(gone, sizeof(gone), "%s/missing", pdir);
		assert_int_equal(policy_reload_scan(&fx.set, gone, fx.audit, fx.report,
						    &res, &err),
				 KPG_EIO);
		assert_non_null(strstr(err.msg, "missing"));
		policy_reload_result_free(&res);
		assert_int_equal(fx.set.n, 1);
		assert_int_equal(count_events(fx.audit_path, "policy_rejected"), 3);
	}
	fixture_close(&fx);
}

static void test_replace_failure_keeps_old(void **state)
{
	fixture fx;
	pipeline pl;
	policy *np = NULL, *before;
	policy_diags d = {0};
	kpg_err err = {""};
	char text[1024], path[256];

	(void)state;
	fixture_open(&fx, 0.9, 10);
	pipeline_from_set(&pl, &fx);
	feed(&pl, 0, 4);
	before = pl.models[0].pol;

	/* a new window definition whose reference cannot be read */
	path_in(path, sizeof(path), pdir, "p.json");
	policy_text(text, sizeof(text), "m", 0.5, 20, "../gone.csv");
	assert_int_equal(policy_load_buffer(path, text, strlen(text), &np, &d, &err), 0);
	assert_int_not_equal(pipeline_replace_policy(&pl, 0, np, &err), 0);
	assert_non_null(strstr(err.msg, "reference"));
	policy_free(np); /* still ours */
	np = NULL;
	assert_ptr_equal(pl.models[0].pol, before);
	assert_int_equal(pl.models[0].win.n_records, 4);
	assert_int_equal(count_events(fx.audit_path, "window_evaluated"), 0);

	/* another model's policy is refused */
	policy_text(text, sizeof(text), "other", 0.5, 10, "../ref.csv");
	assert_int_equal(policy_load_buffer(path, text, strlen(text), &np, &d, &err), 0);
	assert_int_equal(pipeline_replace_policy(&pl, 0, np, &err), KPG_EINVAL);
	assert_int_equal(pipeline_replace_policy(&pl, 7, np, &err), KPG_EINVAL);
	policy_free(np);
	assert_ptr_equal(pl.models[0].pol, before);
	policy_diags_free(&d);
	pipeline_free(&pl);
	fixture_close(&fx);
}

static void test_score_field_edit_rebuilds_decoder(void **state)
{
	fixture fx;
	pipeline pl;
	policy *np = NULL;
	policy_diags d = {0};
	kpg_err err = {""};
	char text[1024], *brace;
	capture_decoder *dec_before;

	(void)state;
	fixture_open(&fx, 0.9, 10);
	pipeline_from_set(&pl, &fx);
	feed(&pl, 0, 3);
	dec_before = pl.models[0].dec;
	policy_text(text, sizeof(text), "m", 0.9, 10, "../ref.csv");
	brace = strrchr(text, '}');
	snprintf(brace, sizeof(text) - (size_t)(brace - text),
		 ", \"prediction\": {\"score_field\": \"probability\"}}\n");
	assert_int_equal(policy_load_buffer(fx.p_path, text, strlen(text), &np, &d, &err), 0);
	assert_true(pipeline_policy_keeps_window(pl.models[0].pol, np));
	assert_int_equal(pipeline_replace_policy(&pl, 0, np, &err), 0);
	assert_true(pl.models[0].dec != dec_before);
	assert_int_equal(pl.models[0].win.n_records, 3);
	assert_string_equal(pl.models[0].pol->score_field, "probability");
	feed(&pl, 3, 7); /* CSV output: still decodes, and the window closes */
	assert_int_equal(json_array_size(pl.decisions), 1);
	policy_diags_free(&d);
	pipeline_free(&pl);
	fixture_close(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_debounce),
		cmocka_unit_test(test_watch_sighup_and_degraded),
		cmocka_unit_test(test_load_rejects_invalid_and_duplicates),
		cmocka_unit_test(test_invalid_edit_rejected_old_kept),
		cmocka_unit_test(test_threshold_edit_keeps_window),
		cmocka_unit_test(test_window_edit_finishes_old_window),
		cmocka_unit_test(test_new_removed_renamed_need_restart),
		cmocka_unit_test(test_replace_failure_keeps_old),
		cmocka_unit_test(test_score_field_edit_rebuilds_decoder),
		cmocka_unit_test(test_label_edit_takes_text_labels),
	};
	int rc;

	gsl_set_error_handler_off();
	snprintf(root, sizeof(root), "/tmp/kpg-reload-XXXXXX");
	if (mkdtemp(root) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", root);
	}
	return rc;
}
