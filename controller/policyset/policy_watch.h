/* policy_watch.h - tells the daemon when to re-read policy_dir: after a
 * change in the folder once it has been quiet for a debounce (so a file
 * half written by an editor is not read), or at once after SIGHUP.
 *
 * The folder itself is watched with inotify, never the files, and every
 * event counts as "something changed": editors write a temporary file and
 * rename it, and Kubernetes ConfigMap volumes swap a `..data` symlink
 * atomically, so the names that change are rarely the *.json names.
 * Without inotify (not Linux, no watches left, no folder) the watch
 * degrades to SIGHUP only, with a warning rather than an error.
 *
 * One watch per process: the SIGHUP flag is process-wide because a signal
 * handler has no context to hand it. */
#ifndef POLICY_WATCH_H
#define POLICY_WATCH_H

#include <stdint.h>

#include "kpg_error.h"

#define POLICY_WATCH_DEBOUNCE_MS 500

typedef struct policy_watch policy_watch;

/* Watches dir (borrowed for the call; copied). debounce_ms 0 = the
 * default. Returns 0 with *out (caller frees with policy_watch_close);
 * when inotify cannot watch dir the watch still opens, SIGHUP only, and
 * err->msg holds a warning to log (empty otherwise). KPG_ENOMEM. */
int policy_watch_open(policy_watch **out, const char *dir, int64_t debounce_ms,
		      kpg_err *err);
void policy_watch_close(policy_watch *w);

/* Asks for a reload at the next poll. Async-signal-safe: it only sets a
 * volatile sig_atomic_t, so a SIGHUP handler may call it. */
void policy_watch_request(void);

/* Returns 1 when the policies should be re-read now: a reload was
 * requested (policy_watch_request) since the last 1, or the folder changed
 * and nothing more happened for the debounce. Otherwise 0. Never blocks.
 * The quiet time is measured between polls, so poll at least every
 * debounce/2 (the daemon polls between Kafka batches). */
int policy_watch_poll(policy_watch *w);

/* policy_watch_poll with the monotonic time given (ms), for tests. */
int policy_watch_poll_at(policy_watch *w, int64_t now_ms);

/* The inotify descriptor (non-blocking; readable when something changed)
 * to add to a poll set, or -1 when degraded to SIGHUP only. */
int policy_watch_fd(const policy_watch *w);

/* Monotonic clock in ms, the one policy_watch_poll uses. */
int64_t policy_watch_now_ms(void);

#endif
