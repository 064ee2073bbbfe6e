#include "events.h"

#include <math.h>
#include <stdio.h>

#include "correction.h"
#include "kpg_time.h"
#include "pipeline_labels.h"
#include "reference.h"
#include "window.h"

json_t *events_time(int64_t ms)
{
	char buf[40];

	kpg_time_format_iso8601(ms, buf, sizeof(buf));
	return json_string(buf);
}

/* JSON has no NaN: non-finite numbers become null. */
static json_t *events_real(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *events_policy_loaded(const policy *p)
{
	char hex[65];

	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", p->sha256[i]);
	return json_pack("{s:s, s:s, s:s, s:s}", "file", p->source_path, "sha256",
			 hex, "action", policy_action_name(p->action), "reference",
			 p->reference_path);
}

/* The payload's columns in order, ignored ones marked (shown when there
 * are any). */
static json_t *events_payload(const reference *ref)
{
	json_t *cols = json_array(), *ign = json_array();

	for (size_t i = 0; i < ref->n_payload && cols && ign; i++) {
		json_array_append_new(cols, json_string(ref->payload_names[i]));
		if (ref->payload_feature[i] == REFERENCE_IGNORED)
			json_array_append_new(ign, json_string(ref->payload_names[i]));
	}
	return json_pack("{s:o*, s:o*}", "columns", cols, "ignored", ign);
}

json_t *events_reference(const reference *ref)
{
	json_t *feats = json_array(), *o;

	for (size_t i = 0; i < ref->n_features && feats; i++)
		json_array_append_new(feats, json_pack("{s:s, s:s, s:b}", "name",
						       ref->features[i].name, "type",
						       policy_feature_type_name(ref->features[i].type), "inferred",
						       ref->features[i].inferred));
	o = json_pack("{s:s, s:I, s:o}", "path", ref->path, "rows",
		      (json_int_t)ref->n_rows, "features", feats);
	if (o != NULL && ref->n_ignored > 0 &&
	    json_object_set_new(o, "payload", events_payload(ref)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *events_window(const policy *p, const policy_window_eval *ev,
		      const window *w)
{
	json_t *o = json_object(), *feats = json_array(), *drifted = json_array();

	if (o == NULL || feats == NULL || drifted == NULL) {
		json_decref(o);
		json_decref(feats);
		json_decref(drifted);
		return NULL;
	}
	for (size_t i = 0; i < ev->n_features; i++) {
		const policy_feature_eval *f = &ev->features[i];
		json_t *fo = json_pack("{s:s, s:s, s:I, s:I, s:b}", "name", f->name,
				       "type",
				       f->type == POLICY_FEATURE_NUMERIC ? "numeric"
									 : "categorical",
				       "n", (json_int_t)f->n, "missing",
				       (json_int_t)f->missing, "drifted", f->drifted);

		if (fo != NULL && f->has_psi)
			json_object_set_new(fo, "psi", events_real(f->psi));
		if (fo != NULL && f->has_ks) {
			json_object_set_new(fo, "ks_statistic", events_real(f->ks_statistic));
			json_object_set_new(fo, "ks_p_value", events_real(f->ks_p_value));
		}
		/* past window.max_exact_values: the values were a sketch */
		if (fo != NULL && f->sketched)
			json_object_set_new(fo, "sketch",
					    json_pack("{s:f}", "rank_error",
						      f->sketch_error));
		if (fo != NULL && f->n_results > 0)
			json_object_set_new(fo, "detectors", events_detectors(f));
		if (fo != NULL && f->weight != 1 && f->weight > 0)
			json_object_set_new(fo, "weight", json_real(f->weight));
		if (fo != NULL && f->critical)
			json_object_set_new(fo, "critical", json_true());
		if (fo != NULL && f->type == POLICY_FEATURE_CATEGORICAL && f->n > 0) {
			json_object_set_new(fo, "unseen", json_integer((json_int_t)f->unseen));
			json_object_set_new(fo, "vanished", json_integer((json_int_t)f->vanished));
			if (w != NULL && i < w->ref->n_features)
				json_object_set_new(fo, "categories",
						    events_categories(&w->ref->features[i],
								      &w->cols[i]));
		}
		json_array_append_new(feats, fo);
		if (f->drifted)
			json_array_append_new(drifted, json_string(f->name));
	}
	json_object_set_new(o, "window", json_integer((json_int_t)ev->window_index));
	json_object_set_new(o, "records", json_integer((json_int_t)ev->n_records));
	json_object_set_new(o, "start", events_time(ev->start_ms));
	json_object_set_new(o, "end", events_time(ev->end_ms));
	json_object_set_new(o, "features", feats);
	json_object_set_new(o, "drifted_features", drifted);
	json_object_set_new(o, "drifted_share", events_real(ev->drifted_share));
	json_object_set_new(o, "dataset_drift", json_boolean(ev->dataset_drift));
	if (p != NULL && p->correction != 0)
		json_object_set_new(o, "correction",
				    json_string(correction_method_names[p->correction]));
	return o;
}

json_t *events_kpis(const policy_window_eval *ev)
{
	json_t *kpis = json_object();

	for (int m = 0; m < KPI__COUNT && kpis != NULL; m++) {
		const policy_kpi_value *v = &ev->kpis[m];

		if (v->valid)
			json_object_set_new(kpis, kpi_metric_name((kpi_metric)m),
					    json_pack("{s:f, s:I}", "value", v->value,
						      "n", (json_int_t)v->n));
	}
	return kpis;
}

const char *events_effect_name(events_energy_effect e)
{
	switch (e) {
	case EVENTS_ENERGY_SPENT: return "spent";
	case EVENTS_ENERGY_AVOIDED: return "avoided";
	default: return "none";
	}
}

json_t *events_decision(const policy *p, const policy_window_eval *ev,
			const policy_decision *d, events_energy_effect effect,
			const energy_estimate *est)
{
	json_t *o, *reasons = json_array(), *codes = json_array(), *energy, *x;
	json_t *decisive;

	if (reasons == NULL || codes == NULL) {
		json_decref(reasons);
		json_decref(codes);
		return NULL;
	}
	for (size_t i = 0; i < d->n_reasons; i++) {
		json_array_append_new(reasons, json_string(d->reasons[i]));
		json_array_append_new(codes, json_string(policy_reason_name(d->reason_codes[i])));
	}
	/* the reason that decided the outcome; null when none did */
	decisive = d->decisive < d->n_reasons
			   ? json_pack("{s:s, s:s}", "code",
				       policy_reason_name(d->reason_codes[d->decisive]),
				       "text", d->reasons[d->decisive])
			   : json_null();
	if (est != NULL)
		energy = json_pack("{s:s, s:f, s:f, s:s, s:i, s:f, s:s, s:f, s:f}",
				   "effect", events_effect_name(effect), "kwh",
				   effect == EVENTS_ENERGY_NONE ? 0.0 : est->kwh,
				   "kg_co2e",
				   effect == EVENTS_ENERGY_NONE ? 0.0 : est->kg_co2e,
				   "instance_type", p->energy.instance_type,
				   "instance_count", (int)p->energy.instance_count,
				   "hours", est->hours, "region", p->energy.region,
				   "kw_per_instance", est->kw_per_instance,
				   "grid_kg_per_kwh", est->grid_kg_per_kwh);
	else
		energy = json_pack("{s:s, s:n}", "effect", events_effect_name(effect),
				   "kwh");
	o = json_pack("{s:I, s:s, s:o, s:s, s:b, s:b, s:b, s:o, s:s, s:s}", "window",
		      (json_int_t)ev->window_index, "decision",
		      d->retrain ? "retrain" : "hold", "reasons", reasons,
		      "idempotency_key", d->idempotency_key, "kpi_breached",
		      d->kpi_breached, "dataset_drift", ev->dataset_drift,
		      "naive_would_retrain", d->naive_would_retrain, "energy", energy,
		      "start", "", "end", "");
	if (o != NULL) {
		char hex[65];

		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", p->sha256[i]);
		json_object_set_new(o, "start", events_time(ev->start_ms));
		json_object_set_new(o, "end", events_time(ev->end_ms));
		json_object_set_new(o, "records", json_integer((json_int_t)ev->n_records));
		json_object_set_new(o, "kpis", events_kpis(ev));
		if ((x = pipeline_labels_kpis_json(p, ev)) != NULL)
			json_object_set_new(o, "class_kpis", x);
		json_object_set_new(o, "labelled", json_integer((json_int_t)ev->n_labelled));
		/* which policy decided: a reload changes it mid-stream */
		json_object_set_new(o, "policy_sha256", json_string(hex));
	}
	if (o == NULL) {
		json_decref(codes);
		json_decref(decisive);
	} else {
		/* both calls, always: each takes its reference, even one that
		 * fails */
		int bad = json_object_set_new(o, "reason_codes", codes) != 0;

		bad |= json_object_set_new(o, "decisive_reason", decisive) != 0;
		if (bad) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

json_t *events_policy_reloaded(const policy *p, const char *previous_sha256,
			       int keeps_window)
{
	json_t *o = events_policy_loaded(p);

	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "model", json_string(p->model)) != 0 ||
	    json_object_set_new(o, "reason", json_string("reload")) != 0 ||
	    json_object_set_new(o, "previous_sha256",
				previous_sha256 ? json_string(previous_sha256)
						: json_null()) != 0 ||
	    json_object_set_new(o, "window", json_string(keeps_window ? "kept" : "restarted")) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *events_policy_rejected(const char *file, const char *sha256,
			       const char *reason, const policy_diags *d,
			       const kpg_err *err, const char *kept_sha256)
{
	json_t *errors = json_array();

	if (errors == NULL)
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		if (json_array_append_new(errors, json_pack("{s:i, s:i, s:s}", "line",
							    d->items[i].line, "column", d->items[i].column, "message",
							    d->items[i].message)) != 0)
			goto fail;
	if (d->n == 0 &&
	    json_array_append_new(errors, json_pack("{s:i, s:i, s:s}", "line", 0,
						    "column", 0, "message",
						    err && err->msg[0] ? err->msg : "unknown error")) != 0)
		goto fail;
	return json_pack("{s:s, s:s?, s:s, s:o, s:s?}", "file", file, "sha256",
			 sha256, "reason", reason, "errors", errors, "kept",
			 kept_sha256);
fail:
	json_decref(errors);
	return NULL;
}

json_t *events_data_gap(uint64_t gaps, uint64_t offsets_lost)
{
	return json_pack("{s:I, s:I}", "gaps", (json_int_t)gaps, "offsets_lost",
			 (json_int_t)offsets_lost);
}
