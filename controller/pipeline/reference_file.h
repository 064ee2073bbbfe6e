/* reference_file.h - a reference compiled once (`kpigate baseline build`)
 * and loaded in milliseconds: a loaded `reference` written to a compact
 * binary file and read back into an identical one.
 *
 * The file (docs/reference-file.md has the byte layout):
 *
 *   header     "KPGREF1\n", u32 version, u32 sections, u64 file size,
 *              u64 reserved (0)                                  32 bytes
 *   directory  per section: u32 kind, u32 index, u64 offset, u64 length,
 *              SHA-256 of the section's bytes                    56 bytes each
 *   sections   options, schema, one per feature, in that order, back to back
 *   seal       SHA-256 of the header and directory               32 bytes
 *
 * Every number is little-endian and fixed-width; every string and array
 * has its length before it. The seal covers the directory, which holds
 * every section's SHA-256, so it covers every byte: a truncated file is
 * named by the size the header promised, an altered byte by its section
 * and that section's offset, and a file that fails any check gives an
 * error and no reference (never a partial one). Limits (REFERENCE_FILE_*
 * below) bound every count and length, and each is also checked against
 * the bytes its section has left.
 *
 * The options section records the options that shaped the reference
 * (label column, excluded columns, declared types, PSI bins, payload
 * columns), the source CSV's header and the --max-values it was built
 * with. A compiled reference loaded with reference_options compares them
 * (excluded columns and declared types as sets, the payload in order, the
 * PSI bins as effective: 0 = PSI_DEFAULT_BINS) and refuses a difference
 * with the option and both values named, so a policy never runs against
 * a reference built for another. */
#ifndef REFERENCE_FILE_H
#define REFERENCE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "csv_columns.h"
#include "kpg_error.h"
#include "reference.h"

#define REFERENCE_FILE_MAGIC "KPGREF1\n"
#define REFERENCE_FILE_MAGIC_LEN 8
#define REFERENCE_FILE_VERSION 1

/* Limits a file must keep (an error past any of them). */
#define REFERENCE_FILE_MAX_BYTES ((uint64_t)1 << 36) /* 64 GiB */
#define REFERENCE_FILE_MAX_FEATURES 100000
#define REFERENCE_FILE_MAX_COLUMNS 100000             /* header, payload, options lists */
#define REFERENCE_FILE_MAX_STRING 65535               /* bytes of one name or category */
#define REFERENCE_FILE_MAX_VALUES ((uint64_t)1 << 31) /* stored per feature */

/* `baseline build --max-values` default: past it a numeric feature is
 * stored as an equi-depth quantile summary (reference_summary.h). */
#define REFERENCE_FILE_DEFAULT_MAX_VALUES 1000000

/* What a compiled file says about itself besides the reference
 * (reference_file_parse's info; free with reference_file_info_free). */
typedef struct reference_file_info {
	uint32_t version;
	uint64_t file_size;
	char seal_sha256[65];           /* hex of the seal: the file's identity */
	reference_source compiled_from; /* the source kind it was built from */
	uint64_t max_values;            /* --max-values it was built with */
	/* the options it was built with, all owned */
	char *label_column; /* NULL: none */
	char **exclude;
	size_t n_exclude;
	policy_feature *declared; /* names owned */
	size_t n_declared;
	unsigned psi_bins; /* effective */
	char **payload;
	size_t n_payload;
	/* the source CSV's header, in order */
	char **columns;
	size_t n_columns;
} reference_file_info;

/* 1 when path starts with REFERENCE_FILE_MAGIC, else 0 (also when it
 * cannot be read: the caller's own open reports that). */
int reference_file_is_compiled(const char *path);

/* Writes ref to path (a temporary file beside it, fsync'd, renamed over
 * path, the folder fsync'd). opt are the options ref was loaded with,
 * columns the source CSV's header, max_values the summary limit it was
 * built with (0: none). ref->source_sha256 should hold the source's hash
 * (reference_file_sha256). Everything is borrowed. Returns 0, KPG_EIO
 * (err names the file), KPG_EINVAL (ref past a limit), KPG_ENOMEM. */
int reference_file_write(const char *path, const reference *ref,
			 const reference_options *opt, const csv_header *columns,
			 uint64_t max_values, kpg_err *err);

/* Reads a compiled reference into *out (caller frees with
 * reference_free): out->source is REFERENCE_SOURCE_COMPILED, out->path is
 * path, out->source_sha256 the source's hash. opt NULL: any options;
 * otherwise they must be the recorded ones (KPG_EINVAL naming the option,
 * and opt->err_key set to its policy key). Errors: KPG_EIO, KPG_ETOOBIG,
 * KPG_EINTEGRITY (truncated, altered or invalid: err names the section
 * and offset), KPG_EINVAL (version or options), KPG_ENOMEM. On any error
 * *out holds nothing to free. */
int reference_file_read(const char *path, const reference_options *opt,
			reference *out, kpg_err *err);

/* The same from len bytes at buf (borrowed for the call); path names it
 * in messages and becomes out->path. info, when not NULL, gets what the
 * file says about itself (free with reference_file_info_free, also after
 * an error). */
int reference_file_parse(const void *buf, size_t len, const char *path,
			 const reference_options *opt, reference *out,
			 reference_file_info *info, kpg_err *err);

/* reference_file_read without an options check, with what the file says
 * about itself in *info (free with reference_file_info_free, also after
 * an error): `kpigate baseline show`. */
int reference_file_inspect(const char *path, reference *out,
			   reference_file_info *info, kpg_err *err);

/* Reads only the options section's facts of a compiled file (the header,
 * directory, seal and that section are checked): for callers that need
 * the source columns before loading (csv_header_read). Free *info with
 * reference_file_info_free, also after an error. */
int reference_file_read_info(const char *path, reference_file_info *info,
			     kpg_err *err);

void reference_file_info_free(reference_file_info *info);

/* hex SHA-256 of a file's bytes (65 bytes with the NUL). 0 or KPG_EIO. */
int reference_file_sha256(const char *path, char hex[65], kpg_err *err);

#endif
