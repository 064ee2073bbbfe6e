/* policy_notify.c - a policy's notify list (docs/notifications.md): the
 * rules across a target's keys, and the copy the action room reads. The
 * table (policy_keys.c) has already checked each key's type and range. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_lists.h"

const char *const policy_notify_types[] = {"webhook", NULL};
const char *const policy_notify_event_names[] = {"drift_alert", "retrain_decided", NULL};
const char *const policy_notify_formats[] = {"json", "slack", NULL};

/* secret_file relative to the policy's folder, made absolute in place. */
static int notify_resolve(kpg_jsonv *v, json_t *target)
{
	const char *s = json_string_value(json_object_get(target, "secret_file"));
	char *abs;
	size_t need;
	int rc;

	if (s == NULL || s[0] == '/' || v->dir == NULL || v->dir[0] == '\0')
		return 0;
	need = strlen(v->dir) + strlen(s) + 2;
	abs = malloc(need);
	if (abs == NULL)
		return -1;
	snprintf(abs, need, "%s/%s", v->dir, s);
	rc = json_object_set_new(target, "secret_file", json_string(abs));
	free(abs);
	return rc;
}

void policy_load_notify(kpg_jsonv *v, json_t *root, policy *p)
{
	json_t *list = json_object_get(root, "notify"), *copy, *t;
	char path[64];
	size_t i;

	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, t) {
		json_t *events = json_object_get(t, "events");
		int file, env;

		if (!json_is_object(t))
			continue; /* the table reported it */
		file = json_is_string(json_object_get(t, "secret_file"));
		env = json_is_string(json_object_get(t, "secret_env"));
		snprintf(path, sizeof(path), "notify[%zu]", i);
		if (file + env != 1)
			kpg_jsonv_error(v, path, 0,
					"%s: a webhook needs exactly one of \"secret_file\" and \"secret_env\" (its body is signed)",
					path);
		if (json_is_array(events) && json_array_size(events) == 0)
			kpg_jsonv_error(v, path, 0, "%s.events names no event", path);
		for (size_t a = 0; json_is_array(events) && a < json_array_size(events); a++)
			for (size_t b = a + 1; b < json_array_size(events); b++)
				if (json_is_string(json_array_get(events, a)) &&
				    json_equal(json_array_get(events, a),
					       json_array_get(events, b)))
					kpg_jsonv_error(v, path, 0, "%s.events names \"%s\" twice",
							path,
							json_string_value(json_array_get(events, a)));
	}
	copy = json_deep_copy(list);
	if (copy == NULL) {
		v->nomem = 1;
		return;
	}
	json_array_foreach(copy, i, t)
		if (json_is_object(t) && notify_resolve(v, t) != 0) {
			json_decref(copy);
			v->nomem = 1;
			return;
		}
	json_decref(p->notify);
	p->notify = copy; /* now owned by the policy */
}
