#include "replay_report.h"

#include <string.h>

#include "events.h"
#include "replay_actions.h"

static json_t *reject_counts(const uint64_t *counts)
{
	json_t *o = json_object();

	for (int r = 1; r < CAPTURE_REJECT__COUNT && o; r++)
		if (counts[r])
			json_object_set_new(o, capture_reject_name((capture_reject)r),
					    json_integer((json_int_t)counts[r]));
	return o;
}

static uint64_t sum_counts(const uint64_t *counts)
{
	uint64_t s = 0;

	for (int r = 0; r < CAPTURE_REJECT__COUNT; r++)
		s += counts[r];
	return s;
}

/* pl->decisions, each retrain with how its action ended: "action":
 * {"status", "energy": "spent" | "not_spent"} (new reference). */
static json_t *decisions_json(const pipeline *pl, const json_t *outcomes)
{
	json_t *arr = json_array(), *d;
	size_t i;

	json_array_foreach(pl->decisions, i, d) {
		json_t *nd = json_copy(d); /* shallow: the pipeline's stay as they are */
		const char *st = replay_actions_status(pl, d, outcomes);

		if (nd != NULL && st != NULL)
			json_object_set_new(nd, "action",
					    json_pack("{s:s, s:s}", "status", st, "energy",
						      replay_actions_started(st) ? "spent" : "not_spent"));
		if (arr == NULL || nd == NULL || json_array_append_new(arr, nd) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *replay_report_json(const pipeline *pl, const json_t *outcomes,
			   const char *audit_path, const audit_log *audit)
{
	const pipeline_stats *st = &pl->stats;
	json_t *o = json_object(), *models = json_array();
	uint64_t wait_pred, wait_lab;
	double kwh_a = 0, kg_a = 0;
	replay_actions all;
	json_t *labels;

	if (o == NULL || models == NULL ||
	    replay_actions_tally(pl, NULL, outcomes, &all) != 0) {
		json_decref(o);
		json_decref(models);
		return NULL;
	}
	join_pending(&pl->join, &wait_pred, &wait_lab);
	json_object_set_new(o, "capture",
			    json_pack("{s:I, s:I, s:I, s:I, s:o, s:I}",
				      "lines", (json_int_t)st->capture_lines,
				      "accepted", (json_int_t)st->capture_ok,
				      "instances", (json_int_t)st->instances,
				      "rejected", (json_int_t)sum_counts(st->capture_rejects),
				      "rejected_by_reason", reject_counts(st->capture_rejects),
				      "unjoinable", (json_int_t)st->unjoinable));
	json_object_set_new(o, "ground_truth",
			    json_pack("{s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I}",
				      "lines", (json_int_t)st->gt_lines,
				      "accepted", (json_int_t)st->gt_ok,
				      "rejected", (json_int_t)sum_counts(st->gt_rejects),
				      "rejected_by_reason", reject_counts(st->gt_rejects),
				      "joined", (json_int_t)pl->join.stats.joined,
				      "waiting_predictions", (json_int_t)wait_pred,
				      "waiting_labels", (json_int_t)wait_lab,
				      "evicted_predictions", (json_int_t)pl->join.stats.evicted_predictions,
				      "evicted_labels", (json_int_t)pl->join.stats.evicted_labels,
				      "duplicate_ids", (json_int_t)pl->join.stats.duplicate_ids));
	/* labels of windows already decided: counted, credited nowhere */
	json_object_set_new(json_object_get(o, "ground_truth"), "late_labels",
			    json_integer((json_int_t)st->late_labels));
	/* records without inferenceTime, placed at their arrival time */
	json_object_set_new(json_object_get(o, "capture"), "arrival_times",
			    json_integer((json_int_t)st->arrival_times));
	for (size_t i = 0; i < pl->n_models; i++) {
		const pipeline_model *m = &pl->models[i];
		replay_actions act;

		if (replay_actions_tally(pl, m->pol->model, outcomes, &act) != 0)
			continue;
		json_array_append_new(models,
				      json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:f, s:f, s:f, s:f}}",
						"model", m->pol->model,
						"action", policy_action_name(m->pol->action),
						"records", (json_int_t)m->records,
						"windows", (json_int_t)m->windows,
						"retrains", (json_int_t)m->retrains,
						"holds", (json_int_t)m->holds,
						"drift_alarms", (json_int_t)m->drift_alarms,
						"naive_retrains", (json_int_t)m->naive_retrains,
						"energy",
						"kwh_spent", act.kwh_spent, "kg_co2e_spent", act.kg_spent,
						"kwh_avoided", m->kwh_avoided, "kg_co2e_avoided", m->kg_avoided));
		/* spent: executions that started; a retrain decided but not
		 * started keeps its estimate apart */
		json_object_set_new(json_object_get(json_array_get(models, json_array_size(models) - 1), "energy"),
				    "kwh_not_started", json_real(act.kwh_not_started));
		json_object_set_new(json_object_get(json_array_get(models, json_array_size(models) - 1), "energy"),
				    "kg_co2e_not_started", json_real(act.kg_not_started));
		json_object_set_new(json_array_get(models, json_array_size(models) - 1), "actions",
				    replay_actions_json(&act));
		json_object_set_new(json_array_get(models, json_array_size(models) - 1), "reference",
				    events_reference(&m->ref));
		json_object_set_new(json_array_get(models, json_array_size(models) - 1), "late_labels",
				    json_integer((json_int_t)m->late_labels));
		json_object_set_new(json_array_get(models, json_array_size(models) - 1), "waits_cut_short",
				    json_integer((json_int_t)m->waits_cut_short));
		if ((labels = pipeline_labels_json(pl, m)) != NULL)
			json_object_set_new(json_array_get(models, json_array_size(models) - 1),
					    "labels", labels);
		replay_actions_free(&act);
		kwh_a += m->kwh_avoided;
		kg_a += m->kg_avoided;
	}
	json_object_set_new(o, "models", models);
	json_object_set_new(o, "decisions", decisions_json(pl, outcomes));
	json_object_set_new(o, "pending", pipeline_pending_json(pl));
	json_object_set_new(o, "energy",
			    json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}",
				      "kwh_spent", all.kwh_spent, "kg_co2e_spent", all.kg_spent,
				      "kwh_avoided", kwh_a, "kg_co2e_avoided", kg_a,
				      "kwh_not_started", all.kwh_not_started,
				      "kg_co2e_not_started", all.kg_not_started));
	json_object_set_new(o, "actions", replay_actions_json(&all));
	replay_actions_free(&all);
	if (audit_path != NULL && audit != NULL)
		json_object_set_new(o, "audit",
				    json_pack("{s:s, s:I, s:s}", "file", audit_path,
					      "records", (json_int_t)audit_last_seq(audit),
					      "head", audit_last_hash(audit)));
	return o;
}

static void print_rejects(FILE *out, const uint64_t *counts)
{
	int first = 1;

	for (int r = 1; r < CAPTURE_REJECT__COUNT; r++) {
		if (!counts[r])
			continue;
		fprintf(out, "%s%s %llu", first ? " (" : ", ",
			capture_reject_name((capture_reject)r),
			(unsigned long long)counts[r]);
		first = 0;
	}
	if (!first)
		fputc(')', out);
}

/* "0.812" for a KPI that was computed, "-" otherwise. */
static void kpi_cell(const json_t *kpis, const char *name, char *buf, size_t n)
{
	json_t *k = json_object_get(kpis, name);

	if (k == NULL)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.3f", json_real_value(json_object_get(k, "value")));
}

/* The text of the reason that decided dec, and its index in reasons (the
 * other reasons are the evidence); a record without decisive_reason falls
 * back to the last reason. "" when there is none. */
static const char *decisive_reason(const json_t *dec, size_t *at)
{
	const json_t *reasons = json_object_get(dec, "reasons");
	const json_t *codes = json_object_get(dec, "reason_codes");
	const char *text = json_string_value(
		json_object_get(json_object_get(dec, "decisive_reason"), "text"));
	const char *code = json_string_value(
		json_object_get(json_object_get(dec, "decisive_reason"), "code"));
	size_t nr = json_array_size(reasons);

	*at = nr;
	if (text == NULL) {
		if (nr == 0)
			return "";
		*at = nr - 1;
		text = json_string_value(json_array_get(reasons, nr - 1));
		return text ? text : "";
	}
	for (size_t r = 0; r < nr && *at == nr; r++) {
		const char *t = json_string_value(json_array_get(reasons, r));
		const char *c = json_string_value(json_array_get(codes, r));

		if (t != NULL && c != NULL && code != NULL &&
		    strcmp(t, text) == 0 && strcmp(c, code) == 0)
			*at = r;
	}
	return text;
}

static void print_decisions(FILE *out, const pipeline *pl,
			    const pipeline_model *m, const json_t *outcomes)
{
	size_t i;
	json_t *d;
	const char *kpi_name = m->pol->n_kpis ? kpi_metric_name(m->pol->kpis[0].metric)
					      : "auc";

	fprintf(out, "  %-3s %-10s %8s %8s %7s %8s  %-8s %s\n", "#", "day", "records",
		"labelled", kpi_name, "drifted", "decision", "why");
	json_array_foreach(pl->decisions, i, d) {
		json_t *w = json_object_get(d, "window"), *dec = json_object_get(d, "decision");
		json_t *reasons = json_object_get(dec, "reasons"), *energy;
		const char *verdict = json_string_value(json_object_get(dec, "decision"));
		const char *why;
		char kcell[16], drift[24];
		size_t nr = json_array_size(reasons), at;

		if (strcmp(json_string_value(json_object_get(d, "model")), m->pol->model) != 0)
			continue;
		kpi_cell(json_object_get(w, "kpis"), kpi_name, kcell, sizeof(kcell));
		snprintf(drift, sizeof(drift), "%zu/%zu",
			 json_array_size(json_object_get(w, "drifted_features")),
			 json_array_size(json_object_get(w, "features")));
		why = decisive_reason(dec, &at);
		fprintf(out, "  %-3lld %.10s %8lld %8lld %7s %8s  %-8s %s\n",
			(long long)json_integer_value(json_object_get(w, "window")),
			json_string_value(json_object_get(w, "start")),
			(long long)json_integer_value(json_object_get(w, "records")),
			(long long)json_integer_value(json_object_get(w, "labelled")),
			kcell, drift, verdict, why);
		energy = json_object_get(dec, "energy");
		if (strcmp(verdict, "retrain") == 0) {
			for (size_t r = 0; r < nr; r++)
				if (r != at)
					fprintf(out, "%45s- %s\n", "",
						json_string_value(json_array_get(reasons, r)));
			const char *st = replay_actions_status(pl, d, outcomes);

			if (replay_actions_started(st))
				fprintf(out, "%45s- action %s: energy spent %.3f kWh, %.3f kgCO2e\n", "",
					st, json_number_value(json_object_get(energy, "kwh")),
					json_number_value(json_object_get(energy, "kg_co2e")));
			else
				fprintf(out, "%45s- action %s: not started, %.3f kWh, %.3f kgCO2e estimated, not spent\n",
					"", st ? st : "?",
					json_number_value(json_object_get(energy, "kwh")),
					json_number_value(json_object_get(energy, "kg_co2e")));
		}
	}
}

/* Windows not decided at the end of the input: still waiting for labels,
 * or still open (replay --decide-pending decides them). */
static void print_pending(FILE *out, const json_t *pending, const char *model)
{
	size_t i, k;
	json_t *p, *w;

	json_array_foreach(pending, i, p) {
		json_t *open = json_object_get(p, "open");

		if (strcmp(json_string_value(json_object_get(p, "model")), model) != 0)
			continue;
		json_array_foreach(json_object_get(p, "waiting"), k, w)
			fprintf(out, "  %-3lld %.10s %8lld %8lld  pending: %lld of %lld predictions labelled; waits for labels until %s\n",
				(long long)json_integer_value(json_object_get(w, "window")),
				json_string_value(json_object_get(w, "start")),
				(long long)json_integer_value(json_object_get(w, "records")),
				(long long)json_integer_value(json_object_get(w, "labelled")),
				(long long)json_integer_value(json_object_get(w, "labelled")),
				(long long)json_integer_value(json_object_get(w, "predictions")),
				json_string_value(json_object_get(w, "due")));
		if (open != NULL)
			fprintf(out, "  %-3lld %.10s %8lld %8lld  open: the window has not ended yet\n",
				(long long)json_integer_value(json_object_get(open, "window")),
				json_string_value(json_object_get(open, "start")),
				(long long)json_integer_value(json_object_get(open, "records")),
				(long long)json_integer_value(json_object_get(open, "labelled")));
	}
}

/* Types as used, and which ones were inferred rather than declared. */
static void print_reference(FILE *out, const reference *ref)
{
	size_t numeric = 0, inferred = 0;

	for (size_t i = 0; i < ref->n_features; i++) {
		numeric += ref->features[i].type == POLICY_FEATURE_NUMERIC;
		inferred += ref->features[i].inferred;
	}
	fprintf(out, "  reference %s: %llu rows, %zu features (%zu numeric, %zu categorical), %zu types inferred%s",
		ref->path, (unsigned long long)ref->n_rows, ref->n_features, numeric,
		ref->n_features - numeric, inferred, inferred ? ":" : "\n");
	for (size_t i = 0, k = 0; i < ref->n_features; i++) {
		if (!ref->features[i].inferred)
			continue;
		fprintf(out, "%s %s %s", k++ ? "," : "", ref->features[i].name,
			policy_feature_type_name(ref->features[i].type));
	}
	if (inferred)
		fputc('\n', out);
	if (ref->n_ignored == 0)
		return;
	fprintf(out, "  payload: %zu columns, %zu ignored (in the payload, not measured):",
		ref->n_payload, ref->n_ignored);
	for (size_t i = 0, k = 0; i < ref->n_payload; i++)
		if (ref->payload_feature[i] == REFERENCE_IGNORED)
			fprintf(out, "%s %s (column %zu)", k++ ? "," : "",
				ref->payload_names[i], i + 1);
	fputc('\n', out);
}

/* "started 1, expired 2" */
static void print_statuses(FILE *out, const json_t *by_status)
{
	const char *k;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)by_status, k, v) {
		fprintf(out, "%s%s %lld", first ? "" : ", ", k, (long long)json_integer_value(v));
		first = 0;
	}
}

void replay_report_print(FILE *out, const pipeline *pl, const json_t *outcomes,
			 const char *audit_path, const audit_log *audit)
{
	const pipeline_stats *st = &pl->stats;
	uint64_t wait_pred, wait_lab;
	double kwh_a = 0, kg_a = 0;
	replay_actions all;
	json_t *pending;

	join_pending(&pl->join, &wait_pred, &wait_lab);
	fprintf(out, "capture:      %llu lines, %llu accepted (%llu instances), %llu rejected",
		(unsigned long long)st->capture_lines, (unsigned long long)st->capture_ok,
		(unsigned long long)st->instances,
		(unsigned long long)sum_counts(st->capture_rejects));
	print_rejects(out, st->capture_rejects);
	fprintf(out, "\nground truth: %llu lines, %llu accepted, %llu rejected",
		(unsigned long long)st->gt_lines, (unsigned long long)st->gt_ok,
		(unsigned long long)sum_counts(st->gt_rejects));
	print_rejects(out, st->gt_rejects);
	fprintf(out, "\n              %llu joined to predictions; still waiting: %llu predictions, %llu labels; evicted: %llu predictions, %llu labels; %llu late (their window was decided)\n",
		(unsigned long long)pl->join.stats.joined, (unsigned long long)wait_pred,
		(unsigned long long)wait_lab,
		(unsigned long long)pl->join.stats.evicted_predictions,
		(unsigned long long)pl->join.stats.evicted_labels,
		(unsigned long long)st->late_labels);
	pending = pipeline_pending_json(pl);
	for (size_t i = 0; i < pl->n_models; i++) {
		const pipeline_model *m = &pl->models[i];

		fprintf(out, "\nmodel %s (%s): %llu windows, %llu retrain, %llu hold, %llu drift alarms\n",
			m->pol->model, policy_action_name(m->pol->action),
			(unsigned long long)m->windows, (unsigned long long)m->retrains,
			(unsigned long long)m->holds, (unsigned long long)m->drift_alarms);
		print_reference(out, &m->ref);
		if (m->lab.text)
			fprintf(out, "  labels: %u distinct texts credited, %llu not credited (none of its classes), %llu predictions with no class or score\n",
				m->lab.n_texts, (unsigned long long)m->lab.not_credited,
				(unsigned long long)m->lab.unusable_predictions);
		print_decisions(out, pl, m, outcomes);
		print_pending(out, pending, m->pol->model);
		kwh_a += m->kwh_avoided;
		kg_a += m->kg_avoided;
	}
	if (replay_actions_tally(pl, NULL, outcomes, &all) != 0) {
		fprintf(out, "\n(out of memory tallying the actions)\n");
		json_decref(pending);
		return;
	}
	fprintf(out, "\nactions: %llu retrain(s) decided, %llu started",
		(unsigned long long)all.retrains, (unsigned long long)all.started);
	if (all.retrains > 0) {
		fputs(" (", out);
		print_statuses(out, all.by_status);
		fputc(')', out);
	}
	fprintf(out, "\nenergy: spent %.3f kWh (%.3f kgCO2e) on retraining that started; avoided %.3f kWh (%.3f kgCO2e) compared with retraining on every drift alarm\n",
		all.kwh_spent, all.kg_spent, kwh_a, kg_a);
	if (all.not_started > 0)
		fprintf(out, "        not spent: %.3f kWh (%.3f kgCO2e) estimated for %llu retrain(s) decided but not started\n",
			all.kwh_not_started, all.kg_not_started,
			(unsigned long long)all.not_started);
	replay_actions_free(&all);
	if (audit_path != NULL && audit != NULL)
		fprintf(out, "audit:  %s, %llu records, head %s\n", audit_path,
			(unsigned long long)audit_last_seq(audit), audit_last_hash(audit));
	json_decref(pending);
}
