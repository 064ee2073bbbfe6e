/* policy_payload.c - payload.columns, entry by entry (policy_lists.h). */
#include "policy_lists.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_excluded(const policy *p, const char *name)
{
	for (size_t j = 0; j < p->n_exclude; j++)
		if (strcmp(p->exclude_columns[j], name) == 0)
			return 1;
	return 0;
}

void policy_load_payload(kpg_jsonv *v, json_t *a, policy *p)
{
	size_t name_max = policy_lists_row(v, "payload.columns[]")->max_len;
	long n = kpg_jsonv_entries(v, policy_lists_row(v, "payload.columns"), a,
				   "an array of column names in payload order");

	if (n < 0)
		return;
	if (n == 0) {
		kpg_jsonv_error(v, "payload.columns", 0, "payload.columns is empty; list every payload column in order, or leave the key out for the reference's order");
		return;
	}
	p->payload_columns = calloc((size_t)n, sizeof(char *));
	if (p->payload_columns == NULL) {
		v->nomem = 1;
		return;
	}
	for (size_t i = 0; i < (size_t)n; i++) {
		char path[64];
		json_t *e = json_array_get(a, i);
		const char *s = json_string_value(e);

		snprintf(path, sizeof(path), "payload.columns[%zu]", i);
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > name_max ||
		    strlen(s) != json_string_length(e)) {
			kpg_jsonv_error(v, path, 0, "%s must be a column name (a string of 1 to %zu bytes)",
					path, name_max);
			continue;
		}
		for (size_t j = 0; j < p->n_payload_columns; j++)
			if (strcmp(p->payload_columns[j], s) == 0)
				kpg_jsonv_error(v, path, 0, "column \"%s\" is listed twice in payload.columns",
						s);
		if (p->label_column != NULL && strcmp(p->label_column, s) == 0)
			kpg_jsonv_error(v, path, 0, "column \"%s\" is the label column; the payload carries features, the label comes with the ground truth",
					s);
		if (is_excluded(p, s))
			kpg_jsonv_error(v, path, 0, "column \"%s\" is in reference.exclude_columns, which says the payload does not carry it; to keep it in the payload but out of the statistics, declare features.%s: \"ignore\"",
					s, s);
		if (policy_lists_dup(v, s, &p->payload_columns[p->n_payload_columns]) == 0)
			p->n_payload_columns++;
	}
	for (size_t i = 0; i < p->n_features; i++) {
		const char *name = p->features[i].name;
		char path[JSON_LOCATE_PATH_MAX];
		int found = 0;

		if (p->features[i].type != POLICY_FEATURE_IGNORE)
			continue;
		for (size_t j = 0; j < p->n_payload_columns && !found; j++)
			found = strcmp(p->payload_columns[j], name) == 0;
		if (found)
			continue;
		snprintf(path, sizeof(path), "features.%s", name);
		kpg_jsonv_error(v, path, 0, "feature \"%s\" is \"ignore\" but not in payload.columns; list it where the payload carries it (or, when the payload does not carry it, use reference.exclude_columns)",
				name);
	}
}
