/* test_policies_format.c - policy_format_pair: a value and its threshold
 * with the fewest significant digits (at least 3) that tell them apart,
 * so a reason never reads "rmse 110 > 110". */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_format.h"

typedef struct pair_case {
	double value, threshold;
	const char *v, *t; /* expected texts */
} pair_case;

static void check(const pair_case *c)
{
	char v[POLICY_NUM_LEN], t[POLICY_NUM_LEN];

	/* garbage in the buffers must not show through */
	memset(v, 'x', sizeof(v));
	memset(t, 'x', sizeof(t));
	policy_format_pair(c->value, c->threshold, v, t);
	print_message("    %.17g vs %.17g -> %s vs %s\n", c->value, c->threshold, v, t);
	assert_string_equal(v, c->v);
	assert_string_equal(t, c->t);
}

static void test_examples(void **state)
{
	static const pair_case cases[] = {
		/* the case */
		{110.029, 110, "110.03", "110"},
		{110, 110.029, "110", "110.03"},
		/* three digits when they already differ, %g style */
		{0.712, 0.75, "0.712", "0.75"},
		{12.5, 10, "12.5", "10"},
		{0.8412345, 0.7, "0.841", "0.7"},
		{123456.0, 100000.0, "1.23e+05", "1e+05"},
		/* close values get the digits that separate them */
		{0.7499, 0.75, "0.7499", "0.75"},
		{0.75, 0.7499, "0.75", "0.7499"},
		{9.996, 10, "9.996", "10"},
		{109.9996, 110, "109.9996", "110"},
		{1.0000001, 1, "1.0000001", "1"},
		/* equal values: the shortest form, the same text */
		{0.75, 0.75, "0.75", "0.75"},
		{110, 110, "110", "110"},
		{1.0 / 3.0, 1.0 / 3.0, "0.333", "0.333"},
		{0, 0, "0", "0"},
		{-0.0, 0.0, "0", "0"}, /* equal numbers, never "-0 >= 0" */
		/* negatives */
		{-1.5, -1.25, "-1.5", "-1.25"},
		{-110.029, -110, "-110.03", "-110"},
		{-0.001, 0.001, "-0.001", "0.001"},
		/* tiny and huge magnitudes */
		{1e-300, 2e-300, "1e-300", "2e-300"},
		{1.0001e-300, 1e-300, "1.0001e-300", "1e-300"},
		{DBL_MIN, 0, "2.23e-308", "0"},
		{1e300, 1.00001e300, "1e+300", "1.00001e+300"},
		{DBL_MAX, 1e308, "1.8e+308", "1e+308"},
		/* non-finite */
		{NAN, 0.75, "nan", "0.75"},
		{0.75, NAN, "0.75", "nan"},
		{NAN, NAN, "nan", "nan"},
		{INFINITY, 110, "inf", "110"},
		{-INFINITY, 0, "-inf", "0"},
		{INFINITY, INFINITY, "inf", "inf"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
}

/* Neighbouring doubles need up to 17 digits, and get them. Texts are read
 * back as long double (64-bit mantissa), which keeps any two different
 * 17-digit decimals apart. */
static void test_adjacent_doubles(void **state)
{
	static const double bases[] = {0.1, 110.0, 1.0 / 3.0, -2.5e-7, 6.02e23};
	char v[POLICY_NUM_LEN], t[POLICY_NUM_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		double a = bases[i], b = nextafter(a, INFINITY);

		policy_format_pair(b, a, v, t);
		print_message("    %s vs %s\n", v, t);
		assert_string_not_equal(v, t);
		assert_true(strtold(v, NULL) > strtold(t, NULL));
	}
}

/* Any two doubles: different numbers never print alike, the texts keep
 * the numbers' order, and at least three significant digits are used
 * before any is added. Deterministic pseudo-random pairs, many of them
 * close to each other. */
static void test_random_pairs(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	char v[POLICY_NUM_LEN], t[POLICY_NUM_LEN], v3[POLICY_NUM_LEN];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		double a, b;
		long double pa, pb;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		a = ldexp((double)(x >> 11) / 9007199254740992.0, (int)(x % 64) - 32);
		if (x & 1)
			a = -a;
		switch ((x >> 3) % 4) {
		case 0: b = a; break;
		case 1: b = a * (1 + 1e-9 * (double)((x >> 20) % 1000)); break;
		case 2: b = nextafter(a, (x & 2) ? INFINITY : -INFINITY); break;
		default: b = -a * 0.5 + 1.0; break;
		}
		policy_format_pair(a, b, v, t);
		pa = strtold(v, NULL);
		pb = strtold(t, NULL);
		if (a == b) {
			assert_string_equal(v, t);
			/* equal values use three digits */
			snprintf(v3, sizeof(v3), "%.3g", a + 0.0);
			assert_string_equal(v, v3);
			continue;
		}
		if (strcmp(v, t) == 0)
			fail_msg("%.17g and %.17g both print as %s", a, b, v);
		/* the printed numbers are in the same order as the numbers,
		 * and no more digits than needed were used */
		assert_true((a < b) == (pa < pb));
		assert_true((a > b) == (pa > pb));
		if (strlen(v) > 4 || strlen(t) > 4) {
			char v1[POLICY_NUM_LEN], t1[POLICY_NUM_LEN];
			int digits = 3;

			/* the fewest digits that print them apart */
			for (;; digits++) {
				snprintf(v1, sizeof(v1), "%.*g", digits, a + 0.0);
				snprintf(t1, sizeof(t1), "%.*g", digits, b + 0.0);
				if (strcmp(v1, t1) != 0 || digits == 17)
					break;
			}
			assert_string_equal(v, v1);
			assert_string_equal(t, t1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_adjacent_doubles),
		cmocka_unit_test(test_random_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
