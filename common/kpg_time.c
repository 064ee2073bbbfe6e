#include "kpg_time.h"
#include "kpg_error.h"

#include <stdio.h>
#include <time.h>

/* Howard Hinnant's days_from_civil: exact for every Gregorian date. */
int64_t kpg_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int kpg_time_parse_iso8601(const char *s, size_t len, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, fdigits = 0, off_min = 0;
	size_t i = 19;

	if (len < 19 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return KPG_EPARSE;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &sec))
		return KPG_EPARSE;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return KPG_EPARSE;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (fdigits < 3) {
				frac = frac * 10 + (s[i] - '0');
				fdigits++;
			}
			i++;
		}
		if (fdigits == 0)
			return KPG_EPARSE;
		while (fdigits < 3) {
			frac *= 10;
			fdigits++;
		}
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		int oh, om, sign = s[i] == '-' ? -1 : 1;

		if (len - i != 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) ||
		    digits(s + i + 4, 2, &om))
			return KPG_EPARSE;
		off_min = sign * (oh * 60 + om);
		i = len;
	}
	if (i != len)
		return KPG_EPARSE;
	*ms = ((kpg_time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
		(int64_t)h * 3600 + (int64_t)mi * 60 + sec - (int64_t)off_min * 60) *
	       1000) +
	      frac;
	return 0;
}

void kpg_time_format_iso8601(int64_t ms, char *buf, size_t buflen)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int msec = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, msec);
}

int64_t kpg_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kpg_time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
