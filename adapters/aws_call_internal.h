/* aws_call_internal.h - pieces of aws_call.c exposed for its unit tests
 * only (tests/test_adapters_aws_call.c); not part of the adapter's API. */
#ifndef AWS_CALL_INTERNAL_H
#define AWS_CALL_INTERNAL_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds: the clock of aws_retry_policy's
 * deadline_ms. */
int64_t aws_call_mono_ms(void);

/* 1 when s is 1..63 of [a-z0-9-] (a region or signing name). */
int aws_call_valid_label(const char *s);

#endif
