/* aws_names.c - the shapes AWS gives its names (aws_names.h). */
#include "aws_names.h"

#include <stdio.h>
#include <string.h>

/* Letters, digits and the characters of extra only. */
static int name_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

/* AWS region names: us-east-1, eu-central-2, us-gov-west-1, cn-north-1. */
int aws_names_is_region(const char *s)
{
	const char *q = s;
	int parts = 0;

	for (;;) {
		const char *start = q;

		while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9'))
			q++;
		if (q == start)
			return 0;
		parts++;
		if (*q == '\0')
			break;
		if (*q++ != '-')
			return 0;
	}
	/* at least "xx-name-N", ending in a number */
	return parts >= 3 && q[-1] >= '0' && q[-1] <= '9' && s[0] >= 'a' &&
	       s[1] >= 'a' && s[2] == '-';
}

/* Splits a copy of arn (in buf) at ':' into at most max fields (the
 * last keeps any further ':'); strtok_r would merge empty fields. Returns
 * the count, 0 when arn does not fit buf. */
static size_t arn_split(const char *arn, char *buf, size_t cap, char **f, size_t max)
{
	char *tok = buf;
	size_t n = 0;

	if (strlen(arn) >= cap)
		return 0;
	snprintf(buf, cap, "%s", arn);
	while (n < max) {
		char *colon = strchr(tok, ':');

		f[n++] = tok;
		if (colon == NULL)
			break;
		*colon = '\0';
		tok = colon + 1;
	}
	return n;
}

/* arn:aws[-a-z]*:states:REGION:ACCOUNT:stateMachine:NAME, with a
 * 12-digit account and a 1..80 character name of [A-Za-z0-9_-]. On
 * success copies the region out. */
int aws_names_check_sfn_arn(const char *arn, char *region, size_t rlen,
			    const char **why)
{
	char buf[512], *f[8];
	size_t n = arn_split(arn, buf, sizeof(buf), f, 8);

	if (n == 0) {
		*why = "too long";
		return -1;
	}
	if (n != 7 || strchr(f[6], ':') != NULL) {
		*why = "expected 7 ':'-separated fields: arn:aws:states:REGION:ACCOUNT:stateMachine:NAME";
		return -1;
	}
	if (strcmp(f[0], "arn") != 0 || strncmp(f[1], "aws", 3) != 0 ||
	    strspn(f[1] + 3, "-abcdefghijklmnopqrstuvwxyz") != strlen(f[1] + 3)) {
		*why = "must start with arn:aws (or arn:aws-cn, arn:aws-us-gov)";
		return -1;
	}
	if (strcmp(f[2], "states") != 0) {
		*why = "service must be \"states\" (Step Functions)";
		return -1;
	}
	if (!aws_names_is_region(f[3])) {
		*why = "the region field is not an AWS region like us-east-1";
		return -1;
	}
	if (strlen(f[4]) != 12 || strspn(f[4], "0123456789") != 12) {
		*why = "the account field must be 12 digits";
		return -1;
	}
	if (strcmp(f[5], "stateMachine") != 0) {
		*why = "resource type must be \"stateMachine\"";
		return -1;
	}
	if (f[6][0] == '\0' || strlen(f[6]) > 80 || !name_chars(f[6], "_-")) {
		*why = "the state machine name must be 1 to 80 letters, digits, '_' or '-'";
		return -1;
	}
	snprintf(region, rlen, "%s", f[3]);
	return 0;
}

/* SageMaker PipelineName: ^[A-Za-z0-9](-*[A-Za-z0-9]){0,255}$ */
int aws_names_is_pipeline_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 256 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	return name_chars(s, "-");
}

int aws_names_check_sns_arn(const char *arn, char *region, size_t rlen,
			    const char **why)
{
	char buf[512], *f[7];
	size_t n = arn_split(arn, buf, sizeof(buf), f, 7), name_len;

	if (n == 0) {
		*why = "too long";
		return -1;
	}
	if (n != 6) {
		*why = "expected 6 ':'-separated fields: arn:aws:sns:REGION:ACCOUNT:TOPIC";
		return -1;
	}
	if (strcmp(f[0], "arn") != 0 || strncmp(f[1], "aws", 3) != 0 ||
	    strspn(f[1] + 3, "-abcdefghijklmnopqrstuvwxyz") != strlen(f[1] + 3)) {
		*why = "must start with arn:aws (or arn:aws-cn, arn:aws-us-gov)";
		return -1;
	}
	if (strcmp(f[2], "sns") != 0) {
		*why = "service must be \"sns\"";
		return -1;
	}
	if (!aws_names_is_region(f[3])) {
		*why = "the region field is not an AWS region like us-east-1";
		return -1;
	}
	if (strlen(f[4]) != 12 || strspn(f[4], "0123456789") != 12) {
		*why = "the account field must be 12 digits";
		return -1;
	}
	name_len = strlen(f[5]);
	if (name_len > 5 && strcmp(f[5] + name_len - 5, ".fifo") == 0)
		name_len -= 5;
	if (name_len < 1 || name_len > 256 ||
	    strspn(f[5], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
		    name_len) {
		*why = "the topic name must be 1 to 256 of A-Z a-z 0-9 _ - (and .fifo)";
		return -1;
	}
	if (region && snprintf(region, rlen, "%s", f[3]) >= (int)rlen) {
		*why = "region too long";
		return -1;
	}
	return 0;
}
