/* fuzz_reference_file.c - libFuzzer target for compiled references
 * (reference_file_parse, what reference_load reads for a file that starts
 * with KPGREF1). Any bytes give a reference or a clean error with a
 * message, never a crash, a leak or half a reference. Random bytes rarely
 * get past the SHA-256 checks, so each input is also tried resealed: when
 * its header and directory have the file's shape, every section's SHA-256
 * and the seal are recomputed first, and the decoder behind them gets the
 * fuzzer's bytes. */
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reference_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Rewrites the file size, section hashes and seal of b (len bytes). */
static void reseal(unsigned char *b, size_t len)
{
	uint64_t n_sec, dir_end;

	if (len < 64)
		return;
	n_sec = le(b + 12, 4);
	if (n_sec > 1000)
		return;
	dir_end = 32 + n_sec * 56;
	if (dir_end + 32 > len)
		return;
	put_le(b + 16, len, 8);
	for (uint64_t s = 0; s < n_sec; s++) {
		unsigned char *e = b + 32 + s * 56;
		uint64_t off = le(e + 8, 8), n = le(e + 16, 8);

		if (off > len - 32 || n > len - 32 - off)
			continue;
		EVP_Digest(b + off, (size_t)n, e + 24, NULL, EVP_sha256(), NULL);
	}
	EVP_Digest(b, (size_t)dir_end, b + len - 32, NULL, EVP_sha256(), NULL);
}

static void try_parse(const unsigned char *b, size_t len)
{
	reference ref;
	reference_file_info info;
	kpg_err err;
	int rc;

	err.msg[0] = '\0';
	rc = reference_file_parse(b, len, "/fuzz/ref.kpgref", NULL, &ref, &info, &err);
	if (rc == 0) {
		for (size_t i = 0; i < ref.n_features; i++) {
			const reference_feature *f = &ref.features[i];

			if (f->type == POLICY_FEATURE_NUMERIC &&
			    (f->n == 0 || f->sorted == NULL || f->psi.n_bins == 0))
				abort();
			if (f->type == POLICY_FEATURE_CATEGORICAL &&
			    (f->category_counts == NULL ||
			     reference_category_code(f, "x", 1) > f->n_categories))
				abort();
		}
		reference_free(&ref);
	} else {
		if (err.msg[0] == '\0' || ref.features != NULL || ref.path != NULL)
			abort();
	}
	reference_file_info_free(&info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy = malloc(size + 1);

	if (copy == NULL)
		abort();
	try_parse(data, size);
	memcpy(copy, data, size);
	reseal(copy, size);
	try_parse(copy, size);
	free(copy);
	return 0;
}
