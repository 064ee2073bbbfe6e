/* daemon_gap.h - a partition that resumes past records Kafka no longer
 * has is data loss upstream of kpigate, and is said loudly.
 *
 * When retention removes records before kpigate read them, the consumer's
 * fetch fails with "offset out of range" and librdkafka resets the
 * position (auto.offset.reset). kpigate sees it as a record whose offset
 * is past the next offset the task expected (its checkpoint, or the record
 * before). daemon_gap_check then asks for the partition's log start: past
 * the expected offset, it is a data gap (audited as data_gap, counted in
 * kpigate_data_gaps_total and kpigate_data_gap_offsets_total, and every
 * window of the task's models marked, pipeline_gap.h). At or below it, the
 * skipped offsets are still in the log (transaction markers, compaction, or
 * another replica's state_dir): a warning only. Format: docs/audit.md,
 * docs/operations.md. */
#ifndef DAEMON_GAP_H
#define DAEMON_GAP_H

#include <stdint.h>

#include "audit.h"
#include "kafka_source.h"
#include "kpg_error.h"
#include "metrics.h"
#include "pipeline.h"

#define DAEMON_GAP_QUERY_MS 1000 /* waiting for a leader's log start */

/* A record of topic/partition at offset resumed arrived where expected
 * (< resumed) was due; pl is the pipeline the partition feeds. Sets *gap
 * to 1 when it was a data gap (audited, counted, marked), else 0. When
 * the log start cannot be had the gap is taken as real (loud over quiet).
 * Everything is borrowed. Returns 0, or the audit log's error (fatal). */
int daemon_gap_check(kafka_src *src, audit_log *audit, metrics *m,
		     pipeline *pl, const char *topic, int32_t partition,
		     int64_t expected, int64_t resumed, int *gap, kpg_err *err);

/* The data_gap record's data: {topic, partition, expected_offset,
 * resumed_offset, offsets_lost, log_start_offset (null when unknown),
 * models}. New reference, NULL when out of memory. */
json_t *daemon_gap_event(const pipeline *pl, const char *topic,
			 int32_t partition, int64_t expected, int64_t resumed,
			 int64_t log_start);

#endif
