/* quality_file.c - a window's constraint_violations.json, where Model
 * Monitor would put it: DIR/<model>/<window start>/, written atomically
 * (a temporary file, fsync, rename, fsync of the folder), so a reader
 * sees the old file or the whole new one. */
#include "quality_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "events_quality.h"
#include "kpg_file.h"

#define QUALITY_FILE_NAME "constraint_violations.json"

void quality_window_stamp(int64_t start_ms, char *buf, size_t len)
{
	time_t t = (time_t)(start_ms >= 0 ? start_ms / 1000
					  : -((-start_ms + 999) / 1000));
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H-%M-%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)start_ms);
}

static int make_dir(const char *path, kpg_err *err)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	kpg_err_set(err, "cannot create %s: %s", path, strerror(errno));
	return KPG_EIO;
}

int quality_write_violations(const char *dir, const char *model,
			     int64_t start_ms, const quality_result *r,
			     kpg_err *err)
{
	char stamp[40], *folder = NULL, *tmp = NULL, *final = NULL;
	json_t *doc = NULL;
	FILE *f = NULL;
	size_t len;
	int rc = KPG_ENOMEM;

	quality_window_stamp(start_ms, stamp, sizeof(stamp));
	len = strlen(dir) + strlen(model) + strlen(stamp) + sizeof(QUALITY_FILE_NAME) + 16;
	folder = malloc(len);
	tmp = malloc(len);
	final = malloc(len);
	doc = events_quality_violations(r);
	if (folder == NULL || tmp == NULL || final == NULL || doc == NULL) {
		kpg_err_set(err, "out of memory writing a violations file");
		goto done;
	}
	snprintf(folder, len, "%s/%s", dir, model);
	if ((rc = make_dir(dir, err)) != 0 || (rc = make_dir(folder, err)) != 0)
		goto done;
	snprintf(folder, len, "%s/%s/%s", dir, model, stamp);
	if ((rc = make_dir(folder, err)) != 0)
		goto done;
	snprintf(tmp, len, "%s/." QUALITY_FILE_NAME ".tmp", folder);
	snprintf(final, len, "%s/" QUALITY_FILE_NAME, folder);
	rc = KPG_EIO;
	f = fopen(tmp, "w");
	if (f == NULL) {
		kpg_err_set(err, "cannot write %s: %s", tmp, strerror(errno));
		goto done;
	}
	if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 ||
	    fputc('\n', f) == EOF || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		kpg_err_set(err, "cannot write %s: %s", tmp, strerror(errno));
		fclose(f);
		f = NULL;
		unlink(tmp);
		goto done;
	}
	if (fclose(f) != 0) {
		f = NULL;
		kpg_err_set(err, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto done;
	}
	f = NULL;
	if (rename(tmp, final) != 0 || kpg_fsync_dir(folder) != 0) {
		kpg_err_set(err, "cannot put %s in place: %s", final, strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	json_decref(doc);
	free(folder);
	free(tmp);
	free(final);
	return rc;
}
