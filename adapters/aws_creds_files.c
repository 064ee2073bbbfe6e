/* aws_creds_files.c - the shared credentials and config files (INI, the
 * subset the AWS SDKs read for static keys) and the reading of files that
 * hold secrets (see aws_creds_internal.h). */
#include "aws_creds_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void aws_creds_free_secret(char *s, size_t len)
{
	if (s == NULL)
		return;
	explicit_bzero(s, len);
	free(s);
}

int aws_creds_read_secret_file(const char *path, size_t max, char **out,
			       size_t *outlen, kpg_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc = 0;

	*out = NULL;
	*outlen = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kpg_err_set(err, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? KPG_ENOTFOUND : KPG_EIO;
	}
	if (fstat(fd, &st) != 0) {
		kpg_err_set(err, "%s: %s", path, strerror(errno));
		rc = KPG_EIO;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		kpg_err_set(err, "%s: is a folder", path);
		rc = KPG_EIO;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		kpg_err_set(err, "%s: larger than %zu bytes", path, max);
		rc = KPG_ETOOBIG;
		goto out;
	}
	/* One buffer of the cap (+1 to notice a file that grew past it). */
	buf = malloc(max + 2);
	if (buf == NULL) {
		kpg_err_set(err, "out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	while (len < max + 1) {
		ssize_t got = read(fd, buf + len, max + 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			kpg_err_set(err, "%s: %s", path, strerror(errno));
			rc = KPG_EIO;
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len > max) {
		kpg_err_set(err, "%s: larger than %zu bytes", path, max);
		rc = KPG_ETOOBIG;
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	aws_creds_free_secret(buf, buf ? max + 2 : 0);
	close(fd);
	return rc;
}

int aws_creds_copy_field(char *dst, size_t cap, const char *s, size_t len,
			 const char *what, kpg_err *err)
{
	if (len >= cap) {
		kpg_err_set(err, "%s is longer than %zu characters", what,
			    cap - 1);
		return KPG_ETOOBIG;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			kpg_err_set(err, "%s holds a control character", what);
			return KPG_EPARSE;
		}
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* [s, e) without surrounding blanks. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

/* Does the section header text [s, e) name profile in this file kind? */
static int section_matches(const char *s, const char *e, int is_config,
			   const char *profile)
{
	size_t plen = strlen(profile);

	if (is_config && (size_t)(e - s) > 7 && memcmp(s, "profile", 7) == 0 &&
	    is_blank(s[7])) {
		s += 8;
		trim(&s, &e);
	} else if (is_config && strcmp(profile, "default") != 0) {
		return 0; /* [NAME] in config is not a profile (only [default]) */
	}
	return (size_t)(e - s) == plen && memcmp(s, profile, plen) == 0;
}

static int set_key(aws_creds *out, const char *k, size_t klen, const char *v,
		   size_t vlen, const char *path, int line, kpg_err *err)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} keys[] = {
		{"aws_access_key_id", offsetof(aws_creds, access_key_id),
		 sizeof(((aws_creds *)0)->access_key_id)},
		{"aws_secret_access_key", offsetof(aws_creds, secret_access_key),
		 sizeof(((aws_creds *)0)->secret_access_key)},
		{"aws_session_token", offsetof(aws_creds, session_token),
		 sizeof(((aws_creds *)0)->session_token)},
	};
	kpg_err e2;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].name) != klen ||
		    strncasecmp(keys[i].name, k, klen) != 0)
			continue;
		if (aws_creds_copy_field((char *)out + keys[i].off, keys[i].cap,
					 v, vlen, keys[i].name, &e2) != 0) {
			kpg_err_set(err, "%s:%d: %s", path, line, e2.msg);
			return KPG_ETOOBIG;
		}
		return 0;
	}
	return 0;
}

int aws_creds_ini_find(const char *text, size_t len, const char *path,
		       int is_config, const char *profile, int *found,
		       aws_creds *out, kpg_err *err)
{
	const char *p = text, *end = text + len;
	int line = 0, in_section = 0, have_section = 0;
	long key_indent = -1; /* indentation of the last key line, -1: none */

	*found = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_start = p, *s = p, *e = nl ? nl : end;
		long indent;

		p = nl ? nl + 1 : end;
		line++;
		if (e > s && e[-1] == '\r')
			e--;
		while (s < e && is_blank(*s))
			s++;
		indent = (long)(s - line_start);
		trim(&s, &e);
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (key_indent >= 0 && indent > key_indent)
			continue; /* continuation of a value (nested s3 = ...) */
		if (*s == '[') {
			const char *close = memchr(s, ']', (size_t)(e - s));
			const char *ns = s + 1, *ne;

			if (close == NULL) {
				kpg_err_set(err, "%s:%d: section header without ']'",
					    path, line);
				return KPG_EPARSE;
			}
			ne = close;
			for (const char *q = close + 1; q < e; q++) {
				if (*q == '#' || *q == ';')
					break;
				if (!is_blank(*q)) {
					kpg_err_set(err, "%s:%d: text after the "
							 "section header",
						    path, line);
					return KPG_EPARSE;
				}
			}
			trim(&ns, &ne);
			have_section = 1;
			key_indent = -1;
			in_section = section_matches(ns, ne, is_config, profile);
			if (in_section)
				*found = 1;
			continue;
		}
		{
			const char *eq = memchr(s, '=', (size_t)(e - s));
			const char *ks = s, *ke, *vs, *ve = e;
			int rc;

			if (!have_section) {
				kpg_err_set(err, "%s:%d: key before the first "
						 "[section]",
					    path, line);
				return KPG_EPARSE;
			}
			if (eq == NULL || eq == s) {
				kpg_err_set(err, "%s:%d: expected key = value",
					    path, line);
				return KPG_EPARSE;
			}
			ke = eq;
			vs = eq + 1;
			trim(&ks, &ke);
			trim(&vs, &ve);
			key_indent = indent;
			if (!in_section)
				continue;
			rc = set_key(out, ks, (size_t)(ke - ks), vs,
				     (size_t)(ve - vs), path, line, err);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* One file's profile into c (wiped first); a missing file is no error. */
static int load_one(const char *path, int is_config, const char *profile,
		    int *found, aws_creds *c, kpg_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*found = 0;
	aws_creds_wipe(c);
	if (path == NULL || *path == '\0')
		return 0;
	rc = aws_creds_read_secret_file(path, AWS_CREDS_FILE_MAX, &text, &len,
					err);
	if (rc == KPG_ENOTFOUND) {
		kpg_err_clear(err);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = aws_creds_ini_find(text, len, path, is_config, profile, found, c,
				err);
	aws_creds_free_secret(text, len);
	return rc;
}

static int check_pair(const aws_creds *c, const char *path,
		      const char *profile, kpg_err *err)
{
	if ((c->access_key_id[0] != '\0') != (c->secret_access_key[0] != '\0')) {
		kpg_err_set(err, "%s: profile \"%s\" has %s without %s", path,
			    profile,
			    c->access_key_id[0] ? "aws_access_key_id"
						: "aws_secret_access_key",
			    c->access_key_id[0] ? "aws_secret_access_key"
						: "aws_access_key_id");
		return KPG_EINVAL;
	}
	return 0;
}

int aws_creds_profile_load(const char *cred_path, const char *config_path,
			   const char *profile, int *found, aws_creds *out,
			   kpg_err *err)
{
	aws_creds cf, cc;
	int fcred = 0, fconf = 0, rc;

	*found = 0;
	memset(&cf, 0, sizeof(cf));
	memset(&cc, 0, sizeof(cc));
	aws_creds_wipe(out);
	rc = load_one(cred_path, 0, profile, &fcred, &cf, err);
	if (rc == 0)
		rc = load_one(config_path, 1, profile, &fconf, &cc, err);
	if (rc != 0)
		goto out;
	*found = fcred || fconf;
	/* As botocore: the credentials file when its profile has keys,
	 * else the config file; never a mix of the two. */
	if (cf.access_key_id[0] != '\0' || cf.secret_access_key[0] != '\0') {
		rc = check_pair(&cf, cred_path, profile, err);
		if (rc == 0)
			*out = cf;
	} else if (cc.access_key_id[0] != '\0' ||
		   cc.secret_access_key[0] != '\0') {
		rc = check_pair(&cc, config_path, profile, err);
		if (rc == 0)
			*out = cc;
	}
	if (rc == 0 && out->access_key_id[0] != '\0')
		out->source = "profile";
out:
	aws_creds_wipe(&cf);
	aws_creds_wipe(&cc);
	return rc;
}
