/* replay_report.h - what `kpigate replay` prints at the end: records read
 * and rejected by reason, windows, decisions with reasons, energy spent and
 * avoided. Text for people, JSON (--json) for scripts. */
#ifndef REPLAY_REPORT_H
#define REPLAY_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "pipeline.h"

/* The whole report as JSON; new reference. audit_path may be NULL. */
json_t *replay_report_json(const pipeline *pl, const char *audit_path,
			   const audit_log *audit);

/* The same report, readable. */
void replay_report_print(FILE *out, const pipeline *pl, const char *audit_path,
			 const audit_log *audit);

#endif
