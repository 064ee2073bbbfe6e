/* policy_webhook.h - action.type "webhook" (docs/actions.md): the rules
 * across its keys and the copy the action room reads (policy.webhook).
 * Internal to the policies room (policy_keys.c, policy_load.c). */
#ifndef POLICY_WEBHOOK_H
#define POLICY_WEBHOOK_H

#include <jansson.h>

#include "kpg_jsonv.h"
#include "policy.h"

/* action.method values, NULL-terminated; the first is the default. */
extern const char *const policy_webhook_methods[];

/* After the table pass (which checked url, method, secret_file and
 * secret_env): with action.type webhook, url is required, at most one of
 * secret_file and secret_env, each header's name and value and the body's
 * placeholders are checked, and when all is valid a copy goes to
 * p->webhook (owned by p) with method filled in and every secret_file
 * made absolute against v->dir. With another type, any webhook key is an
 * error. Sets v->nomem when out of memory. */
void policy_load_webhook(kpg_jsonv *v, json_t *root, policy *p);

#endif
