/* audit_reasons.c - decisions grouped by their decisive reason for
 * `kpigate audit summary`. A record carries decisive_reason {code, text}
 * since reason codes exist; older records have only the reasons' texts,
 * whose last one decided, and are grouped by its kind (numbers taken out)
 * in separate *_by_text groups so they never pass for codes. */
#include "audit_reasons.h"

#include "audit_summary.h"

#define NO_REASON "(none)"

static const char *const groups[] = {
	"hold_reasons",
	"retrain_reasons",
	"reason_examples",
	"hold_reasons_by_text",
	"retrain_reasons_by_text",
};

int audit_reasons_init(json_t *block)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (json_is_object(json_object_get(block, groups[i])))
			continue;
		if (json_object_set_new(block, groups[i], json_object()) != 0)
			return -1;
	}
	return 0;
}

static int count(json_t *block, const char *group, const char *key)
{
	json_t *g = json_object_get(block, group);

	if (!json_is_object(g)) {
		if (audit_reasons_init(block) != 0)
			return -1;
		g = json_object_get(block, group);
	}
	return json_object_set_new(g, key,
				   json_integer(json_integer_value(json_object_get(g, key)) + 1));
}

int audit_reasons_count(json_t *block, const json_t *data, int retrain)
{
	const json_t *dec = json_object_get(data, "decisive_reason");
	const json_t *reasons = json_object_get(data, "reasons");
	const char *code, *text, *last;
	json_t *examples;
	char kind[128];

	if (dec == NULL) {
		/* written before reason codes: the last reason decided */
		if (json_array_size(reasons) == 0)
			return 0;
		last = json_string_value(json_array_get(reasons,
							json_array_size(reasons) - 1));
		if (last == NULL)
			return 0;
		audit_reason_kind(last, kind, sizeof(kind));
		return count(block,
			     retrain ? "retrain_reasons_by_text" : "hold_reasons_by_text",
			     kind);
	}
	code = json_string_value(json_object_get(dec, "code"));
	text = json_string_value(json_object_get(dec, "text"));
	if (code == NULL || code[0] == '\0')
		code = NO_REASON;
	if (count(block, retrain ? "retrain_reasons" : "hold_reasons", code) != 0)
		return -1;
	examples = json_object_get(block, "reason_examples");
	if (text != NULL && json_object_get(examples, code) == NULL &&
	    json_object_set_new(examples, code, json_string(text)) != 0)
		return -1;
	return 0;
}
