/* kpg_jsonv_text.c - from the text to a value the validator can walk,
 * with positions (kpg_jsonv.h). */
#include "kpg_jsonv.h"

int kpg_jsonv_parse(kpg_jsonv *v, const char *text, size_t len,
		    json_t **root, json_locate **loc, kpg_err *err)
{
	json_error_t jerr;
	int rc;

	*loc = NULL;
	*root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*root == NULL) {
		/* a syntax error: jansson's position, and nothing more */
		kpg_jsonv_error_pos(v, jerr.line > 0 ? jerr.line : 0,
				    jerr.column > 0 ? jerr.column : 0, "%s",
				    jerr.text);
		return KPG_EINVAL;
	}
	rc = json_locate_build(text, len, loc, err);
	if (rc == 0) {
		v->loc = *loc;
		return 0;
	}
	json_decref(*root);
	*root = NULL;
	if (rc == KPG_ENOMEM)
		return rc;
	kpg_jsonv_error_pos(v, 0, 0, "%s", err->msg);
	return KPG_EINVAL;
}

int kpg_jsonv_file_error(kpg_diags *d, const char *name, kpg_err *err)
{
	kpg_jsonv v;

	kpg_jsonv_init(&v, NULL, 0, "", d);
	kpg_jsonv_error_pos(&v, 0, 0, "%s", err->msg);
	kpg_jsonv_finish(&v, name, err);
	return v.nomem ? KPG_ENOMEM : KPG_EINVAL;
}
