/* Identical references loaded once (reference_cache.h): models whose
 * policies name the same file with the same options share one reference;
 * other options load their own; a model that lets go of its reference
 * (a deployment's new one) leaves the others' intact; the cache frees
 * what it holds. Under ASan this also checks no reference is freed twice
 * or leaked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "pipeline_deploy.h"
#include "pipeline_fixture.h"
#include "policy.h"
#include "reference_cache.h"

static char dir[64];

static policy *load_policy(const char *name, const char *model, unsigned bins)
{
	char text[1024], path[128];
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err;

	snprintf(text, sizeof(text),
		 "{\"model\": \"%s\", \"endpoint\": \"%s\", \"reference\": {\"path\": \"ref.csv\"},"
		 " \"drift\": {\"psi_bins\": %u},"
		 " \"window\": {\"records\": 10},"
		 " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.9}],"
		 " \"guards\": {\"min_records\": 1, \"min_labelled\": 1},"
		 " \"action\": {\"type\": \"dry_run\"},"
		 " \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1,"
		 " \"expected_hours\": 1, \"region\": \"us-east-1\"}}",
		 model, model, bins);
	fx_write_file(dir, name, text);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (policy_load(path, &p, &d, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	policy_diags_free(&d);
	return p;
}

static void test_identical_references_shared(void **state)
{
	policy *pols[3];
	pipeline pl;
	kpg_err err = {""};
	char other[128], cmd[96];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg-refcache-XXXXXX");
	assert_non_null(mkdtemp(dir));
	fx_write_file(dir, "ref.csv", FX_REFERENCE);
	fx_write_file(dir, "ref2.csv", FX_REFERENCE);
	pols[0] = load_policy("a.json", "a", 10);
	pols[1] = load_policy("b.json", "b", 10);
	pols[2] = load_policy("c.json", "c", 4); /* other options */
	assert_int_equal(pipeline_init(&pl, pols, 3, NULL, NULL, NULL, &err), 0);
	assert_int_equal(reference_cache_loads(pl.ref_cache), 2);
	assert_ptr_equal(pl.models[0].ref.features, pl.models[1].ref.features);
	assert_ptr_not_equal(pl.models[0].ref.features, pl.models[2].ref.features);
	assert_int_equal(pl.models[2].ref.features[0].psi.n_bins, 4);
	/* model a takes a deployment's reference: b keeps the shared one */
	snprintf(other, sizeof(other), "%s/ref2.csv", dir);
	assert_int_equal(pipeline_swap_reference(&pl.models[0], other, &err), 0);
	assert_ptr_not_equal(pl.models[0].ref.features, pl.models[1].ref.features);
	assert_int_equal(pl.models[1].ref.n_rows, 7);
	assert_true(pl.models[1].ref.features[0].sorted[6] == 6);
	pipeline_free(&pl);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_cache_direct(void **state)
{
	reference_cache *c;
	const reference *a, *b, *d;
	reference_options o = {0}, o2 = {0};
	char *ex1[] = {"y", "x"}, *ex2[] = {"x", "y"};
	kpg_err err = {""};
	char path[128], cmd[96];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg-refcache-XXXXXX");
	assert_non_null(mkdtemp(dir));
	fx_write_file(dir, "r.csv", "x,y,z\n1,2,3\n4,5,6\n");
	snprintf(path, sizeof(path), "%s/r.csv", dir);
	assert_int_equal(reference_cache_new(&c), 0);
	o.exclude = ex1;
	o.n_exclude = 2;
	o2.exclude = ex2; /* the same set in another order */
	o2.n_exclude = 2;
	o2.psi_bins = 10; /* the default, said */
	assert_int_equal(reference_cache_get(c, path, &o, &a, &err), 0);
	assert_int_equal(reference_cache_get(c, path, &o2, &b, &err), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(reference_cache_loads(c), 1);
	reference_cache_release(c, a);
	assert_string_equal(b->features[0].name, "z"); /* still held once */
	reference_cache_release(c, b);
	/* released to 0: freed, a new get loads again */
	assert_int_equal(reference_cache_get(c, path, &o, &d, &err), 0);
	assert_int_equal(reference_cache_loads(c), 2);
	/* a file that does not load: the error, nothing held */
	snprintf(path, sizeof(path), "%s/missing.csv", dir);
	assert_int_not_equal(reference_cache_get(c, path, &o, &a, &err), 0);
	assert_null(a);
	reference_cache_free(c); /* d still held: freed here */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_references_shared),
		cmocka_unit_test(test_cache_direct),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
