/* daemon_gap.c - data gaps: confirm against the log start, audit, count,
 * mark the windows (see daemon_gap.h). */
#include "daemon_gap.h"

#include "kpg_log.h"
#include "pipeline_gap.h"

json_t *daemon_gap_event(const pipeline *pl, const char *topic,
			 int32_t partition, int64_t expected, int64_t resumed,
			 int64_t log_start)
{
	json_t *models = json_array(), *o;

	if (models == NULL)
		return NULL;
	for (size_t i = 0; i < pl->n_models; i++)
		if (json_array_append_new(models, json_string(pl->models[i].pol->model)) != 0) {
			json_decref(models);
			return NULL;
		}
	o = json_pack("{s:s, s:i, s:I, s:I, s:I, s:o, s:o}", "topic", topic,
		      "partition", (int)partition, "expected_offset",
		      (json_int_t)expected, "resumed_offset", (json_int_t)resumed,
		      "offsets_lost", (json_int_t)(resumed - expected),
		      "log_start_offset",
		      log_start >= 0 ? json_integer((json_int_t)log_start) : json_null(),
		      "models", models);
	return o;
}

int daemon_gap_check(kafka_src *src, audit_log *audit, metrics *m,
		     pipeline *pl, const char *topic, int32_t partition,
		     int64_t expected, int64_t resumed, int *gap, kpg_err *err)
{
	int64_t log_start = -1;
	kpg_err qerr = {""};
	json_t *data;
	int rc;

	*gap = 0;
	if (resumed <= expected)
		return 0;
	if (kafka_src_log_start(src, topic, partition, expected,
				DAEMON_GAP_QUERY_MS, &log_start, &qerr) != 0)
		log_warnx("%s; taking the skipped offsets as lost", qerr.msg);
	else if (log_start <= expected) {
		log_warnx("%s [%d]: offsets %lld..%lld are not in this partition's "
			  "checkpoint but still in Kafka (transaction markers, "
			  "compaction, or a state_dir not shared by every replica)",
			  topic, (int)partition, (long long)expected,
			  (long long)resumed - 1);
		return 0;
	}
	*gap = 1;
	log_errorx("data gap: %s [%d] resumed at offset %lld, expected %lld: "
		   "%lld offsets were gone from Kafka before kpigate read them "
		   "(log start %lld; retention shorter than kpigate's downtime or lag)",
		   topic, (int)partition, (long long)resumed, (long long)expected,
		   (long long)(resumed - expected), (long long)log_start);
	data = daemon_gap_event(pl, topic, partition, expected, resumed, log_start);
	if (data == NULL) {
		kpg_err_set(err, "out of memory building the data_gap event");
		return KPG_ENOMEM;
	}
	rc = audit != NULL ? audit_append(audit, "data_gap", NULL, data, err) : 0;
	json_decref(data);
	if (rc)
		return rc;
	metrics_add(&m->data_gaps, 1);
	metrics_add(&m->data_gap_offsets, (uint64_t)(resumed - expected));
	return pipeline_note_gap(pl, -1, (uint64_t)(resumed - expected));
}
