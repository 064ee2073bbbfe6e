/* action_hook.h - how the pipeline hands retrain decisions to the action
 * room: the pipeline_actor (pipeline.h) for an action runner.
 *
 * With a runner, a retrain whose policy names an AWS action is written to
 * the runner's outbox before its decision is audited and released after
 * (action_runner.h); a dry run, or any retrain without a runner (`replay`
 * without --execute), is recorded with the exact request it would send. */
#ifndef ACTION_HOOK_H
#define ACTION_HOOK_H

#include "action_runner.h"
#include "pipeline.h"

/* Fills *out for runner (borrowed: it must outlive the pipeline; NULL =
 * nothing is sent). */
void action_hook_actor(action_runner *runner, pipeline_actor *out);

#endif
