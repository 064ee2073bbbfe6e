/* policy_format.c - a value and its threshold with just enough digits:
 * "rmse 110.03 > 110", never "rmse 110 > 110". Rounding to a number of
 * significant digits keeps order, so once the two texts differ they
 * differ in the same direction as the numbers. */
#include "policy_format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MIN_DIGITS 3
#define MAX_DIGITS 17 /* DBL_DECIMAL_DIG: round-trips every double */

static void format_one(double x, int digits, char buf[POLICY_NUM_LEN])
{
	if (isnan(x))
		snprintf(buf, POLICY_NUM_LEN, "nan");
	else if (isinf(x))
		snprintf(buf, POLICY_NUM_LEN, "%s", x > 0 ? "inf" : "-inf");
	else
		/* + 0.0 turns -0 into 0: equal to 0, so printed as 0 */
		snprintf(buf, POLICY_NUM_LEN, "%.*g", digits, x + 0.0);
}

void policy_format_pair(double value, double threshold,
			char vbuf[POLICY_NUM_LEN], char tbuf[POLICY_NUM_LEN])
{
	int digits = MIN_DIGITS;

	for (;;) {
		format_one(value, digits, vbuf);
		format_one(threshold, digits, tbuf);
		/* equal numbers, or NaN that equals nothing: the shortest form */
		if (value == threshold || isnan(value) || isnan(threshold))
			break;
		if (strcmp(vbuf, tbuf) != 0 || digits >= MAX_DIGITS)
			break;
		digits++;
	}
}
