/* aws_call_internal.h - pieces of aws_call.c exposed for its unit tests
 * only (tests/test_adapters_aws_call.c); not part of the adapter's API. */
#ifndef AWS_CALL_INTERNAL_H
#define AWS_CALL_INTERNAL_H

#include <stdint.h>

/* Full-jitter backoff before retry number `retry` (0 = the wait after the
 * first failed attempt): rnd mapped uniformly onto [0, min(cap_ms,
 * base_ms * 2^retry)], both ends included. Never overflows. */
int64_t aws_call_backoff_ms(int retry, int base_ms, int cap_ms, uint64_t rnd);

/* 64 random bits from the kernel (getrandom); falls back to a
 * clock-seeded splitmix64 only if getrandom fails. */
uint64_t aws_call_random_u64(void);

/* CLOCK_MONOTONIC in milliseconds: the clock of aws_retry_policy's
 * deadline_ms. */
int64_t aws_call_mono_ms(void);

/* 1 when s is 1..63 of [a-z0-9-] (a region or signing name). */
int aws_call_valid_label(const char *s);

#endif
