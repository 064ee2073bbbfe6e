/* replay_verdict.c - a replay's exit code from what it read and decided
 * (replay_verdict.h). */
#include "replay_verdict.h"

#include <string.h>

#include "commands.h"
#include "pipeline_wait.h"

void replay_rejects_note(replay_rejects *r, const pipeline *pl, int is_gt,
			 const char *src, uint64_t line_no)
{
	replay_reject_example *e;

	if (pl->last_reject == CAPTURE_OK ||
	    (unsigned)pl->last_reject >= CAPTURE_REJECT__COUNT)
		return;
	e = &r->ex[is_gt ? 1 : 0][pl->last_reject];
	if (e->set)
		return;
	e->set = 1;
	e->line_no = line_no;
	snprintf(e->src, sizeof(e->src), "%s", src ? src : "-");
	snprintf(e->msg, sizeof(e->msg), "%s", pl->last_reject_msg);
}

/* "most often REASON (N lines), e.g. FILE:LINE: message" for one kind of
 * line; nothing when none was rejected. */
static void print_top_reason(FILE *out, const uint64_t *counts,
			     const replay_reject_example *ex)
{
	size_t top = CAPTURE_REJECT__COUNT;

	for (size_t i = 0; i < CAPTURE_REJECT__COUNT; i++)
		if (counts[i] > 0 && (top == CAPTURE_REJECT__COUNT || counts[i] > counts[top]))
			top = i;
	if (top == CAPTURE_REJECT__COUNT)
		return;
	fprintf(out, "kpigate replay:   most often %s (%llu line%s)",
		capture_reject_name((capture_reject)top),
		(unsigned long long)counts[top], counts[top] == 1 ? "" : "s");
	if (ex[top].set)
		fprintf(out, ", e.g. %s:%llu: %s", ex[top].src,
			(unsigned long long)ex[top].line_no,
			ex[top].msg[0] ? ex[top].msg : capture_reject_name((capture_reject)top));
	fputc('\n', out);
}

static uint64_t sum(const uint64_t *counts)
{
	uint64_t n = 0;

	for (size_t i = 0; i < CAPTURE_REJECT__COUNT; i++)
		n += counts[i];
	return n;
}

/* 1 when the share of rejected lines passes max_rate (printed). */
static int rate_trouble(FILE *out, const char *what, uint64_t lines,
			const uint64_t *counts, const replay_reject_example *ex,
			double max_rate)
{
	uint64_t rejected = sum(counts);

	if (lines == 0 || rejected == 0 ||
	    (double)rejected <= max_rate * (double)lines)
		return 0;
	fprintf(out, "kpigate replay: %llu of %llu %s lines rejected (%.1f%%, "
		     "more than --max-reject-rate %g)\n",
		(unsigned long long)rejected, (unsigned long long)lines, what,
		100.0 * (double)rejected / (double)lines, max_rate);
	print_top_reason(out, counts, ex);
	return 1;
}

int replay_verdict(const pipeline *pl, const replay_rejects *r,
		   double max_rate, FILE *out)
{
	const pipeline_stats *st = &pl->stats;
	int cap_trouble, gt_trouble, findings = 0, idle = 0;

	cap_trouble = rate_trouble(out, "capture", st->capture_lines,
				   st->capture_rejects, r->ex[0], max_rate);
	gt_trouble = rate_trouble(out, "ground-truth", st->gt_lines,
				  st->gt_rejects, r->ex[1], max_rate);
	for (size_t i = 0; i < pl->n_models; i++) {
		const pipeline_model *m = &pl->models[i];

		findings |= m->retrains > 0 || m->drift_alarms > 0;
		/* a drift alarm is raised when a window closes, before its
		 * labels are in */
		for (size_t k = 0; k < m->n_waiting; k++)
			findings |= pipeline_wait_at(m, k)->ev.dataset_drift;
		if (m->records > 0)
			continue;
		fprintf(out, "kpigate replay: model '%s' got no window: no usable "
			     "capture record was routed to it (%llu of %llu capture "
			     "lines accepted)\n",
			m->pol->model, (unsigned long long)st->capture_ok,
			(unsigned long long)st->capture_lines);
		idle = 1;
	}
	/* the capture reasons once, when the rate did not print them */
	if (idle && !cap_trouble)
		print_top_reason(out, st->capture_rejects, r->ex[0]);
	if (cap_trouble || gt_trouble || idle)
		return KPG_EXIT_TROUBLE;
	return findings ? KPG_EXIT_FINDINGS : KPG_EXIT_OK;
}
