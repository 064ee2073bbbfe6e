#include "daemon_task.h"
#include "kafka_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kpg_log.h"
#include "kpg_time.h"

int daemon_task_already_decided(void *opaque, size_t model, const char *key)
{
	const daemon_task *t = opaque;

	if (state_keys_seen(&t->st, model, key) ||
	    (t->audit_keys != NULL && state_keys_seen(t->audit_keys, model, key)))
		return PIPELINE_DECIDED;
	if (t->audit_evaluated != NULL && state_keys_seen(t->audit_evaluated, model, key))
		return PIPELINE_EVALUATED;
	return PIPELINE_NEW;
}

#define TASK_DECIDED_FILE "decided.log"
#define TASK_DECIDED_MAX (4 * 1024 * 1024) /* bytes read back at open */

/* The decided-keys journal: one "model<TAB>key" line per decision taken
 * since the last checkpoint, appended and fsync'd after the decision is
 * in the audit log and before its action. A replica that takes the
 * partition over after a crash finds there what the checkpoint does not
 * hold yet (the replica's own audit log is not visible to others).
 * Emptied after every checkpoint, which keeps the keys itself. */
static int task_on_decided(void *opaque, size_t model, const char *key,
			   kpg_err *err)
{
	daemon_task *t = opaque;
	const char *name = t->pl.models[model].pol->model;
	char line[512];
	int n = snprintf(line, sizeof(line), "%s\t%s\n", name, key);
	ssize_t w;

	if (n <= 0 || (size_t)n >= sizeof(line)) {
		kpg_err_set(err, "decision key of %s too long to journal", name);
		return KPG_EINVAL;
	}
	w = write(t->decided_fd, line, (size_t)n);
	if (w != n || fsync(t->decided_fd) != 0) {
		kpg_err_set(err, "cannot journal decision %s in %s/%s: %s", key,
			    t->dir, TASK_DECIDED_FILE, w < 0 || w == n ? strerror(errno) : "short write");
		return KPG_EIO;
	}
	state_keys_note(&t->st, model, key);
	return 0;
}

/* Notes every key of the journal (a line for a model we do not have is
 * skipped; a torn last line is ignored: its decision's action never ran,
 * and the audit log of the replica that wrote it has the decision). */
static int task_read_decided(daemon_task *t, kpg_err *err)
{
	char *buf = malloc(TASK_DECIDED_MAX + 1);
	size_t len = 0;
	ssize_t r;
	char *line, *save = NULL;

	if (buf == NULL)
		return KPG_ENOMEM;
	while (len < TASK_DECIDED_MAX &&
	       (r = pread(t->decided_fd, buf + len, TASK_DECIDED_MAX - len,
			  (off_t)len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] != '\n') {
		char *nl = strrchr(buf, '\n');

		if (nl == NULL)
			buf[0] = '\0';
		else
			nl[1] = '\0';
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');

		if (tab == NULL)
			continue;
		*tab = '\0';
		for (size_t i = 0; i < t->pl.n_models; i++)
			if (strcmp(t->pl.models[i].pol->model, line) == 0)
				state_keys_note(&t->st, i, tab + 1);
	}
	free(buf);
	(void)err;
	return 0;
}

/* Takes the folder's lock, retrying every 100 ms up to wait_ms. */
static int task_lock(daemon_task *t, int wait_ms, kpg_err *err)
{
	char path[4096];
	int64_t deadline = kpg_time_now_ms() + wait_ms;
	struct timespec nap = {0, 100 * 1000 * 1000};

	if ((size_t)snprintf(path, sizeof(path), "%s/lock", t->dir) >= sizeof(path)) {
		kpg_err_set(err, "state folder path too long: %s", t->dir);
		return KPG_EINVAL;
	}
	t->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (t->lock_fd < 0) {
		kpg_err_set(err, "cannot open %s: %s", path, strerror(errno));
		return KPG_EIO;
	}
	for (;;) {
		if (flock(t->lock_fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			kpg_err_set(err, "cannot lock %s: %s", path, strerror(errno));
			return KPG_EIO;
		}
		if (kpg_time_now_ms() >= deadline)
			break;
		nanosleep(&nap, NULL);
	}
	kpg_err_set(err, "%s is still locked by another kpigate after %d ms: "
			 "a replica that has not yet given up partition %d",
		    path, wait_ms, (int)t->partition);
	return KPG_EBUSY;
}

int daemon_task_open(daemon_task **out, const char *state_dir,
		     const char *capture_topic, int32_t partition,
		     policy **pols, size_t n, const pipeline_options *po,
		     audit_log *audit, const state_ctx *audit_keys,
		     const state_ctx *audit_evaluated, int lock_wait_ms,
		     kpg_err *err)
{
	daemon_task *t = calloc(1, sizeof(*t));
	int pl_ready = 0, st_ready = 0;
	size_t len;
	int rc;

	*out = NULL;
	if (t == NULL) {
		rc = KPG_ENOMEM;
		goto fail;
	}
	t->lock_fd = -1;
	merge_init(&t->merge, kafka_src_msg_free);
	t->decided_fd = -1;
	t->partition = partition;
	t->audit_keys = audit_keys;
	t->audit_evaluated = audit_evaluated;
	len = strlen(state_dir) + strlen(capture_topic) + 16;
	t->dir = malloc(len);
	if (t->dir == NULL) {
		rc = KPG_ENOMEM;
		goto fail;
	}
	snprintf(t->dir, len, "%s/%s-%d", state_dir, capture_topic, (int)partition);
	if (mkdir(t->dir, 0750) != 0 && errno != EEXIST) {
		kpg_err_set(err, "cannot create %s: %s", t->dir, strerror(errno));
		rc = KPG_EIO;
		goto fail;
	}
	rc = task_lock(t, lock_wait_ms, err);
	if (rc)
		goto fail;
	/* no audit here: policy_loaded was recorded once, at start-up */
	rc = pipeline_init(&t->pl, pols, n, po, NULL, NULL, err);
	pols = NULL; /* taken, also on failure */
	if (rc)
		goto fail;
	pl_ready = 1;
	t->pl.audit = audit;
	rc = state_ctx_init(&t->st, &t->pl, err);
	if (rc)
		goto fail;
	st_ready = 1;
	rc = state_load(t->dir, &t->pl, &t->st, err);
	if (rc == KPG_ENOTFOUND) {
		rc = 0;
	} else if (rc != 0) {
		goto fail; /* a corrupt checkpoint needs a person, not a guess */
	} else {
		t->restored = 1;
	}
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", t->dir, TASK_DECIDED_FILE);
		t->decided_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (t->decided_fd < 0) {
			kpg_err_set(err, "cannot open %s: %s", path, strerror(errno));
			rc = KPG_EIO;
			goto fail;
		}
	}
	rc = task_read_decided(t, err);
	if (rc)
		goto fail;
	t->pl.already_decided = daemon_task_already_decided;
	t->pl.on_decided = task_on_decided;
	t->pl.already_decided_opaque = t;
	t->last_checkpoint_ms = kpg_time_now_ms();
	*out = t;
	return 0;
fail:
	if (pols != NULL)
		for (size_t i = 0; i < n; i++)
			policy_free(pols[i]);
	if (t != NULL) {
		if (st_ready)
			state_ctx_free(&t->st);
		if (pl_ready)
			pipeline_free(&t->pl);
		if (t->decided_fd >= 0)
			close(t->decided_fd);
		if (t->lock_fd >= 0)
			close(t->lock_fd);
		free(t->dir);
		free(t);
	}
	return rc ? rc : KPG_ENOMEM;
}

int daemon_task_checkpoint(daemon_task *t, kpg_err *err)
{
	int rc = state_save(t->dir, &t->pl, &t->st, err);

	if (rc)
		return rc;
	/* the checkpoint holds the journal's keys now; a failed truncate
	 * only leaves keys that are noted twice, harmlessly */
	if (ftruncate(t->decided_fd, 0) != 0)
		log_warnx("cannot empty %s/%s: %s", t->dir, TASK_DECIDED_FILE,
			  strerror(errno));
	/* the decisions array only feeds the idempotency keys, now kept */
	json_array_clear(t->pl.decisions);
	t->st.decisions_seen = 0;
	t->metrics_seen = 0;
	t->dirty = 0;
	t->last_checkpoint_ms = kpg_time_now_ms();
	t->checkpoints++;
	return 0;
}

void daemon_task_close(daemon_task *t)
{
	if (t == NULL)
		return;
	merge_free(&t->merge); /* releases the records it still holds */
	state_ctx_free(&t->st);
	pipeline_free(&t->pl);
	if (t->decided_fd >= 0)
		close(t->decided_fd);
	if (t->lock_fd >= 0)
		close(t->lock_fd); /* releases the flock */
	free(t->dir);
	free(t);
}
