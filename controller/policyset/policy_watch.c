#include "policy_watch.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

/* Everything that can mean "a policy changed": writes closed, renames
 * in and out (editors, ConfigMap ..data swaps), new and removed names,
 * modes and times (touch, chmod), and the folder itself going away. */
#define POLICY_WATCH_MASK (IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | \
			   IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | \
			   IN_DELETE_SELF | IN_MOVE_SELF)
/* reads per poll: a storm of events is drained over several polls */
#define POLICY_WATCH_MAX_READS 64

struct policy_watch {
	char *dir; /* owned */
	int fd;    /* inotify, -1 when SIGHUP only */
	int wd;    /* -1 when the folder's watch is gone */
	int64_t debounce_ms;
	int pending; /* changes seen, not yet reported */
	int64_t last_change_ms;
};

static volatile sig_atomic_t policy_watch_requested;

void policy_watch_request(void)
{
	policy_watch_requested = 1;
}

int64_t policy_watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int policy_watch_open(policy_watch **out, const char *dir, int64_t debounce_ms,
		      kpg_err *err)
{
	policy_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	kpg_err_clear(err);
	if (w == NULL || (w->dir = strdup(dir)) == NULL) {
		free(w);
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	w->debounce_ms = debounce_ms > 0 ? debounce_ms : POLICY_WATCH_DEBOUNCE_MS;
	w->wd = -1;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		kpg_err_set(err, "cannot watch policy_dir %s (inotify: %s); policies are reloaded on SIGHUP only",
			    dir, strerror(errno));
	} else if ((w->wd = inotify_add_watch(w->fd, dir, POLICY_WATCH_MASK)) < 0) {
		kpg_err_set(err, "cannot watch policy_dir %s (%s); policies are reloaded on SIGHUP only",
			    dir, strerror(errno));
		close(w->fd);
		w->fd = -1;
	}
	*out = w;
	return 0;
}

void policy_watch_close(policy_watch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	free(w);
}

int policy_watch_fd(const policy_watch *w)
{
	return w->fd;
}

/* Reads what inotify has; 1 when any event (or an overflow) was seen. */
static int drain(policy_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int seen = 0;

	for (int i = 0; i < POLICY_WATCH_MAX_READS; i++) {
		ssize_t got = read(w->fd, buf, sizeof(buf));

		if (got <= 0)
			break; /* EAGAIN: nothing more; errors: try next poll */
		seen = 1;
		for (ssize_t off = 0; off < got;) {
			const struct inotify_event *ev =
				(const struct inotify_event *)(buf + off);

			/* the folder was removed or moved: watch it again
			 * once it is back */
			if (ev->mask & IN_IGNORED)
				w->wd = -1;
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
	if (w->wd < 0 && w->fd >= 0) {
		w->wd = inotify_add_watch(w->fd, w->dir, POLICY_WATCH_MASK);
		if (w->wd >= 0)
			seen = 1; /* back: its content may be new */
	}
	return seen;
}

int policy_watch_poll_at(policy_watch *w, int64_t now_ms)
{
	if (w->fd >= 0 && drain(w)) {
		w->pending = 1;
		w->last_change_ms = now_ms;
	}
	if (policy_watch_requested) {
		policy_watch_requested = 0;
		w->pending = 0; /* the reload reads everything anyway */
		return 1;
	}
	if (w->pending && now_ms - w->last_change_ms >= w->debounce_ms) {
		w->pending = 0;
		return 1;
	}
	return 0;
}

int policy_watch_poll(policy_watch *w)
{
	return policy_watch_poll_at(w, policy_watch_now_ms());
}
