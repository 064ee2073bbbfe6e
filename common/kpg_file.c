#include "kpg_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int too_big(size_t max, const char *what, kpg_err *err)
{
	if (max % (1024 * 1024) == 0)
		kpg_err_set(err, "larger than %zu bytes; a %s is at most %zu MiB",
			    max, what, max / (1024 * 1024));
	else
		kpg_err_set(err, "larger than %zu bytes; a %s is at most %zu bytes",
			    max, what, max);
	return KPG_ETOOBIG;
}

int kpg_read_file(const char *path, size_t max, const char *what, char **out,
		  size_t *outlen, kpg_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	if (f == NULL) {
		kpg_err_set(err, "%s", strerror(errno));
		return KPG_EIO;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb;

			if (cap > max) {
				rc = too_big(max, what, err);
				goto out;
			}
			nb = realloc(buf, ncap + 1);
			if (nb == NULL) {
				kpg_err_set(err, "out of memory");
				rc = KPG_ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		kpg_err_set(err, "%s", strerror(errno ? errno : EIO));
		rc = KPG_EIO;
		goto out;
	}
	if (len > max) {
		rc = too_big(max, what, err);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return rc;
}

int kpg_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

char *kpg_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup("");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}
