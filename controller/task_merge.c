#include "task_merge.h"

#include <stdlib.h>
#include <string.h>

void merge_init(task_merge *m, void (*release)(const void *rkm))
{
	memset(m, 0, sizeof(*m));
	m->release = release;
}

void merge_drop(task_merge *m, int side)
{
	merge_queue *q = &m->q[side];

	for (size_t i = 0; i < q->n; i++)
		if (m->release != NULL)
			m->release(q->v[(q->head + i) % q->cap].rkm);
	q->head = q->n = 0;
}

void merge_free(task_merge *m)
{
	for (int s = 0; s < 2; s++) {
		merge_drop(m, s);
		free(m->q[s].v);
	}
	memset(m, 0, sizeof(*m));
}

static int queue_grow(merge_queue *q, kpg_err *err)
{
	size_t cap = q->cap ? q->cap * 2 : 1024;
	kafka_msg_view *v = malloc(cap * sizeof(*v));

	if (v == NULL) {
		kpg_err_set(err, "out of memory holding %zu records", q->n + 1);
		return KPG_ENOMEM;
	}
	for (size_t i = 0; i < q->n; i++) /* unwrap the ring */
		v[i] = q->v[(q->head + i) % q->cap];
	free(q->v);
	q->v = v;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int merge_push(task_merge *m, int side, const kafka_msg_view *v, kpg_err *err)
{
	merge_queue *q = &m->q[side];
	int rc;

	if (q->n == q->cap && (rc = queue_grow(q, err)) != 0)
		return rc;
	q->v[(q->head + q->n) % q->cap] = *v;
	q->n++;
	q->at_end = 0;
	return 0;
}

void merge_set_at_end(task_merge *m, int side, int at_end)
{
	m->q[side].at_end = at_end;
}

size_t merge_held(const task_merge *m, int side)
{
	return m->q[side].n;
}

static void pop(merge_queue *q, kafka_msg_view *out)
{
	*out = q->v[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

int merge_next(task_merge *m, int64_t now_ms, int64_t max_idle_ms,
	       kafka_msg_view *out)
{
	merge_queue *c = &m->q[MERGE_CAPTURE], *g = &m->q[MERGE_GT];
	merge_queue *ready, *other;

	if (c->n > 0 && g->n > 0) {
		const kafka_msg_view *hc = &c->v[c->head], *hg = &g->v[g->head];

		m->waiting_since_ms = 0;
		pop(hg->timestamp_ms <= hc->timestamp_ms ? g : c, out);
		return 1;
	}
	if (c->n == 0 && g->n == 0) {
		m->waiting_since_ms = 0;
		return 0;
	}
	ready = c->n > 0 ? c : g;
	other = ready == c ? g : c;
	if (other->at_end) {
		m->waiting_since_ms = 0;
		pop(ready, out);
		return 1;
	}
	/* The other partition may still hold older records: wait, but not
	 * forever. Once the wait has run out, what is held goes; a record
	 * arriving after that waits afresh. */
	if (m->waiting_since_ms == 0)
		m->waiting_since_ms = now_ms > 0 ? now_ms : 1;
	if (max_idle_ms < 0 || now_ms - m->waiting_since_ms < max_idle_ms)
		return 0;
	m->idle_timeouts++;
	pop(ready, out);
	if (ready->n == 0)
		m->waiting_since_ms = 0;
	return 1;
}
