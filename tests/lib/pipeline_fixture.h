/* pipeline_fixture.h - what the pipeline and daemon-task tests share: a
 * one-feature reference and dry-run policy (windows of 10 records,
 * accuracy >= 0.9, which the fixture's records always breach), records
 * with their labels, and an audit-event counter. Include after cmocka.h. */
#ifndef PIPELINE_FIXTURE_H
#define PIPELINE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define FX_REFERENCE "x\n0\n1\n2\n3\n4\n5\n6\n"
#define FX_POLICY \
	"{\"model\": \"m\", \"reference\": {\"path\": \"ref.csv\"}," \
	" \"window\": {\"records\": 10}," \
	" \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.9}]," \
	" \"guards\": {\"min_records\": 1, \"min_labelled\": 1}," \
	" \"action\": {\"type\": \"dry_run\"}," \
	" \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1," \
	" \"expected_hours\": 1, \"region\": \"us-east-1\"}}"

static inline void fx_write_file(const char *dir, const char *name,
				 const char *text)
{
	char path[192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Lines of the file at path that hold needle. */
static inline int fx_count_matching(const char *path, const char *needle)
{
	char line[65536];
	FILE *f = fopen(path, "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* Records of event in the audit log at path. */
static inline int fx_count_events(const char *path, const char *event)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "\"event\":\"%s\"", event);
	return fx_count_matching(path, pat);
}

/* Capture record i (event time 2026-01-01T00:00:ii, score 0.9) into buf;
 * returns its length. */
static inline int fx_capture_line(char *buf, size_t cap, int i)
{
	return snprintf(buf, cap,
			"{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\","
			"\"mode\":\"INPUT\",\"data\":\"%d\",\"encoding\":\"CSV\"},\"endpointOutput\":"
			"{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"0.9\","
			"\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"e%d\","
			"\"inferenceTime\":\"2026-01-01T00:00:%02dZ\"},\"eventVersion\":\"0\"}",
			i % 7, i, i);
}

/* Record i's label (0) into buf; returns its length. */
static inline int fx_label_line(char *buf, size_t cap, int i)
{
	return snprintf(buf, cap,
			"{\"groundTruthData\":{\"data\":\"0\",\"encoding\":\"CSV\"},"
			"\"eventMetadata\":{\"eventId\":\"e%d\"},\"eventVersion\":\"0\"}",
			i);
}

/* Record i's label: 0. */
static inline void fx_feed_label(pipeline *pl, int i)
{
	char line[512];
	kpg_err err;
	int n = fx_label_line(line, sizeof(line), i);

	assert_int_equal(pipeline_gt_line(pl, line, (size_t)n, "gt", (uint64_t)i,
					  &err),
			 0);
}

/* Record i and its label. */
static inline void fx_feed_one(pipeline *pl, int i)
{
	char line[512];
	kpg_err err;
	int n = fx_capture_line(line, sizeof(line), i);

	assert_int_equal(pipeline_capture_line(pl, line, (size_t)n, NULL, "capture",
					       (uint64_t)i, &err),
			 0);
	fx_feed_label(pl, i);
}

/* A scratch folder for a test program (dir holds the mkdtemp name,
 * stem "/tmp/kpg-NAME-XXXXXX") with the fixture's ref.csv and p.json.
 * Returns 0, or -1 when it cannot be made. Remove with fx_remove_dir. */
static inline int fx_make_dir(char *dir, size_t cap, const char *stem)
{
	snprintf(dir, cap, "%s", stem);
	if (mkdtemp(dir) == NULL)
		return -1;
	fx_write_file(dir, "ref.csv", FX_REFERENCE);
	fx_write_file(dir, "p.json", FX_POLICY);
	return 0;
}

/* A pipeline of the one policy dir/policy_name, auditing to audit_path;
 * close both with fx_pipeline_close. */
static inline void fx_pipeline_open(const char *dir, const char *policy_name,
				    const char *audit_path, pipeline *pl,
				    audit_log **log)
{
	char path[192];
	policy *p[1];
	policy_diags d = {0};
	kpg_err err;

	snprintf(path, sizeof(path), "%s/%s", dir, policy_name);
	assert_int_equal(policy_load(path, &p[0], &d, &err), 0);
	assert_int_equal(audit_open(audit_path, log, &err), 0);
	assert_int_equal(pipeline_init(pl, p, 1, NULL, *log, NULL, &err), 0);
}

static inline void fx_pipeline_close(pipeline *pl, audit_log *log)
{
	pipeline_free(pl);
	audit_close(log);
}

/* rm -rf of a test's scratch folder (a mkdtemp name: no quotes in it). */
static inline void fx_remove_dir(const char *dir)
{
	char cmd[192];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif
