/* reference_mm.h - a SageMaker Model Monitor baseline as the reference:
 * statistics.json read into the same `reference` a training CSV gives
 * (reference.h), and constraints.json handed over parsed for the
 * data-quality checks. How and how approximate: docs/model-monitor.md. */
#ifndef REFERENCE_MM_H
#define REFERENCE_MM_H

#include "kpg_error.h"
#include "mm_constraints.h"
#include "reference.h"

/* 1 when path holds a Model Monitor statistics.json: a JSON object whose
 * "features" is a non-empty array of objects, at least one of them with
 * numerical_statistics or string_statistics; 0 otherwise (a CSV, another
 * JSON, an unreadable file). A file whose first non-blank byte is not '{'
 * is answered from that byte; otherwise the whole file is read and parsed
 * (at most MM_FILE_MAX bytes). */
int reference_is_mm_statistics(const char *path);

/* Reads a statistics.json into out as reference_load does a CSV:
 *  - features in payload order: the file's features in file order minus
 *    opt->label_column and opt->exclude, features declared "ignore" kept
 *    in their place as ignored payload columns, or opt->payload's order
 *    when set (each name a feature or declared "ignore", every feature
 *    listed once);
 *  - types: a declared numeric/categorical type, else numerical_statistics
 *    -> numeric, string_statistics -> categorical (inferred = 1). A
 *    numeric declaration of a string feature, a categorical one of a
 *    sketched feature (its categories cannot be recovered from a sketch)
 *    and an Unknown feature without statistics are errors naming it;
 *  - numeric: the flattened KLL sketch (kll_from_levels): sorted = its
 *    items ascending, weights = 2^level, weight_total = num_present,
 *    rank_error = kll_rank_error(sketch k), or 0 when the sketch holds
 *    only level 0 (nothing was compacted); PSI bins from
 *    psi_ref_build_weighted. When num_present differs from the weights'
 *    sum, num_present is the count (it is what Model Monitor counted; the
 *    weights only give the shape);
 *  - categorical: the categorical buckets (names blank-trimmed as the CSV
 *    reader's, equal names after trimming added together), counts, the
 *    unseen slot 0; n = num_present;
 *  - missing = num_missing; n_rows = dataset.item_count; no label column
 *    (label_index -1, labels empty): a statistics.json has no rows;
 *  - source = REFERENCE_SOURCE_MM_STATISTICS, source_sha256 = the hex
 *    SHA-256 of the file's bytes.
 * opt->err_key is set as reference_load does. Caller frees with
 * reference_free(); on an error out is empty. */
int reference_load_mm_statistics(const char *path, const reference_options *opt,
				 reference *out, kpg_err *err);

/* Reads a constraints.json (mm_constraints_load); caller frees with
 * mm_constraints_free. */
int reference_load_mm_constraints(const char *path, mm_constraints *out,
				  kpg_err *err);

#endif
