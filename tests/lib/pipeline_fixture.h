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

/* Record i's label: 0. */
static inline void fx_feed_label(pipeline *pl, int i)
{
	char line[512];
	kpg_err err;
	int n = snprintf(line, sizeof(line),
		"{\"groundTruthData\":{\"data\":\"0\",\"encoding\":\"CSV\"},"
		"\"eventMetadata\":{\"eventId\":\"e%d\"},\"eventVersion\":\"0\"}", i);

	assert_int_equal(pipeline_gt_line(pl, line, (size_t)n, "gt", (uint64_t)i,
					  &err), 0);
}

/* Record i and its label. */
static inline void fx_feed_one(pipeline *pl, int i)
{
	char line[512];
	kpg_err err;
	int n = fx_capture_line(line, sizeof(line), i);

	assert_int_equal(pipeline_capture_line(pl, line, (size_t)n, NULL, "capture",
					       (uint64_t)i, &err), 0);
	fx_feed_label(pl, i);
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
