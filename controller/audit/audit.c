/* audit.c - the audit log writer: canonical form, record hash, open (verify,
 * resume, repair a torn tail) and durable append. Verification lives in
 * audit_verify.c; the format is described in docs/audit.md. */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpg_time.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct audit_log {
	int fd;
	int regular;     /* a regular file (can be truncated and fsync'd) */
	uint64_t seq;    /* seq of the last record, 0 when empty */
	char hash[65];   /* hash of the last record, ZERO_HASH when empty */
	off_t size;      /* bytes of intact records */
	char path[4096]; /* for messages */
	/* appends come from the consumer loop and the action worker */
	pthread_mutex_t mu;
};

char *audit_canonical(const json_t *record)
{
	return json_dumps(record, JSON_SORT_KEYS | JSON_COMPACT |
					  JSON_ENSURE_ASCII |
					  JSON_REAL_PRECISION(17));
}

int audit_hash_record(const json_t *record, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	json_t *copy;
	char *text = NULL;
	int rc = KPG_ENOMEM;

	if (!json_is_object(record))
		return KPG_EINVAL;
	/* json_copy is shallow and does not change record; dropping "hash"
	 * from the copy leaves the record's own members alone. */
	copy = json_copy((json_t *)record);
	if (copy == NULL)
		return KPG_ENOMEM;
	json_object_del(copy, "hash");
	text = audit_canonical(copy);
	if (text == NULL)
		goto out;
	if (EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		rc = KPG_EINVAL;
		goto out;
	}
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
	rc = 0;
out:
	free(text);
	json_decref(copy);
	return rc;
}

uint64_t audit_last_seq(const audit_log *log)
{
	audit_log *l = (audit_log *)log; /* the lock only */
	uint64_t seq;

	pthread_mutex_lock(&l->mu);
	seq = l->seq;
	pthread_mutex_unlock(&l->mu);
	return seq;
}

const char *audit_last_hash(const audit_log *log)
{
	return log->hash;
}

void audit_close(audit_log *log)
{
	if (log == NULL)
		return;
	if (log->fd >= 0)
		close(log->fd); /* also releases the flock */
	pthread_mutex_destroy(&log->mu);
	free(log);
}

/* Resumes after the verified prefix; repairs a torn last line. */
static int resume(audit_log *log, off_t file_size, kpg_err *err)
{
	audit_verify_result res;
	int rc;

	rc = audit_walk_fd(log->fd, &res, NULL, NULL, err);
	if (rc == KPG_EINTEGRITY && res.torn_tail) {
		if (ftruncate(log->fd, (off_t)res.intact_bytes) != 0 ||
		    fsync(log->fd) != 0) {
			kpg_err_set(err, "%s: cannot truncate a torn last line: %s",
				    log->path, strerror(errno));
			return KPG_EIO;
		}
		kpg_err_set(err,
			    "warning: %s:%llu: removed an incomplete last line (%llu bytes, no newline) left by an interrupted append",
			    log->path, (unsigned long long)res.bad_line,
			    (unsigned long long)(file_size - (off_t)res.intact_bytes));
		rc = 0;
	} else if (rc == KPG_EINTEGRITY) {
		kpg_err_set(err,
			    "%s:%llu: %s; refusing to append to a broken audit log",
			    log->path, (unsigned long long)res.bad_line, res.reason);
		return rc;
	} else if (rc) {
		return rc;
	}
	log->seq = res.records;
	memcpy(log->hash, res.head_hash, sizeof(log->hash));
	log->size = (off_t)res.intact_bytes;
	return 0;
}

int audit_open(const char *path, audit_log **out, kpg_err *err)
{
	audit_log *log = NULL;
	struct stat st;
	int rc = KPG_EIO;

	kpg_err_clear(err);
	if (path == NULL || out == NULL || path[0] == '\0') {
		kpg_err_set(err, "audit_open: no path given");
		return KPG_EINVAL;
	}
	*out = NULL;
	log = calloc(1, sizeof(*log));
	if (log == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	pthread_mutex_init(&log->mu, NULL);
	snprintf(log->path, sizeof(log->path), "%s", path);
	memcpy(log->hash, ZERO_HASH, sizeof(log->hash));
	/* O_RDWR: the existing log is read back (pread) to verify it. */
	log->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (log->fd < 0) {
		kpg_err_set(err, "%s: cannot open audit log: %s", path,
			    strerror(errno));
		goto fail;
	}
	/* Two writers would fork the chain. */
	if (flock(log->fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
		kpg_err_set(err, "%s: audit log is in use by another process",
			    path);
		goto fail;
	}
	if (fstat(log->fd, &st) != 0) {
		kpg_err_set(err, "%s: fstat: %s", path, strerror(errno));
		goto fail;
	}
	log->regular = S_ISREG(st.st_mode);
	/* A device or pipe (st_size 0) is written to but never read back. */
	if (log->regular && st.st_size > 0) {
		rc = resume(log, st.st_size, err);
		if (rc)
			goto fail;
	}
	*out = log;
	return 0;
fail:
	audit_close(log);
	return rc;
}

/* Undo a failed append: cut the file back to its last intact record. */
static void roll_back(audit_log *log)
{
	if (log->regular && ftruncate(log->fd, log->size) == 0)
		(void)fsync(log->fd);
}

/* Builds the line (canonical record with hash, newline) for the next
 * record. Caller frees *line. */
static int build_line(const audit_log *log, const char *event,
		      const char *model, json_t *data, char **line,
		      size_t *len, char hash[65], kpg_err *err)
{
	char when[32], *text = NULL, *grown;
	json_t *rec, *back = NULL;
	char *again = NULL;
	json_error_t jerr;
	int rc = KPG_ENOMEM;

	kpg_time_format_iso8601(kpg_time_now_ms(), when, sizeof(when));
	rec = json_object();
	/* data is borrowed: json_object_set takes its own reference. */
	if (rec == NULL ||
	    json_object_set_new(rec, "seq", json_integer((json_int_t)(log->seq + 1))) ||
	    json_object_set_new(rec, "time", json_string(when)) ||
	    json_object_set_new(rec, "event", json_string(event)) ||
	    json_object_set_new(rec, "model",
				model ? json_string(model) : json_null()) ||
	    (data ? json_object_set(rec, "data", data)
		  : json_object_set_new(rec, "data", json_object())) ||
	    json_object_set_new(rec, "prev_hash", json_string(log->hash))) {
		kpg_err_set(err,
			    "cannot build audit record (event and model must be UTF-8)");
		rc = KPG_EINVAL;
		goto out;
	}
	rc = audit_hash_record(rec, hash);
	if (rc) {
		kpg_err_set(err, "cannot hash audit record");
		goto out;
	}
	rc = KPG_ENOMEM;
	if (json_object_set_new(rec, "hash", json_string(hash)) != 0)
		goto out;
	text = audit_canonical(rec);
	if (text == NULL) {
		kpg_err_set(err, "cannot serialise audit record");
		goto out;
	}
	*len = strlen(text) + 1;
	if (*len > AUDIT_LINE_MAX) {
		kpg_err_set(err, "audit record of %zu bytes exceeds the %u byte cap",
			    *len, AUDIT_LINE_MAX);
		rc = KPG_ETOOBIG;
		goto out;
	}
	/* Self-check: the line must read back to the same bytes, or the log
	 * would hold a record that audit verify rejects. */
	back = json_loadb(text, *len - 1, JSON_REJECT_DUPLICATES, &jerr);
	again = back ? audit_canonical(back) : NULL;
	if (again == NULL || strcmp(again, text) != 0) {
		kpg_err_set(err,
			    "audit record (event %s) does not survive a round trip through JSON; refusing to write it",
			    event);
		rc = KPG_EINVAL;
		goto out;
	}
	grown = realloc(text, *len + 1);
	if (grown == NULL) {
		kpg_err_set(err, "out of memory");
		goto out;
	}
	text = grown;
	text[*len - 1] = '\n';
	text[*len] = '\0';
	*line = text;
	text = NULL;
	rc = 0;
out:
	free(again);
	json_decref(back);
	free(text);
	json_decref(rec);
	return rc;
}

static int append_locked(audit_log *log, const char *event, const char *model,
			 json_t *data, kpg_err *err);

int audit_append(audit_log *log, const char *event, const char *model,
		 json_t *data, kpg_err *err)
{
	int rc;

	if (log == NULL) {
		kpg_err_set(err, "audit_append: no log");
		return KPG_EINVAL;
	}
	pthread_mutex_lock(&log->mu);
	rc = append_locked(log, event, model, data, err);
	pthread_mutex_unlock(&log->mu);
	return rc;
}

static int append_locked(audit_log *log, const char *event, const char *model,
			 json_t *data, kpg_err *err)
{
	char hash[65], *line = NULL;
	size_t len = 0, off = 0;
	int rc;

	if (log == NULL || event == NULL || event[0] == '\0') {
		kpg_err_set(err, "audit_append: no log or no event name");
		return KPG_EINVAL;
	}
	if (data != NULL && !json_is_object(data)) {
		kpg_err_set(err, "audit_append: data of event %s is not an object",
			    event);
		return KPG_EINVAL;
	}
	rc = build_line(log, event, model, data, &line, &len, hash, err);
	if (rc)
		return rc;
	while (off < len) {
		ssize_t w = write(log->fd, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			kpg_err_set(err, "%s: audit write failed: %s", log->path,
				    w < 0 ? strerror(errno) : "wrote nothing");
			goto io_fail;
		}
		off += (size_t)w;
	}
	if (fsync(log->fd) != 0 && !(errno == EINVAL && !log->regular)) {
		kpg_err_set(err, "%s: audit fsync failed: %s", log->path,
			    strerror(errno));
		goto io_fail;
	}
	log->seq++;
	memcpy(log->hash, hash, sizeof(log->hash));
	log->size += (off_t)len;
	free(line);
	return 0;
io_fail:
	roll_back(log);
	free(line);
	return KPG_EIO;
}
