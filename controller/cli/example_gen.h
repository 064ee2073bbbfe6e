/* example_gen.h - the bundled example world behind `kpigate example`.
 *
 * Writes a simulated churn classifier's six weeks of SageMaker data capture,
 * delayed ground truth, its training set and a policy into a folder:
 *   DIR/train.csv, DIR/policy.json, DIR/README.txt,
 *   DIR/capture/churn-endpoint/AllTraffic/yyyy/mm/dd/hh/MM-SS-mmm-UUID.jsonl
 *   DIR/ground_truth/yyyy/mm/dd/hh/labels-N.jsonl
 * Days 1-14 are stable, days 15-32 carry covariate drift that leaves the
 * model's AUC alone, days 33-42 a concept change that breaks it. The world
 * is drawn from GSL's MT19937 seeded with the caller's seed: the same seed
 * and record count give byte-identical files. docs/example.md says why. */
#ifndef EXAMPLE_GEN_H
#define EXAMPLE_GEN_H

#include <stdint.h>

#include "kpg_error.h"

#define EXAMPLE_DEFAULT_SEED 42UL
#define EXAMPLE_DEFAULT_RECORDS 50000ULL
#define EXAMPLE_MIN_RECORDS 1000ULL
#define EXAMPLE_MAX_RECORDS 5000000ULL
#define EXAMPLE_TRAIN_ROWS 5000

enum example_phase {
	EXAMPLE_STABLE = 0, /* days 1-14 */
	EXAMPLE_COVARIATE,  /* days 15-32: inputs move, the KPI does not */
	EXAMPLE_HARMFUL,    /* days 33-42: the concept changes, AUC falls */
	EXAMPLE__PHASES
};

/* Counts of what one phase's capture lines hold. */
typedef struct example_phase_stats {
	uint64_t records;   /* capture lines written, malformed included */
	uint64_t base64;    /* valid lines with BASE64-encoded payloads */
	uint64_t malformed; /* lines a decoder must reject */
	uint64_t labelled;  /* records that get a ground-truth label */
	uint64_t positives; /* of those, labels equal to 1 */
} example_phase_stats;

typedef struct example_stats {
	example_phase_stats phase[EXAMPLE__PHASES];
	uint64_t train_rows;
	uint64_t capture_files, ground_truth_files;
} example_stats;

/* Name of a phase: "stable", "covariate_drift", "harmful_drift". */
const char *example_phase_name(enum example_phase ph);

#define EXAMPLE_DAYS 42

/* The phase (enum example_phase) of day 0..41, counted from 2026-01-05. */
int example_phase_of_day(int day);

/* Writes the world into dir, creating it and its folders as needed (files
 * of the same name are overwritten; see example_remove_previous). seed is
 * MT19937's (only its low 32 bits count; 0 means GSL's default 4357).
 * records must be in
 * [EXAMPLE_MIN_RECORDS, EXAMPLE_MAX_RECORDS]. Fills *st (may be NULL).
 * Returns 0, KPG_EINVAL for bad arguments, KPG_EIO on any I/O error or
 * KPG_ENOMEM, with err set; files written before an error stay. */
int example_generate(const char *dir, unsigned long seed, uint64_t records,
		     example_stats *st, kpg_err *err);

/* Removes what an earlier example_generate left in dir: the capture and
 * ground-truth .jsonl files in their folder trees (then those folders if
 * empty), train.csv, policy.json and README.txt. Nothing else is touched,
 * so a rerun with another seed does not mix two worlds. */
int example_remove_previous(const char *dir, kpg_err *err);

#endif
