#include "action_hook.h"

#include <string.h>

#include "action.h"
#include "action_webhook.h"

static int hook_stage(void *opaque, const policy *pol,
		      const policy_window_eval *ev, const policy_decision *d,
		      kpg_err *err)
{
	action_runner *runner = opaque;
	json_t *req = NULL;
	int rc;

	if (runner == NULL || pol->action == POLICY_ACTION_DRY_RUN)
		return 0;
	rc = action_build_request(pol, ev, d, &req, err);
	if (rc == 0)
		rc = action_runner_submit(runner, pol, d->idempotency_key, req, err);
	json_decref(req);
	return rc ? rc : 1;
}

static void hook_release(void *opaque, const char *key)
{
	action_runner_release(opaque, key);
}

static int hook_request(void *opaque, const policy *pol,
			const policy_window_eval *ev, const policy_decision *d,
			json_t **out, kpg_err *err)
{
	int rc;

	(void)opaque;
	rc = action_build_request(pol, ev, d, out, err);
	/* audited: a webhook's URL without credentials or query */
	if (rc == 0 && pol->action == POLICY_ACTION_WEBHOOK &&
	    (rc = action_webhook_redact(*out)) != 0) {
		kpg_err_set(err, "out of memory");
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

void action_hook_actor(action_runner *runner, pipeline_actor *out)
{
	memset(out, 0, sizeof(*out));
	out->stage = hook_stage;
	out->release = hook_release;
	out->request = hook_request;
	out->opaque = runner;
}
