#include "kpg_error.h"

#include <stdarg.h>
#include <stdio.h>

void kpg_err_set(kpg_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void kpg_err_clear(kpg_err *err)
{
	if (err != NULL)
		err->msg[0] = '\0';
}

const char *kpg_rc_name(int rc)
{
	switch (rc) {
	case KPG_OK: return "OK";
	case KPG_EINVAL: return "EINVAL";
	case KPG_ENOMEM: return "ENOMEM";
	case KPG_EIO: return "EIO";
	case KPG_ETOOBIG: return "ETOOBIG";
	case KPG_EPARSE: return "EPARSE";
	case KPG_ENOTFOUND: return "ENOTFOUND";
	case KPG_EINTEGRITY: return "EINTEGRITY";
	case KPG_EBUSY: return "EBUSY";
	default: return "EUNKNOWN";
	}
}
