/* policy_format.h - numbers in decision reasons: a value and the threshold
 * it was compared with, printed so that the comparison reads true. */
#ifndef POLICY_FORMAT_H
#define POLICY_FORMAT_H

/* Enough for any double at 17 significant digits ("-1.2345678901234567e-308"). */
#define POLICY_NUM_LEN 32

/* Writes value and threshold in the %g style with the fewest significant
 * digits, at least 3, that tell them apart when they differ: 110.029 and
 * 110 give "110.03" and "110", 0.712 and 0.75 give "0.712" and "0.75".
 * Different numbers never print the same (17 digits tell any two doubles
 * apart), equal numbers always do. NaN prints "nan", infinities "inf" and
 * "-inf", negative zero "0". Both buffers are POLICY_NUM_LEN bytes, owned
 * by the caller. */
void policy_format_pair(double value, double threshold,
			char vbuf[POLICY_NUM_LEN], char tbuf[POLICY_NUM_LEN]);

#endif
