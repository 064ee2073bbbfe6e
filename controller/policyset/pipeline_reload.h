/* pipeline_reload.h - swapping a running model's policy (hot reload).
 *
 * When the new policy measures windows the same way as the old one -
 * same reference (resolved path and the options reference_load gets:
 * label column, excluded columns, declared feature types, PSI bins) and
 * same window definition (records, span, origin, task, score threshold)
 * - the open window, the windows waiting for labels, guard state and
 * tallies carry on and the new thresholds, guards and action apply from
 * the next decision. Otherwise the open window is first closed and every
 * waiting window decided under the OLD policy with the labels in hand,
 * exactly as pipeline_finish does (decisions marked policy_reload), then
 * the new reference is loaded and a fresh window starts. Guard state (consecutive breaches, cooldown, retrain budget),
 * window numbering and tallies always carry on: a reload never buys a
 * model extra retrains. The capture decoder is rebuilt when the score
 * field changed. policy_loaded is audited by policy_reload_scan, once per
 * reload, not here. */
#ifndef PIPELINE_RELOAD_H
#define PIPELINE_RELOAD_H

#include <stddef.h>

#include "kpg_error.h"
#include "pipeline.h"
#include "policy.h"
#include "policy_reload.h"

/* Replaces model's policy with newpol, which must name the same model.
 * Takes ownership of newpol on success only; on any failure (KPG_EINVAL,
 * KPG_ENOMEM, a reference that does not load, or the audit log failing
 * while the old window is finished) the caller still owns newpol and the
 * old policy keeps running untouched - except that a window finished
 * before an audit failure is gone, as with pipeline_finish. */
int pipeline_replace_policy(pipeline *pl, size_t model, policy *newpol,
			    kpg_err *err);

/* Applies a scan's accepted changes to one pipeline: every changed entry
 * of s whose model this pipeline runs gets a fresh policy from the
 * accepted bytes. Every change is tried; returns 0 or the first failure
 * (err names the model). */
int pipeline_apply_reload(pipeline *pl, const policy_set *s,
			  const policy_reload_result *res, kpg_err *err);

#endif
