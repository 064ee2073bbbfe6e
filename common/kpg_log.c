#include "kpg_log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "kpg_time.h"

static kpg_log_level log_level = KPG_LOG_INFO;
static FILE *log_out;

void log_init(kpg_log_level level, FILE *out)
{
	log_level = level;
	log_out = out;
}

int log_level_from_name(const char *name)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

/* Writes s as the inside of a JSON string. */
static void log_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void log_emit(kpg_log_level level, const char *with_errno,
		     const char *fmt, va_list ap)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	FILE *f = log_out ? log_out : stderr;
	char msg[2048], when[40];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	kpg_time_format_iso8601(kpg_time_now_ms(), when, sizeof(when));
	flockfile(f); /* one whole line per call, whichever thread logs */
	fprintf(f, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", when, names[level]);
	log_escape(f, msg);
	if (with_errno != NULL) {
		fputs(": ", f);
		log_escape(f, with_errno);
	}
	fputs("\"}\n", f);
	fflush(f);
	funlockfile(f);
}

#define LOG_BODY(level, errstr) \
	do { \
		int saved = errno; \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(level, errstr, fmt, ap); \
		va_end(ap); \
		errno = saved; \
	} while (0)

void log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(KPG_LOG_WARN, e);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY(KPG_LOG_WARN, NULL);
}

void log_info(const char *fmt, ...)
{
	LOG_BODY(KPG_LOG_INFO, NULL);
}

void log_debug(const char *fmt, ...)
{
	LOG_BODY(KPG_LOG_DEBUG, NULL);
}

void log_errorx(const char *fmt, ...)
{
	LOG_BODY(KPG_LOG_ERROR, NULL);
}
