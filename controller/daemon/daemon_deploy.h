/* daemon_deploy.h - the daemon's deployment signals: the deployments_file
 * (JSON Lines appended by `kpigate model deployed`) read at start and
 * whenever it grows, each signal handed to every task's pipeline, which
 * applies it in event time (pipeline_deploy.h). A restart reads the file
 * again: a signal a model applied before is not applied twice (its
 * baseline remembers the last deployment, and is checkpointed). */
#ifndef DAEMON_DEPLOY_H
#define DAEMON_DEPLOY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kpg_error.h"
#include "pipeline.h"
#include "pipeline_deploy.h"

typedef struct daemon_deploy {
	char model[PIPELINE_DEPLOY_MODEL_MAX];
	int64_t at_ms;
	char *reference; /* owned, resolved against the file's folder; NULL none */
} daemon_deploy;

typedef struct daemon_deploys {
	const char *path; /* borrowed; NULL = none configured */
	off_t offset;     /* bytes of whole lines read */
	unsigned line_no;
	daemon_deploy *items;
	size_t n, cap;     /* owned */
	uint64_t rejected; /* lines that are not a deployment (logged) */
} daemon_deploys;

/* Reads the lines appended since the last call (a partial last line
 * waits). A bad line is logged with its number and skipped; a file that
 * does not exist yet is no error. Returns how many signals were added
 * (items from n - that on), or a negative KPG_ code when out of memory. */
int daemon_deploys_poll(daemon_deploys *dd);

/* Queues signals [from, dd->n) in pl, skipping models pl does not run.
 * 0, or KPG_ENOMEM. */
int daemon_deploys_feed(const daemon_deploys *dd, size_t from, pipeline *pl);

void daemon_deploys_free(daemon_deploys *dd);

#endif
