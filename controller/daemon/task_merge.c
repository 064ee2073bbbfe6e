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
			m->release(q->it[(q->head + i) % q->cap].v.rkm);
	q->head = q->n = 0;
}

void merge_free(task_merge *m)
{
	for (int s = 0; s < 2; s++) {
		merge_drop(m, s);
		free(m->q[s].it);
	}
	memset(m, 0, sizeof(*m));
}

static int queue_grow(merge_queue *q, kpg_err *err)
{
	size_t cap = q->cap ? q->cap * 2 : 1024;
	merge_item *it = malloc(cap * sizeof(*it));

	if (it == NULL) {
		kpg_err_set(err, "out of memory holding %zu records", q->n + 1);
		return KPG_ENOMEM;
	}
	for (size_t i = 0; i < q->n; i++) /* unwrap the ring */
		it[i] = q->it[(q->head + i) % q->cap];
	free(q->it);
	q->it = it;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int merge_push(task_merge *m, int side, const kafka_msg_view *v, int64_t now_ms,
	       kpg_err *err)
{
	merge_queue *q = &m->q[side];
	merge_item *it;
	int rc;

	if (q->n == q->cap && (rc = queue_grow(q, err)) != 0)
		return rc;
	it = &q->it[(q->head + q->n) % q->cap];
	it->v = *v;
	it->recv_ms = now_ms;
	q->n++;
	return 0;
}

void merge_set_caught_up(task_merge *m, int side, int64_t as_of_ms)
{
	if (as_of_ms > m->q[side].caught_up_ms || as_of_ms == 0)
		m->q[side].caught_up_ms = as_of_ms;
}

size_t merge_held(const task_merge *m, int side)
{
	return m->q[side].n;
}

int merge_blocked_on(const task_merge *m)
{
	for (int s = 0; s < 2; s++) {
		const merge_queue *ready = &m->q[s], *other = &m->q[1 - s];

		if (ready->n > 0 && other->n == 0 &&
		    other->caught_up_ms < ready->it[ready->head].recv_ms)
			return 1 - s;
	}
	return -1;
}

static void pop(merge_queue *q, kafka_msg_view *out)
{
	*out = q->it[q->head].v;
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

int merge_next(task_merge *m, int64_t now_ms, int64_t max_idle_ms,
	       kafka_msg_view *out)
{
	merge_queue *c = &m->q[MERGE_CAPTURE], *g = &m->q[MERGE_GT];
	merge_queue *ready, *other;

	if (c->n > 0 && g->n > 0) {
		const kafka_msg_view *hc = &c->it[c->head].v, *hg = &g->it[g->head].v;

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
	if (other->caught_up_ms >= ready->it[ready->head].recv_ms) {
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
