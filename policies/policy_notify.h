/* policy_notify.h - a notify list (docs/notifications.md): the table rows
 * of its targets and the loader, shared by the policy file (notify) and
 * the daemon's configuration (notify: the default list). */
#ifndef POLICY_NOTIFY_H
#define POLICY_NOTIFY_H

#include <jansson.h>

#include "kpg_jsonv.h"
#include "policy.h"

int policy_notify_check_url(kpg_jsonv *v, const kpg_jsonv_key *k, const kpg_jsonv_at *at,
			    json_t *value);
int policy_notify_check_topic_arn(kpg_jsonv *v, const kpg_jsonv_key *k,
				  const kpg_jsonv_at *at, json_t *value);

/* The rows "notify[]" ... "notify[].format" of a table that has a
 * "notify" ARRAY row (each table documents that row itself). */
/* clang-format off */
#define POLICY_NOTIFY_TARGET_ROWS \
	{.path = "notify[]", .type = KPG_JSONV_OBJECT, \
	 .doc = "One target: `{\"type\": \"webhook\", \"url\": ..., \"secret_file\": ..., \"events\": [...]}`."}, \
	{.path = "notify[].type", .type = KPG_JSONV_STRING, .flags = KPG_JSONV_REQUIRED, .max_len = 16, .choices = policy_notify_types, \
	 .doc = "`webhook`: an HTTP(S) POST of a JSON body signed with `X-Kpigate-Signature: sha256=<hex HMAC-SHA256 of the body>`; `sns`: Amazon SNS Publish of the same body to `topic_arn`."}, \
	{.path = "notify[].url", .type = KPG_JSONV_STRING, .max_len = 2048, .check = policy_notify_check_url, \
	 .doc = "webhook, **required**: the receiver, `http://` or `https://` (certificates verified). Only its host is audited."}, \
	{.path = "notify[].topic_arn", .type = KPG_JSONV_STRING, .max_len = 512, .check = policy_notify_check_topic_arn, \
	 .doc = "sns, **required**: the topic, `arn:aws:sns:REGION:ACCOUNT:TOPIC`; Publish is signed with the AWS credential chain and sent to the ARN's region."}, \
	{.path = "notify[].secret_file", .type = KPG_JSONV_STRING, .max_len = 4096, \
	 .doc = "webhook: file holding the shared secret (one trailing newline dropped), relative to the file's folder. A webhook gives exactly one of `secret_file` and `secret_env`. Never logged or audited."}, \
	{.path = "notify[].secret_env", .type = KPG_JSONV_STRING, .max_len = 128, \
	 .doc = "webhook: environment variable holding the shared secret, read when a notification is sent."}, \
	{.path = "notify[].events", .type = KPG_JSONV_ARRAY, .flags = KPG_JSONV_REQUIRED, .max_len = 8, \
	 .doc = "The events sent to this target, at least one."}, \
	{.path = "notify[].events[]", .type = KPG_JSONV_STRING, .max_len = 32, .choices = policy_notify_event_names, \
	 .doc = "`drift_alert` (a hold with dataset drift), `retrain_decided`, `action_failed` (the retrain's action failed or expired) or `execution_finished` (a followed execution ended, with its measured energy; the daemon only)."}, \
	{.path = "notify[].format", .type = KPG_JSONV_STRING, .max_len = 16, .def = "\"json\"", .choices = policy_notify_formats, \
	 .doc = "`json`: kpigate's event body; `slack`: `{\"text\": \"...\"}`, one readable line, for Slack-compatible incoming webhooks."}
/* clang-format on */

/* After the table pass: checks every target of root's "notify" (each key
 * against its row; a webhook has a url and exactly one of secret_file and
 * secret_env; an sns target a topic_arn and none of those; no event
 * twice) and, when all are valid, puts a copy in *out (replacing it; the
 * caller owns it) with secret_file made absolute against v->dir. Absent
 * or null: *out untouched. Sets v->nomem when out of memory. */
void policy_notify_load(kpg_jsonv *v, json_t *root, json_t **out);

#endif
