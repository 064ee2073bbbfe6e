#include "label_dict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

int label_dict_init(label_dict *d, kpg_err *err)
{
	memset(d, 0, sizeof(*d));
	d->cap = 16;
	d->texts = calloc(d->cap, sizeof(*d->texts));
	if (d->texts == NULL || kpg_strmap_init(&d->map, 64) != 0) {
		label_dict_free(d);
		kpg_err_set(err, "out of memory for the label dictionary");
		return KPG_ENOMEM;
	}
	return 0;
}

void label_dict_free(label_dict *d)
{
	kpg_strmap_free(&d->map);
	free(d->texts);
	memset(d, 0, sizeof(*d));
}

void label_canon_number(double x, char out[LABEL_TEXT_MAX])
{
	if (x == 0)
		x = 0; /* -0 reads as 0 */
	snprintf(out, LABEL_TEXT_MAX, "%.15g", x);
	if (strtod(out, NULL) != x)
		snprintf(out, LABEL_TEXT_MAX, "%.17g", x);
}

void label_canon(const char *s, size_t n, char out[LABEL_TEXT_MAX])
{
	double x;

	if (capture_parse_number(s, n, &x) && isfinite(x)) {
		label_canon_number(x, out);
		return;
	}
	if (n >= LABEL_TEXT_MAX) {
		n = LABEL_TEXT_MAX - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

uint32_t label_dict_find(const label_dict *d, const char *s, size_t n)
{
	char t[LABEL_TEXT_MAX];
	uint32_t code;

	label_canon(s, n, t);
	return kpg_strmap_get(&d->map, t, strlen(t), &code) ? code : 0;
}

int label_dict_intern(label_dict *d, const char *s, size_t n, uint32_t *code)
{
	char t[LABEL_TEXT_MAX];
	size_t len;

	label_canon(s, n, t);
	len = strlen(t);
	if (kpg_strmap_get(&d->map, t, len, code))
		return 0;
	if (d->n >= LABEL_DICT_MAX) {
		d->over++;
		return KPG_ETOOBIG;
	}
	if (d->n == d->cap) {
		uint32_t ncap = d->cap * 2;
		char(*nt)[LABEL_TEXT_MAX] = realloc(d->texts, ncap * sizeof(*nt));

		if (nt == NULL)
			return KPG_ENOMEM;
		d->texts = nt;
		d->cap = ncap;
	}
	if (kpg_strmap_put(&d->map, t, len, d->n + 1) != 0)
		return KPG_ENOMEM;
	memcpy(d->texts[d->n], t, len + 1);
	*code = ++d->n;
	return 0;
}

const char *label_dict_text(const label_dict *d, uint32_t code)
{
	return code >= 1 && code <= d->n ? d->texts[code - 1] : NULL;
}
