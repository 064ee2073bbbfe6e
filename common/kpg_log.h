/* kpg_log.h - the daemon's log: one JSON object per line on stderr
 *   {"time":"2026-12-01T12:00:00.000Z","level":"warn","msg":"..."}
 * in the OpenBSD style: log_warn appends strerror(errno), log_warnx does
 * not; errno is preserved across every call. Messages are escaped for JSON. */
#ifndef KPG_LOG_H
#define KPG_LOG_H

#include <stdio.h>

typedef enum kpg_log_level {
	KPG_LOG_ERROR = 0,
	KPG_LOG_WARN,
	KPG_LOG_INFO,
	KPG_LOG_DEBUG
} kpg_log_level;

/* Messages above level are dropped; out NULL means stderr. */
void log_init(kpg_log_level level, FILE *out);

/* "error", "warn", "info", "debug" -> level; -1 when unknown. */
int log_level_from_name(const char *name);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
