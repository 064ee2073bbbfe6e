#include "outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpg_file.h"

struct outbox {
	char *dir;
};

static int token_ok(const char *t)
{
	size_t n = 0;

	for (; t[n]; n++)
		if (!((t[n] >= 'a' && t[n] <= 'z') || (t[n] >= 'A' && t[n] <= 'Z') ||
		      (t[n] >= '0' && t[n] <= '9') || t[n] == '-' || t[n] == '_'))
			return 0;
	return n >= 1 && n <= 128;
}

int outbox_open(const char *dir, outbox **out, kpg_err *err)
{
	outbox *ob;

	*out = NULL;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		kpg_err_set(err, "outbox %s: %s", dir, strerror(errno));
		return KPG_EIO;
	}
	ob = calloc(1, sizeof(*ob));
	if (ob == NULL || (ob->dir = strdup(dir)) == NULL) {
		free(ob);
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	*out = ob;
	return 0;
}

void outbox_close(outbox *ob)
{
	if (ob == NULL)
		return;
	free(ob->dir);
	free(ob);
}

const char *outbox_dir(const outbox *ob)
{
	return ob->dir;
}

static int entry_path(const outbox *ob, const char *token, const char *suffix,
		      char *out, size_t cap, kpg_err *err)
{
	if (!token_ok(token)) {
		kpg_err_set(err, "outbox: bad token");
		return KPG_EINVAL;
	}
	if ((size_t)snprintf(out, cap, "%s/%s%s", ob->dir, token, suffix) >= cap) {
		kpg_err_set(err, "outbox: path too long");
		return KPG_ETOOBIG;
	}
	return 0;
}

int outbox_put(outbox *ob, const char *token, const json_t *entry, kpg_err *err)
{
	char tmp[4096], final[4096], *text = NULL;
	size_t len, off = 0;
	int fd = -1, rc;

	if ((rc = entry_path(ob, token, ".json.tmp", tmp, sizeof(tmp), err)) ||
	    (rc = entry_path(ob, token, ".json", final, sizeof(final), err)))
		return rc;
	text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	len = strlen(text);
	rc = KPG_EIO;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		kpg_err_set(err, "outbox %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			kpg_err_set(err, "outbox %s: write: %s", tmp,
				    w < 0 ? strerror(errno) : "nothing written");
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		kpg_err_set(err, "outbox %s: fsync: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, final) != 0 || kpg_fsync_dir(ob->dir) != 0) {
		kpg_err_set(err, "outbox %s: %s", final, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	free(text);
	return rc;
}

int outbox_remove(outbox *ob, const char *token, kpg_err *err)
{
	char path[4096];
	int rc = entry_path(ob, token, ".json", path, sizeof(path), err);

	if (rc)
		return rc;
	if (unlink(path) != 0 && errno != ENOENT) {
		kpg_err_set(err, "outbox %s: %s", path, strerror(errno));
		return KPG_EIO;
	}
	/* its lock file too (a claimer that opened it meanwhile finds the
	 * entry gone) */
	if (entry_path(ob, token, ".lock", path, sizeof(path), err) == 0)
		(void)unlink(path);
	if (kpg_fsync_dir(ob->dir) != 0) {
		kpg_err_set(err, "outbox %s: fsync: %s", ob->dir, strerror(errno));
		return KPG_EIO;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int outbox_list(outbox *ob, json_t **tokens, kpg_err *err)
{
	DIR *d = opendir(ob->dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	json_t *arr = NULL;
	int rc = KPG_ENOMEM;

	*tokens = NULL;
	if (d == NULL) {
		kpg_err_set(err, "outbox %s: %s", ob->dir, strerror(errno));
		return KPG_EIO;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *tok;

		if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (v == NULL)
				goto out;
			names = v;
		}
		tok = strndup(e->d_name, len - 5);
		if (tok == NULL)
			goto out;
		if (!token_ok(tok)) {
			free(tok);
			continue;
		}
		names[n++] = tok;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	arr = json_array();
	if (arr == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, json_string(names[i])) != 0)
			goto out;
	*tokens = arr;
	arr = NULL;
	rc = 0;
out:
	if (rc)
		kpg_err_set(err, "out of memory listing the outbox");
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	json_decref(arr);
	return rc;
}

int outbox_claim(outbox *ob, const char *token, json_t **entry, int *lock_fd,
		 kpg_err *err)
{
	char path[4096], lock[4096];
	json_error_t jerr;
	json_t *e;
	int fd, rc;

	*entry = NULL;
	*lock_fd = -1;
	if ((rc = entry_path(ob, token, ".json", path, sizeof(path), err)) ||
	    (rc = entry_path(ob, token, ".lock", lock, sizeof(lock), err)))
		return rc;
	/* the lock lives in its own file: outbox_put renames a new version of
	 * the entry into place, which a lock on the entry would not follow */
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		kpg_err_set(err, "outbox %s: %s", lock, strerror(errno));
		return KPG_EIO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		kpg_err_set(err, "outbox %s is being delivered by another process", token);
		return KPG_EBUSY;
	}
	e = json_load_file(path, 0, &jerr);
	if (e == NULL || !json_is_object(e)) {
		json_decref(e);
		close(fd);
		if (access(path, F_OK) != 0) {
			kpg_err_set(err, "outbox %s is gone", token);
			return KPG_ENOTFOUND;
		}
		kpg_err_set(err, "outbox %s: %s (line %d)", path,
			    e ? "not an object" : jerr.text, jerr.line);
		return KPG_EINTEGRITY;
	}
	*entry = e;
	*lock_fd = fd;
	return 0;
}

void outbox_release(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd); /* releases the flock */
}
