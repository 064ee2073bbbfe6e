/* capture_b64.h - strict base64 decoding shared by the capture and
 * ground-truth decoders (internal to kpg_adapters).
 *
 * Strict means: standard alphabet (A-Z a-z 0-9 + /), length a multiple of
 * 4, '=' only as the last one or two characters, no whitespace, and the
 * unused bits before the padding must be zero (canonical encoding). */
#ifndef CAPTURE_B64_H
#define CAPTURE_B64_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Upper bound of the decoded size of n base64 characters. */
size_t capture_b64_decoded_max(size_t n);

/* Decodes src[0..n) into dst (at least capture_b64_decoded_max(n) bytes,
 * caller owns it). Returns 0 and *out_len, or -1 when src is not strict
 * base64. dst may not overlap src. */
int capture_b64_decode(const char *src, size_t n, unsigned char *dst,
		       size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
