/* label_dict.h - the pipeline's dictionary of label texts. Labels arrive
 * before anyone knows which model they belong to, so the pipeline interns
 * each label's text here and the ground-truth join carries its code; the
 * model's policy maps codes to a class (or to positive / negative) when the
 * pair is credited (pipeline_labels.h). Bounded: at most LABEL_DICT_MAX
 * distinct texts; past that a new text is refused (counted in `over`) and
 * the caller rejects its label. Texts are kept exactly as written (no
 * trimming, case kept), except that a text which is a finite number is
 * kept in its shortest form, so "1", "1.0" and 1 are one label. */
#ifndef LABEL_DICT_H
#define LABEL_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"
#include "kpg_strmap.h"

#define LABEL_DICT_MAX 4096
#define LABEL_TEXT_MAX 64 /* bytes with the NUL: gt_record.label_text's size */

typedef struct label_dict {
	kpg_strmap map;                /* owned: text -> code */
	char (*texts)[LABEL_TEXT_MAX]; /* owned: texts[code - 1] */
	uint32_t n, cap;
	uint64_t over; /* texts refused because the dictionary was full */
} label_dict;

int label_dict_init(label_dict *d, kpg_err *err);
void label_dict_free(label_dict *d);

/* The canonical text of s[0..n): a finite number in its shortest
 * round-trip form ("1.0" -> "1", "-0" -> "0"), anything else as is, cut to
 * LABEL_TEXT_MAX - 1 bytes at a UTF-8 boundary. */
void label_canon(const char *s, size_t n, char out[LABEL_TEXT_MAX]);
/* The same for a number. */
void label_canon_number(double x, char out[LABEL_TEXT_MAX]);

/* The code (1..LABEL_DICT_MAX) of s's canonical text, adding it when new.
 * Returns 0, KPG_ETOOBIG when the dictionary is full (over counted) or
 * KPG_ENOMEM. */
int label_dict_intern(label_dict *d, const char *s, size_t n, uint32_t *code);
/* The code of s's canonical text, 0 when absent. */
uint32_t label_dict_find(const label_dict *d, const char *s, size_t n);
/* The text of a code; NULL for 0 or a code not given out. Borrowed until
 * label_dict_free. */
const char *label_dict_text(const label_dict *d, uint32_t code);

#endif
