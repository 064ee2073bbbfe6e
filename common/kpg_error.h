/* kpg_error.h - the one error idiom shared by every kpigate module.
 *
 * Functions return 0 on success or a negative KPG_E* code, and fill a
 * caller-owned kpg_err with a human sentence. Only main() exits. */
#ifndef KPG_ERROR_H
#define KPG_ERROR_H

#include <stddef.h>

enum kpg_rc {
	KPG_OK = 0,
	KPG_EINVAL = -1,  /* bad argument or invalid input */
	KPG_ENOMEM = -2,  /* allocation failed */
	KPG_EIO = -3,     /* read, write, fsync or open failed */
	KPG_ETOOBIG = -4, /* input larger than its cap */
	KPG_EPARSE = -5,  /* input did not parse */
	KPG_ENOTFOUND = -6,
	KPG_EINTEGRITY = -7, /* audit chain or checksum broken */
	KPG_EBUSY = -8       /* held by someone else (a lock) */
};

typedef struct kpg_err {
	char msg[512];
} kpg_err;

/* Sets err->msg (printf style); a NULL err is allowed and ignored. */
void kpg_err_set(kpg_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clears err->msg. */
void kpg_err_clear(kpg_err *err);

/* Short constant name of a return code, for logs: "EINVAL", ... */
const char *kpg_rc_name(int rc);

#endif
