/* replay_inputs.c - skipped files and unmatched endpoint folders of a
 * replay (see replay_inputs.h). */
#include "replay_inputs.h"

#include <stdint.h>
#include <string.h>

/* Whether a policy runs for ep (its endpoint or, without one, its model:
 * the names pipeline_route matches). */
static int endpoint_has_policy(const pipeline *pl, const char *ep)
{
	for (size_t i = 0; i < pl->n_models; i++) {
		const policy *p = pl->models[i].pol;

		if ((p->endpoint && strcmp(p->endpoint, ep) == 0) ||
		    strcmp(p->model, ep) == 0)
			return 1;
	}
	return 0;
}

static int add_skips(json_t *by, json_t *first, size_t *total,
		     const file_list *fl)
{
	if (fl == NULL)
		return 0;
	for (int r = 0; r < FILE_SKIP__COUNT; r++) {
		const char *name = file_skip_reason_name((file_skip_reason)r);
		json_int_t had = json_integer_value(json_object_get(by, name));

		if (fl->skipped[r] > 0 &&
		    json_object_set_new(by, name, json_integer(had + (json_int_t)fl->skipped[r])) != 0)
			return -1;
	}
	for (size_t i = 0; i < FILE_SKIP_KEPT && fl->skipped_first[i] != NULL; i++)
		if (json_array_size(first) < FILE_SKIP_KEPT &&
		    json_array_append_new(first, json_string(fl->skipped_first[i])) != 0)
			return -1;
	*total += fl->n_skipped;
	return 0;
}

json_t *replay_inputs_json(const file_list *caps, const file_list *gts,
			   const pipeline *pl)
{
	json_t *by = json_object(), *first = json_array(), *seen = json_object(),
	       *unmatched = json_array(), *o = NULL;
	size_t total = 0;
	char ep[256];

	if (by == NULL || first == NULL || seen == NULL || unmatched == NULL)
		goto out;
	if (add_skips(by, first, &total, caps) != 0 ||
	    add_skips(by, first, &total, gts) != 0)
		goto out;
	/* endpoint folders in file order; each counted by its files */
	for (size_t i = 0; i < caps->n; i++) {
		json_t *e;

		file_endpoint_of(caps->paths[i], ep, sizeof(ep));
		if (ep[0] == '\0' || endpoint_has_policy(pl, ep))
			continue;
		e = json_object_get(seen, ep);
		if (e == NULL) {
			e = json_pack("{s:s, s:I}", "endpoint", ep, "files", (json_int_t)0);
			if (e == NULL || json_object_set_new(seen, ep, e) != 0 ||
			    json_array_append(unmatched, e) != 0)
				goto out;
		}
		json_object_set_new(e, "files",
				    json_integer(json_integer_value(json_object_get(e, "files")) + 1));
	}
	o = json_pack("{s:{s:I, s:O, s:O}, s:O}", "skipped_files", "total",
		      (json_int_t)total, "by_reason", by, "first", first,
		      "unmatched_endpoints", unmatched);
out:
	json_decref(by);
	json_decref(first);
	json_decref(seen);
	json_decref(unmatched);
	return o;
}

/* "a, b, c" of a JSON array of strings, then "…" when more were skipped. */
static void print_first(FILE *out, const json_t *first, json_int_t total)
{
	size_t i;
	json_t *v;

	json_array_foreach(first, i, v)
		fprintf(out, "%s%s", i ? ", " : "", json_string_value(v));
	if (total > (json_int_t)json_array_size(first))
		fprintf(out, ", ...");
}

static void print_lines(FILE *out, const json_t *inputs, const char *prefix)
{
	const json_t *sk = json_object_get(inputs, "skipped_files");
	const json_t *un = json_object_get(inputs, "unmatched_endpoints");
	json_int_t total = json_integer_value(json_object_get(sk, "total"));
	const char *reason;
	json_t *v;
	size_t i;
	int k = 0;

	if (total > 0) {
		fprintf(out, "%sskipped %lld file(s) of the input folders that are not "
			     "capture files (*.jsonl, *.jsonl.gz) (",
			prefix, (long long)total);
		json_object_foreach((json_t *)json_object_get(sk, "by_reason"), reason, v)
			fprintf(out, "%s%s %lld", k++ ? ", " : "", reason,
				(long long)json_integer_value(v));
		fprintf(out, "): ");
		print_first(out, json_object_get(sk, "first"), total);
		fputc('\n', out);
	}
	json_array_foreach(un, i, v)
		fprintf(out, "%sendpoint folder '%s' (%lld file(s)) matches no policy's "
			     "endpoint or model\n",
			prefix, json_string_value(json_object_get(v, "endpoint")),
			(long long)json_integer_value(json_object_get(v, "files")));
}

void replay_inputs_warn(FILE *out, const json_t *inputs)
{
	print_lines(out, inputs, "kpigate replay: warning: ");
}

void replay_inputs_print(FILE *out, const json_t *inputs)
{
	print_lines(out, inputs, "inputs: ");
}
