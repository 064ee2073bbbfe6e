/* energy.c - energy and carbon estimate of a retraining run, from the
 * static coefficients in energy_table.c. Method and sources: docs/energy.md */
#include "energy.h"

#include <math.h>
#include <string.h>

#define ML_PREFIX "ml."

/* Names are compared without the SageMaker "ml." prefix. */
static const char *strip_ml(const char *s)
{
	return strncmp(s, ML_PREFIX, strlen(ML_PREFIX)) == 0 ? s + strlen(ML_PREFIX)
							     : s;
}

/* Levenshtein distance, capped: names longer than 63 bytes are "far". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], i, j;

	if (la >= 64 || lb >= 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Closest name (<= 3 edits) among `n` entries `stride` bytes apart, each
 * starting with a const char * name; NULL when nothing is close. */
static const char *closest(const char *want, const void *base, size_t n,
			   size_t stride)
{
	const char *best = NULL;
	size_t best_d = 4;

	for (size_t i = 0; i < n; i++) {
		const char *name =
			*(const char *const *)((const char *)base + i * stride);
		size_t d = edit_distance(want, name);

		if (d < best_d) {
			best_d = d;
			best = name;
		}
	}
	return best;
}

static const energy_instance_row *find_instance(const char *type)
{
	const char *name = strip_ml(type);

	for (size_t i = 0; i < energy_instances_len; i++)
		if (strcmp(energy_instances[i].type, name) == 0)
			return &energy_instances[i];
	return NULL;
}

static const energy_region_row *find_region(const char *region)
{
	for (size_t i = 0; i < energy_regions_len; i++)
		if (strcmp(energy_regions[i].region, region) == 0)
			return &energy_regions[i];
	return NULL;
}

int energy_check_instance(const char *instance_type, kpg_err *err)
{
	const char *name, *near;
	int ml;

	if (instance_type == NULL || instance_type[0] == '\0') {
		kpg_err_set(err, "no instance type given");
		return KPG_EINVAL;
	}
	if (find_instance(instance_type) != NULL)
		return 0;
	name = strip_ml(instance_type);
	ml = name != instance_type;
	for (size_t i = 0; i < energy_unpublished_len; i++) {
		if (strcmp(energy_unpublished[i].type, name) == 0) {
			kpg_err_set(err,
				    "no published power figure exists for instance type '%s' (%s), so its energy cannot be estimated; choose an instance type with a figure (see docs/energy.md)",
				    instance_type, energy_unpublished[i].why);
			return KPG_ENOTFOUND;
		}
	}
	near = closest(name, energy_instances, energy_instances_len,
		       sizeof(energy_instances[0]));
	if (near != NULL)
		kpg_err_set(err,
			    "unknown instance type '%s'; did you mean %s%s?",
			    instance_type, ml ? ML_PREFIX : "", near);
	else
		kpg_err_set(err,
			    "unknown instance type '%s': kpigate has no power figure for it (see docs/energy.md for the list)",
			    instance_type);
	return KPG_ENOTFOUND;
}

int energy_check_region(const char *region, kpg_err *err)
{
	const char *near;

	if (region == NULL || region[0] == '\0') {
		kpg_err_set(err, "no region given");
		return KPG_EINVAL;
	}
	if (find_region(region) != NULL)
		return 0;
	near = closest(region, energy_regions, energy_regions_len,
		       sizeof(energy_regions[0]));
	if (near != NULL)
		kpg_err_set(err, "unknown AWS region '%s'; did you mean %s?",
			    region, near);
	else
		kpg_err_set(err,
			    "unknown AWS region '%s': kpigate has no grid emission factor for it",
			    region);
	return KPG_ENOTFOUND;
}

int energy_estimate_run(const energy_profile *p, double hours,
			energy_estimate *out, kpg_err *err)
{
	const energy_instance_row *inst;
	const energy_region_row *reg;
	double inst_hours;
	int rc;

	if (p == NULL || out == NULL) {
		kpg_err_set(err, "energy_estimate_run: NULL argument");
		return KPG_EINVAL;
	}
	if (p->instance_count < 1) {
		kpg_err_set(err, "instance count must be at least 1, got %u",
			    p->instance_count);
		return KPG_EINVAL;
	}
	if (!isfinite(hours) || hours <= 0) {
		kpg_err_set(err, "run duration must be a positive number of hours, got %g",
			    hours);
		return KPG_EINVAL;
	}
	rc = energy_check_instance(p->instance_type, err);
	if (rc)
		return rc;
	rc = energy_check_region(p->region, err);
	if (rc)
		return rc;
	inst = find_instance(p->instance_type);
	reg = find_region(p->region);

	inst_hours = (double)p->instance_count * hours;
	memset(out, 0, sizeof(*out));
	out->kw_per_instance = inst->kw;
	out->grid_kg_per_kwh = reg->kg_per_kwh;
	out->embodied_kg_per_instance_hour = inst->embodied_g_per_hour / 1000.0;
	out->hours = hours;
	out->kwh = inst_hours * inst->kw;
	out->kg_co2e = out->kwh * reg->kg_per_kwh +
		       inst_hours * out->embodied_kg_per_instance_hour;
	out->power_source = inst->note != NULL ? inst->note : "ccf";
	return 0;
}
