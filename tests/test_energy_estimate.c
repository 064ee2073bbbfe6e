/* test_energy_estimate.c - energy_estimate_run, the instance and region
 * checks, the worked example of docs/energy.md, and the generated table
 * against the shared CSVs it was copied from (skipped when absent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "energy.h"

static energy_profile profile(const char *type, unsigned count, double hours,
			      const char *region)
{
	energy_profile p;

	memset(&p, 0, sizeof(p));
	snprintf(p.instance_type, sizeof(p.instance_type), "%s", type);
	p.instance_count = count;
	p.expected_hours = hours;
	snprintf(p.region, sizeof(p.region), "%s", region);
	return p;
}

/* docs/energy.md, "Worked example": 1 x ml.p3.2xlarge for 2 h in eu-west-1.
 * kWh = 1 x 2 x 0.2368 = 0.4736; operational = 0.4736 x 0.2786 = 0.13194496;
 * embodied = 1 x 2 x 12.64 / 1000 = 0.02528; total 0.15722496 kg. */
static void test_worked_example(void **state)
{
	energy_profile p = profile("ml.p3.2xlarge", 1, 2.0, "eu-west-1");
	energy_estimate e;
	kpg_err err = {{0}};

	(void)state;
	assert_int_equal(energy_estimate_run(&p, p.expected_hours, &e, &err), 0);
	assert_true(fabs(e.kw_per_instance - 0.2368) < 1e-12);
	assert_true(fabs(e.grid_kg_per_kwh - 0.2786) < 1e-12);
	assert_true(fabs(e.kwh - 0.4736) < 1e-12);
	assert_true(fabs(e.kg_co2e - 0.15722496) < 1e-12);
	assert_true(fabs(e.hours - 2.0) < 1e-12);
	assert_string_equal(e.power_source, "ccf");
}

static void test_formula_scales(void **state)
{
	energy_profile p = profile("m5.xlarge", 3, 1.5, "us-east-1");
	energy_estimate e1, e2;
	kpg_err err = {{0}};

	(void)state;
	assert_int_equal(energy_estimate_run(&p, 1.5, &e1, &err), 0);
	/* kWh = count x hours x kW; kg = kWh x grid + count x hours x emb. */
	assert_true(fabs(e1.kwh - 3 * 1.5 * e1.kw_per_instance) < 1e-12);
	assert_true(fabs(e1.kg_co2e -
			 (e1.kwh * e1.grid_kg_per_kwh +
			  3 * 1.5 * e1.embodied_kg_per_instance_hour)) < 1e-12);
	/* The real duration replaces expected_hours. */
	assert_int_equal(energy_estimate_run(&p, 3.0, &e2, &err), 0);
	assert_true(fabs(e2.kwh - 2 * e1.kwh) < 1e-12);
	assert_true(fabs(e2.kg_co2e - 2 * e1.kg_co2e) < 1e-12);
}

static void test_both_names(void **state)
{
	energy_profile a = profile("ml.g5.xlarge", 2, 4.0, "us-west-2");
	energy_profile b = profile("g5.xlarge", 2, 4.0, "us-west-2");
	energy_estimate ea, eb;
	kpg_err err = {{0}};

	(void)state;
	assert_int_equal(energy_estimate_run(&a, 4.0, &ea, &err), 0);
	assert_int_equal(energy_estimate_run(&b, 4.0, &eb, &err), 0);
	assert_true(ea.kwh == eb.kwh && ea.kg_co2e == eb.kg_co2e);
	assert_int_equal(energy_check_instance("ml.r5.large", &err), 0);
	assert_int_equal(energy_check_instance("r5.large", &err), 0);
}

static void test_inferentia_note(void **state)
{
	energy_profile p = profile("ml.inf1.xlarge", 1, 1.0, "us-east-1");
	energy_estimate e;
	kpg_err err = {{0}};

	(void)state;
	assert_int_equal(energy_estimate_run(&p, 1.0, &e, &err), 0);
	assert_non_null(strstr(e.power_source, "Inferentia"));
}

static void test_no_published_figure(void **state)
{
	const char *types[] = {"ml.trn1.32xlarge", "trn1.2xlarge", "ml.p5.48xlarge",
			       "inf2.xlarge"};
	kpg_err err = {{0}};

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		energy_profile p = profile(types[i], 1, 1.0, "us-east-1");
		energy_estimate e;

		assert_int_equal(energy_check_instance(types[i], &err),
				 KPG_ENOTFOUND);
		assert_non_null(strstr(err.msg, "no published power figure"));
		assert_non_null(strstr(err.msg, types[i]));
		assert_int_equal(energy_estimate_run(&p, 1.0, &e, &err),
				 KPG_ENOTFOUND);
	}
}

static void test_suggestions(void **state)
{
	kpg_err err = {{0}};

	(void)state;
	assert_int_equal(energy_check_instance("ml.m5.xlarg", &err), KPG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "did you mean ml.m5.xlarge?"));
	assert_int_equal(energy_check_instance("p3.2xlarg", &err), KPG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "did you mean p3.2xlarge?"));
	assert_int_equal(energy_check_instance("quantum.9000", &err), KPG_ENOTFOUND);
	assert_null(strstr(err.msg, "did you mean"));
	assert_int_equal(energy_check_region("us-east1", &err), KPG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "did you mean us-east-1?"));
	assert_int_equal(energy_check_region("eu-west-1", &err), 0);
	assert_int_equal(energy_check_region("Unknown", &err), KPG_ENOTFOUND);
	assert_int_equal(energy_check_region("", &err), KPG_EINVAL);
}

static void test_bad_arguments(void **state)
{
	energy_profile p = profile("ml.m5.xlarge", 0, 1.0, "us-east-1");
	energy_estimate e;
	kpg_err err = {{0}};

	(void)state;
	assert_int_equal(energy_estimate_run(&p, 1.0, &e, &err), KPG_EINVAL);
	p.instance_count = 1;
	assert_int_equal(energy_estimate_run(&p, 0.0, &e, &err), KPG_EINVAL);
	assert_int_equal(energy_estimate_run(&p, -1.0, &e, &err), KPG_EINVAL);
	assert_int_equal(energy_estimate_run(&p, NAN, &e, &err), KPG_EINVAL);
	assert_int_equal(energy_estimate_run(&p, INFINITY, &e, &err), KPG_EINVAL);
	assert_int_equal(energy_estimate_run(NULL, 1.0, &e, &err), KPG_EINVAL);
	p = profile("ml.m5.xlarge", 1, 1.0, "mars-north-1");
	assert_int_equal(energy_estimate_run(&p, 1.0, &e, &err), KPG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "mars-north-1"));
}

/* Splits a comma line in place (no quoting in these files). */
static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		line = strchr(line, ',');
		if (line == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static int column(char **f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i], name) == 0)
			return (int)i;
	fail_msg("column %s missing", name);
	return -1;
}

static FILE *open_shared(const char *name)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/data/energy/%s", KPG_SHARED_DIR, name);
	f = fopen(path, "r");
	if (f == NULL)
		skip();
	return f;
}

/* Every ml.* row of the CCF table is in energy_table.c with its figures. */
static void test_table_matches_ccf_csv(void **state)
{
	FILE *f = open_shared("ccf_aws_ml_instance_power.csv");
	char line[4096], *fld[64];
	int c_name = -1, c_ml = -1, c_kw = -1, c_emb = -1;
	size_t rows = 0;

	(void)state;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n;
		energy_profile p;
		energy_estimate e;
		kpg_err err = {{0}};

		if (line[0] == '#')
			continue;
		n = split(line, fld, 64);
		if (c_name < 0) {
			c_name = column(fld, n, "instance_type");
			c_ml = column(fld, n, "sagemaker_name");
			c_kw = column(fld, n, "ccf_kwh_per_hour_pue_u50");
			c_emb = column(fld, n, "embodied_gCO2e_per_instance_hour");
			continue;
		}
		p = profile(fld[c_ml], 1, 1.0, "us-east-1");
		assert_int_equal(energy_estimate_run(&p, 1.0, &e, &err), 0);
		assert_true(e.kw_per_instance == strtod(fld[c_kw], NULL));
		assert_true(fabs(e.embodied_kg_per_instance_hour * 1000 -
				 strtod(fld[c_emb], NULL)) < 1e-9);
		assert_int_equal(energy_check_instance(fld[c_name], &err), 0);
		rows++;
	}
	fclose(f);
	assert_true(rows > 60);
	assert_int_equal(rows, energy_instances_len);
}

static void test_regions_match_ccf_csv(void **state)
{
	FILE *f = open_shared("ccf_aws_region_emission_factors.csv");
	char line[4096], *fld[64];
	int c_reg = -1, c_t = -1;
	size_t rows = 0;

	(void)state;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n;
		energy_profile p;
		energy_estimate e;
		kpg_err err = {{0}};

		if (line[0] == '#')
			continue;
		n = split(line, fld, 64);
		if (c_reg < 0) {
			c_reg = column(fld, n, "region");
			c_t = column(fld, n, "tCO2e_per_kWh");
			continue;
		}
		if (strcmp(fld[c_reg], "Unknown") == 0)
			continue;
		p = profile("m5.xlarge", 1, 1.0, fld[c_reg]);
		assert_int_equal(energy_estimate_run(&p, 1.0, &e, &err), 0);
		assert_true(fabs(e.grid_kg_per_kwh - strtod(fld[c_t], NULL) * 1000) <
			    1e-12);
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, energy_regions_len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_formula_scales),
		cmocka_unit_test(test_both_names),
		cmocka_unit_test(test_inferentia_note),
		cmocka_unit_test(test_no_published_figure),
		cmocka_unit_test(test_suggestions),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_table_matches_ccf_csv),
		cmocka_unit_test(test_regions_match_ccf_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
