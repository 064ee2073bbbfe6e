/* state.h - durable checkpoints of a pipeline's state, so a restart
 * (including after kill -9) resumes without losing open windows and
 * without deciding a window twice.
 *
 * One file per pipeline, STATE_DIR/checkpoint.bin, replaced atomically
 * (write checkpoint.bin.tmp, fsync, rename, fsync the folder). It holds,
 * per model: the open window bit for bit, the KPI accumulator, the guard
 * state, the tallies and the last decided idempotency keys; then the
 * ground-truth join buffer, the source offsets the daemon hands in, and a
 * SHA-256 of everything. Format and rules: docs/state.md.
 *
 * What the checkpoint holds beside the pipeline (offsets, decided keys,
 * and after a load which models were restored) lives in a state_ctx the
 * daemon owns next to its pipeline. */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"
#include "pipeline.h"

#define STATE_FILE "checkpoint.bin"
#define STATE_TMP_FILE "checkpoint.bin.tmp"
#define STATE_VERSION 7         /* 7: each KS result's p-value method; 1-6 are read too */
#define STATE_KEYS_KEPT 64      /* decided idempotency keys kept per model */
#define STATE_KEY_LEN 96        /* = sizeof(policy_decision.idempotency_key) */
#define STATE_TOPIC_MAX 249     /* Kafka's longest topic name */
#define STATE_MAX_OFFSETS 65536 /* (topic, partition) pairs */
#define STATE_MAX_MODELS 4096
#define STATE_MAX_CURSOR (64u << 20) /* bytes of a source cursor */

/* Where a source is to be resumed: the next offset to consume, i.e. the
 * last offset whose effects the checkpoint contains, plus one. */
typedef struct state_offset {
	char *topic; /* owned */
	int32_t partition;
	int64_t next_offset;
} state_offset;

/* The last STATE_KEYS_KEPT decided idempotency keys of one model, a ring:
 * next is the slot the next key goes to; the n kept keys, oldest first,
 * are slots (next + STATE_KEYS_KEPT - n + i) % STATE_KEYS_KEPT, i < n. */
typedef struct state_keys {
	char keys[STATE_KEYS_KEPT][STATE_KEY_LEN];
	size_t n, next;
} state_keys;

typedef enum state_model_status {
	STATE_MODEL_FRESH = 0,      /* not in the checkpoint: a new policy */
	STATE_MODEL_RESTORED,       /* window, guards, tallies restored */
	STATE_MODEL_RESET_POLICY,   /* policy file's SHA-256 changed: fresh start */
	STATE_MODEL_RESET_SCHEMA,   /* reference schema changed: fresh start */
	STATE_MODEL_RESET_REFERENCE /* the reference a deployment named cannot
				       be loaded any more: fresh start */
} state_model_status;

typedef struct state_ctx {
	state_offset *offsets;
	size_t n_offsets, cap_offsets; /* owned */
	size_t n_models;               /* = pl->n_models at state_ctx_init */
	state_keys *keys;              /* owned, n_models, parallel to pl->models */
	state_model_status *status;    /* owned, n_models; set by state_load */
	size_t n_dropped_models;       /* state_load: models in the file, not in pl */
	uint64_t join_dropped;         /* state_load: join entries not restored
					  (their model is gone, or the ring is smaller) */
	int64_t saved_at_ms;           /* state_load: wall clock of that save */
	size_t decisions_seen;         /* entries of pl->decisions harvested */
	unsigned char *cursor;         /* owned: a source's resume point other
					  than offsets (the S3 cursor,
					  daemon_s3.h), opaque here; NULL */
	size_t cursor_len;             /* when none */
} state_ctx;

/* Sizes c for pl's models (all FRESH, no keys, no offsets). Caller frees
 * with state_ctx_free(). The pipeline must keep its models while c is used
 * with it. */
int state_ctx_init(state_ctx *c, const pipeline *pl, kpg_err *err);
void state_ctx_free(state_ctx *c);

/* Sets (or adds) the resume point of topic/partition. The topic is
 * copied. Returns 0, KPG_EINVAL (empty or longer than STATE_TOPIC_MAX, or
 * a negative offset), KPG_ETOOBIG (more than STATE_MAX_OFFSETS) or
 * KPG_ENOMEM. */
int state_offset_set(state_ctx *c, const char *topic, int32_t partition,
		     int64_t next_offset, kpg_err *err);

/* The resume point of topic/partition, or NULL. Borrowed from c until the
 * next state_offset_set, state_load or state_ctx_free. */
const state_offset *state_offset_get(const state_ctx *c, const char *topic,
				     int32_t partition);

/* Replaces c's cursor with a copy of len bytes (len 0: none); saved
 * with the next state_save, restored by state_load. Returns 0,
 * KPG_ETOOBIG (over STATE_MAX_CURSOR) or KPG_ENOMEM (c unchanged). */
int state_cursor_set(state_ctx *c, const void *bytes, size_t len);

/* Notes that model decided key; a key already kept is not added twice. */
void state_keys_note(state_ctx *c, size_t model, const char *key);

/* 1 when model's last STATE_KEYS_KEPT decisions include key, else 0. */
int state_keys_seen(const state_ctx *c, size_t model, const char *key);

/* Notes the idempotency keys of the decisions appended to pl->decisions
 * since the last harvest. state_save calls it; call it before trimming
 * pl->decisions, and after trimming set c->decisions_seen to the new size
 * (a shorter array than decisions_seen is harvested again from 0, which is
 * harmless: noting is idempotent). */
void state_keys_harvest(state_ctx *c, const pipeline *pl);

/* Writes dir/checkpoint.bin atomically from pl and c (harvesting keys
 * first). On any failure the previous checkpoint is untouched and the
 * temporary file is removed. Returns 0, KPG_EIO (with errno's text in err),
 * KPG_EINVAL (path too long, more than STATE_MAX_MODELS models) or
 * KPG_ENOMEM. Call it between pipeline calls, never inside one. */
int state_save(const char *dir, const pipeline *pl, state_ctx *c,
	       kpg_err *err);

/* Restores dir/checkpoint.bin into pl, which must be freshly initialised
 * (pipeline_init, nothing fed) from the current policies, and into c
 * (state_ctx_init'ed for pl: its offsets and keys are replaced). A
 * leftover checkpoint.bin.tmp is removed first.
 *
 * A model whose policy SHA-256 or reference schema differs from the file's
 * starts fresh (c->status says which and why); its decided keys are kept.
 * Models of the file that pl does not have are skipped
 * (c->n_dropped_models) and their waiting predictions dropped.
 *
 * Returns 0; KPG_ENOTFOUND when there is no checkpoint; KPG_EINTEGRITY
 * when the file is corrupt or truncated (checksum, magic, end marker);
 * KPG_EINVAL for an unsupported version; KPG_EIO; KPG_ENOMEM. On any
 * error (KPG_ENOTFOUND included) pl's model state, join buffer, clock and
 * stats and all of c are fresh: a corrupt file never half-applies. */
int state_load(const char *dir, pipeline *pl, state_ctx *c, kpg_err *err);

/* "fresh", "restored", "reset_policy", "reset_schema". */
const char *state_model_status_name(state_model_status s);

/* SHA-256 of a reference's schema: feature count, then per feature its
 * name, type and category names in code order. */
int state_reference_fingerprint(const reference *ref, unsigned char out[32]);

#endif
