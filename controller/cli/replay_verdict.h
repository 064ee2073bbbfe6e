/* replay_verdict.h - what a replay's exit code says: 0 it ran and found
 * nothing, 1 findings (a drift alarm or a retrain decided), 2 trouble
 * (a model got no usable record, or too many lines were rejected). Keeps one
 * example of each reject reason, so a loud failure can show what went
 * wrong without the rejects file. */
#ifndef REPLAY_VERDICT_H
#define REPLAY_VERDICT_H

#include <stdint.h>
#include <stdio.h>

#include "capture.h"
#include "pipeline.h"

#define REPLAY_DEFAULT_MAX_REJECT_RATE 0.05

typedef struct replay_reject_example {
	int set;
	uint64_t line_no;
	char src[512];
	char msg[256];
} replay_reject_example;

/* [0] capture lines, [1] ground-truth lines, by reason. */
typedef struct replay_rejects {
	replay_reject_example ex[2][CAPTURE_REJECT__COUNT];
} replay_rejects;

/* After a line went through the pipeline: keeps the first example of its
 * reject reason (pl->last_reject), if any. src is copied. */
void replay_rejects_note(replay_rejects *r, const pipeline *pl, int is_gt,
			 const char *src, uint64_t line_no);

/* The exit code of a replay that ran to the end (KPG_EXIT_OK,
 * KPG_EXIT_FINDINGS or KPG_EXIT_TROUBLE), printing every trouble found to
 * out as "kpigate replay: ..." with the top reject reason, its count and
 * its example. max_rate: the share of rejected lines (capture and ground
 * truth each) above which the replay is trouble; 1 disables. */
int replay_verdict(const pipeline *pl, const replay_rejects *r,
		   double max_rate, FILE *out);

#endif
