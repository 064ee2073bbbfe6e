/* energy.h - energy (kWh) and carbon (kgCO2e) of a retraining run.
 *
 * Method (Cloud Carbon Footprint): kWh = instance_count x hours x
 * kW_per_instance (PUE 1.135 included); kgCO2e = kWh x region grid factor
 * (location-based) + embodied share. Coefficients live in energy_table.c,
 * copied with their sources named; nothing is read at run time. */
#ifndef ENERGY_H
#define ENERGY_H

#include "kpg_error.h"

typedef struct energy_profile {
	char instance_type[64];   /* "ml.m5.xlarge" or "m5.xlarge" */
	unsigned instance_count;  /* >= 1 */
	double expected_hours;    /* > 0 */
	char region[32];          /* "us-east-1" */
} energy_profile;

typedef struct energy_estimate {
	double kw_per_instance;   /* incl. PUE */
	double grid_kg_per_kwh;   /* region factor */
	double embodied_kg_per_instance_hour;
	double hours;
	double kwh;
	double kg_co2e;           /* operational + embodied */
	const char *power_source; /* "ccf" (method) or a note; static */
} energy_estimate;

/* Estimate for a run of `hours` (pass profile->expected_hours before the
 * run, the real duration after). Returns KPG_ENOTFOUND with a message
 * naming the unknown instance type or region. */
int energy_estimate_run(const energy_profile *p, double hours,
			energy_estimate *out, kpg_err *err);

/* 0 when known; KPG_ENOTFOUND otherwise (with close suggestions in err). */
int energy_check_instance(const char *instance_type, kpg_err *err);
int energy_check_region(const char *region, kpg_err *err);

#endif
