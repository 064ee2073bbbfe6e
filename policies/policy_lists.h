/* policy_lists.h - the lists of a policy file (reference.exclude_columns,
 * features, payload.columns, kpis, action.parameters), checked entry by
 * entry against their rows in policy_keys.c and stored into the policy.
 * Internal to the policies room (policy_load.c). */
#ifndef POLICY_LISTS_H
#define POLICY_LISTS_H

#include <jansson.h>

#include "kpg_jsonv.h"
#include "policy.h"

/* The table row of path (policy_keys.c). */
const kpg_jsonv_key *policy_lists_row(const kpg_jsonv *v, const char *path);

/* A copy of s into *out: 0, or -1 with v->nomem set. */
int policy_lists_dup(kpg_jsonv *v, const char *s, char **out);

/* payload.columns (policy_payload.c), after features: names, each once,
 * none the label or an excluded column, every feature declared "ignore"
 * listed. Whether the others are reference columns is known only with the
 * reference (reference.c). */
void policy_load_payload(kpg_jsonv *v, json_t *a, policy *p);

/* After the table pass (label_column, task stored). task_bad: the task
 * was not a known one, so KPIs are not checked against it. Appends
 * diagnostics to v; sets v->nomem when out of memory. */
void policy_load_lists(kpg_jsonv *v, json_t *root, policy *p, int task_bad);

/* obj's "secret_file" made absolute against v->dir in place when it is
 * relative (notify targets, webhook actions and their headers). 0, or -1
 * out of memory. */
int policy_lists_resolve_secret(kpg_jsonv *v, json_t *obj);

/* Every "{name}" in s (the value at path) must be a known placeholder
 * (policy_placeholders); reports each one that is not, with a hint. */
void policy_lists_placeholders(kpg_jsonv *v, const char *path, const char *s);

/* notify (policy_notify.c), after the table pass: each webhook target has
 * exactly one of secret_file and secret_env and no event twice; the list
 * is copied into p->notify with secret_file made absolute against v->dir.
 * Sets v->nomem when out of memory. */
void policy_load_notify(kpg_jsonv *v, json_t *root, policy *p);

/* policy_labels.c: prediction.positive_label / negative_label / classes
 * against the task (before the KPIs, which may name a class). */
void policy_load_labels(kpg_jsonv *v, json_t *root, policy *p, int task_bad);
/* kpis[i].class of KPI object k with metric m: checked against the task
 * and the classes, stored in p->kpis[p->n_kpis].class_name (NULL when the
 * KPI names none). Returns -1 after reporting an error (nothing stored). */
int policy_load_kpi_class(kpg_jsonv *v, json_t *k, size_t i, policy *p,
			  kpi_metric m, int task_bad);

#endif
