/* join.h - the ground-truth join: predictions wait for their labels and
 * labels (which may arrive first) wait for their predictions, keyed by
 * inferenceId (else eventId). A prediction carries the window it belongs
 * to, so its label is credited there whenever it arrives. A joined pair
 * stays in the ring (as JOIN_KIND_JOINED) until it ages out, so a second
 * record with the same id in that horizon is told apart as a duplicate.
 * Bounded by entry count and by age in stream time; what falls out is
 * counted, never silently lost. Entries live in a ring allocated once;
 * joining or evicting allocates nothing. */
#ifndef JOIN_H
#define JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"

#define JOIN_KEY_MAX 48 /* longer ids are stored as a prefix + hash (UUIDs fit) */

typedef struct join_entry {
	char key[JOIN_KEY_MAX];
	uint32_t hash; /* of key, also kept in the index */
	uint8_t key_len;
	uint8_t live;
	uint8_t kind; /* JOIN_KIND_* */
	uint32_t model;
	uint32_t code;   /* a label's text in the pipeline's label_dict, 0 = none */
	uint64_t window; /* a prediction's window index in its model */
	double value;    /* score or label */
	int64_t t_ms;    /* stream time when it entered */
} join_entry;

enum { JOIN_KIND_PREDICTION = 0, /* waiting for its label */
       JOIN_KIND_LABEL = 1,      /* waiting for its prediction */
       JOIN_KIND_JOINED = 2 };   /* both seen: kept to spot duplicates */

/* join_add_* results */
enum { JOIN_WAITS = 0,
       JOIN_MATCHED = 1,
       JOIN_DUPLICATE = 2 };

typedef struct join_stats {
	uint64_t joined;
	uint64_t evicted_predictions, evicted_labels; /* by size or age */
	uint64_t duplicate_ids;                       /* a second prediction or label for an id
							 still in the ring (dropped) */
} join_stats;

typedef struct join_buffer {
	join_entry *ring;
	size_t cap, head, count; /* owned; count incl. dead */
	uint64_t *index;
	size_t index_cap; /* owned; hash << 32 | slot+1, 0 empty,
			     UINT64_MAX tombstone */
	size_t tombstones;
	int64_t max_age_ms;
	join_stats stats;
} join_buffer;

typedef struct join_match {
	uint32_t model;
	uint64_t window; /* the prediction's */
	double score, label;
	uint32_t label_code; /* the label's label_dict code, 0 = none */
} join_match;

/* Pass as now_ms while the stream has no event time yet (labels read
 * before any capture): such entries leave only by the size cap. */
/* What a zero in join_init's options means; also the defaults of the
 * configuration's join.* keys and of replay's --join-max options. */
#define JOIN_DEFAULT_MAX_ENTRIES 500000
#define JOIN_DEFAULT_MAX_AGE_HOURS 336 /* 14 days */

#define JOIN_TIME_UNKNOWN INT64_MIN

/* max_entries 0 = 500,000; max_age_ms 0 = 14 days. */
int join_init(join_buffer *jb, size_t max_entries, int64_t max_age_ms,
	      kpg_err *err);
void join_free(join_buffer *jb);

/* Offers the prediction of window `window` of model `model`. Returns
 * JOIN_MATCHED with *m filled when its label was waiting, JOIN_WAITS when
 * the prediction now waits, JOIN_DUPLICATE when a prediction with this id
 * is still in the ring (this one is dropped and counted). */
int join_add_prediction(join_buffer *jb, const char *id, size_t len,
			uint32_t model, uint64_t window, double score,
			int64_t now_ms, join_match *m);

/* Offers a label; same contract. */
int join_add_label(join_buffer *jb, const char *id, size_t len, double label,
		   int64_t now_ms, join_match *m);
/* The same with the label's text code (label_dict.h), handed back in
 * join_match.label_code when the pair meets. */
int join_add_label_code(join_buffer *jb, const char *id, size_t len,
			double label, uint32_t code, int64_t now_ms,
			join_match *m);

/* Rebuilds the index from the ring's live entries (after tombstones pile up,
 * or after a checkpoint restored the ring). Returns -1 when a key is live
 * twice — a corrupt restore — after indexing the first of each. */
int join_reindex(join_buffer *jb);

/* Live entries waiting, by kind. */
void join_pending(const join_buffer *jb, uint64_t *predictions,
		  uint64_t *labels);

#endif
