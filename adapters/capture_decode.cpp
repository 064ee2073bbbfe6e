/* capture_decode.cpp - the capture-record hot path (see capture.h and
 * docs/capture-format.md). simdjson DOM with parsers reused across records,
 * fast_float for numbers written as text. The only C++ file in kpigate: it
 * exposes the C API of capture.h and lets no exception escape.
 *
 * Why DOM and not On-Demand: a line must be valid JSON as a whole to be
 * accepted, and On-Demand checks only what it reads (it takes
 * "eventVersion":nul or "mode":[1,,2] in a field we skip). The time above
 * the parse goes to the CSV cells, so those get the care: word-at-a-time
 * delimiter search, a short exact path for plain decimals before
 * fast_float, and values written straight into their slot.
 *
 * Memory: every buffer lives in the decoder and only grows (geometrically,
 * capped by max_line_bytes / max_values / max_instances), so after the first
 * few records decoding allocates nothing. */
extern "C" {
#include "kpg_error.h"
#include "kpg_time.h"
}
#include "capture.h"
#include "capture_b64.h"

#include <cfloat>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>

#include <fast_float/fast_float.h>
#include <simdjson.h>

namespace
{

using simdjson::dom::element;
using simdjson::dom::element_type;
using std::string_view;

constexpr size_t PAD = simdjson::SIMDJSON_PADDING;
constexpr size_t DEF_MAX_LINE = 1 << 20;
constexpr size_t DEF_MAX_INSTANCES = 10000;
constexpr size_t DEF_MAX_VALUES = 1000000;
/* offsets into text are uint32_t: keep every buffer well below that */
constexpr size_t LIMIT_MAX_LINE = (size_t)1 << 30;
constexpr size_t SCORE_FIELD_MAX = 128;

/* A growable byte buffer that always has PAD readable bytes past len, as
 * simdjson requires of its input. */
struct padbuf {
	char *p = nullptr;
	size_t cap = 0;
	size_t len = 0;

	padbuf() = default;
	padbuf(const padbuf &) = delete;
	padbuf &operator=(const padbuf &) = delete;
	~padbuf() { std::free(p); }

	/* room for n bytes plus padding; false when out of memory */
	bool reserve(size_t n)
	{
		size_t need = n + PAD;
		if (need <= cap)
			return true;
		size_t nc = cap ? cap : 4096;
		while (nc < need)
			nc *= 2;
		char *q = static_cast<char *>(std::realloc(p, nc));
		if (!q)
			return false;
		p = q;
		cap = nc;
		return true;
	}
	/* zero the padding after len, so simdjson reads defined bytes */
	void seal(size_t n)
	{
		len = n;
		std::memset(p + n, 0, PAD);
	}
	bool assign(const char *s, size_t n)
	{
		if (!reserve(n))
			return false;
		if (n)
			std::memcpy(p, s, n);
		seal(n);
		return true;
	}
};

/* A growable array of plain C structs (values, offsets, scores): no
 * exceptions, no value-initialisation on growth, a pointer that stays put
 * once warm. Callers check their own caps before push(). */
template <class T>
struct growbuf {
	static_assert(std::is_trivially_copyable<T>::value,
		      "growbuf holds plain C data");
	T *p = nullptr;
	size_t len = 0;
	size_t cap = 0;

	growbuf() = default;
	growbuf(const growbuf &) = delete;
	growbuf &operator=(const growbuf &) = delete;
	~growbuf() { std::free(p); }

	bool reserve(size_t n)
	{
		if (n <= cap)
			return true;
		size_t nc = cap ? cap : 64;
		while (nc < n)
			nc *= 2;
		T *q = static_cast<T *>(std::realloc(p, nc * sizeof(T)));
		if (!q)
			return false;
		p = q;
		cap = nc;
		return true;
	}
	/* false when out of memory */
	bool push(const T &v)
	{
		if (len == cap && !reserve(len + 1))
			return false;
		p[len++] = v;
		return true;
	}
};

enum ctype { CT_CSV,
	     CT_JSON,
	     CT_JSONL };

/* What a failing step returns; the reason and message are already set. */
constexpr int FAIL = -1;

} /* namespace */

struct capture_decoder {
	size_t max_line = DEF_MAX_LINE;
	size_t max_instances = DEF_MAX_INSTANCES;
	size_t max_values = DEF_MAX_VALUES;
	char score_field[SCORE_FIELD_MAX] = "score";

	/* max capacity is given at construction: simdjson 3.0.1's
	 * set_max_capacity() clamps every value to 32 bytes */
	simdjson::dom::parser outer; /* the capture line; owns event_id text */
	simdjson::dom::parser inner; /* JSON payloads, one document at a time */
	padbuf line;                 /* padded copy of the line */
	padbuf in_pay;               /* decoded input payload (CSV text lives here) */
	padbuf out_pay;              /* decoded output payload */
	padbuf strbuf;               /* string cells of JSON payloads */
	growbuf<capture_value> values;
	growbuf<size_t> inst_off; /* n_instances + 1 entries */
	growbuf<double> preds;
	/* output_details: per prediction, its text and probabilities */
	bool details = false;
	growbuf<capture_output> outs;
	growbuf<double> probs;
	padbuf outtext;

	/* per call */
	capture_reject reason = CAPTURE_OK;
	int rc = 0;
	kpg_err *err = nullptr;

	explicit capture_decoder(size_t cap) : max_line(cap), outer(cap), inner(cap)
	{
	}
};

namespace
{

/* Records why the line is rejected and returns FAIL. */
__attribute__((format(printf, 3, 4))) int reject(capture_decoder *d,
						 capture_reject r,
						 const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(kpg_err::msg)];

	va_start(ap, fmt);
	std::vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->reason = r;
	d->rc = r == CAPTURE_REJECT_TOO_BIG ? KPG_ETOOBIG : KPG_EPARSE;
	kpg_err_set(d->err, "%s", msg);
	return FAIL;
}

int oom(capture_decoder *d)
{
	d->reason = CAPTURE_REJECT_TOO_BIG;
	d->rc = KPG_ENOMEM;
	kpg_err_set(d->err, "out of memory while decoding a capture record");
	return FAIL;
}

inline bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool ieq(string_view a, const char *b)
{
	size_t n = std::strlen(b);
	if (a.size() != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != b[i])
			return false;
	return true;
}

/* Clinger's fast path, the first thing fast_float itself tries, without
 * its general parsing around it: a cell [-]digits[.digits] of at most 15
 * digits is an exact integer (< 2^53) over an exact power of ten (<= 1e15),
 * so one IEEE division gives the correctly rounded double (under the
 * default rounding mode, which kpigate never changes). Returns false for
 * anything else (exponent, more digits, "nan", ".5", "5.", ...), which
 * fast_float then decides; true only when all of [p, e) was read. */
inline bool parse_simple_decimal(const char *p, const char *e, double *out)
{
	static const double pow10[16] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
					 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
					 1e12, 1e13, 1e14, 1e15};
	bool neg = p < e && *p == '-';
	const char *q = p + neg, *int_start = q;
	uint64_t m = 0;
	size_t frac = 0;

	/* m may wrap on long digit runs: those are refused below anyway */
	while (q < e && (unsigned char)(*q - '0') < 10)
		m = m * 10 + (uint64_t)(*q++ - '0');
	size_t nint = (size_t)(q - int_start);
	if (nint == 0 || nint > 15)
		return false;
	if (q < e) {
		if (*q != '.')
			return false;
		const char *f = ++q;
		while (q < e && (unsigned char)(*q - '0') < 10)
			m = m * 10 + (uint64_t)(*q++ - '0');
		frac = (size_t)(q - f);
		if (frac == 0 || q != e || nint + frac > 15)
			return false;
	}
	double v = (double)m / pow10[frac];
	*out = neg ? -v : v;
	return true;
}

/* A whole cell as a number: fast_float plus an optional leading '+'. */
inline bool parse_number(const char *p, size_t n, double *out)
{
	const char *e = p + n;
	if (p < e && *p == '+') {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			return false;
	}
	if (p == e)
		return false;
#if FLT_EVAL_METHOD == 0 /* doubles not evaluated in wider registers */
	if (parse_simple_decimal(p, e, out))
		return true;
#endif
	auto r = fast_float::from_chars(p, e, *out);
	return r.ec == std::errc() && r.ptr == e;
}

/* Grows the parser geometrically (never past max_line) and parses buf,
 * which has PAD readable bytes past len. */
simdjson::error_code parse_padded(simdjson::dom::parser &p, size_t max_cap,
				  const char *buf, size_t len, element &out)
{
	/* simdjson would grow to exactly len; grow by doubling instead so
	 * that a run of slowly larger records does not reallocate each time.
	 * The parser and its document grow separately. */
	if (len > p.capacity() || len > p.doc.capacity()) {
		size_t nc = p.capacity() ? p.capacity() * 2 : 4096;
		if (nc < len)
			nc = len;
		if (nc > max_cap)
			nc = max_cap;
		simdjson::error_code e = simdjson::SUCCESS;
		if (p.capacity() < nc)
			e = p.allocate(nc);
		if (!e && p.doc.capacity() < nc)
			e = p.doc.allocate(nc);
		if (e)
			return e;
	}
	return p.parse(buf, len, false).get(out);
}

/* Content type without parameters, compared ignoring case. */
int classify(capture_decoder *d, const char *which, string_view ct,
	     ctype *out)
{
	if (ct == "text/csv") { /* what SageMaker writes, skip the trimming */
		*out = CT_CSV;
		return 0;
	}
	size_t semi = ct.find(';');
	if (semi != string_view::npos)
		ct = ct.substr(0, semi);
	while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t'))
		ct.remove_prefix(1);
	while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t'))
		ct.remove_suffix(1);
	if (ieq(ct, "text/csv"))
		*out = CT_CSV;
	else if (ieq(ct, "application/json"))
		*out = CT_JSON;
	else if (ieq(ct, "application/jsonlines") ||
		 ieq(ct, "application/x-jsonlines"))
		*out = CT_JSONL;
	else
		return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
			      "%s: unsupported content type \"%.*s\"", which,
			      (int)(ct.size() > 64 ? 64 : ct.size()), ct.data());
	return 0;
}

/* Pulls data/encoding/observedContentType out of endpointInput or
 * endpointOutput and leaves the decoded payload bytes in pb. */
int load_payload(capture_decoder *d, simdjson::dom::object ep,
		 const char *which, padbuf &pb, ctype *ct)
{
	element data, enc, cte;
	string_view sdata, senc;

	if (ep.at_key("data").get(data))
		return reject(d, CAPTURE_REJECT_MISSING_FIELD,
			      "%s.data is missing", which);
	if (data.get_string().get(sdata))
		return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
			      "%s.data is not a string", which);
	if (ep.at_key("encoding").get(enc))
		return reject(d, CAPTURE_REJECT_MISSING_FIELD,
			      "%s.encoding is missing", which);
	if (enc.get_string().get(senc))
		return reject(d, CAPTURE_REJECT_BAD_ENCODING,
			      "%s.encoding is not a string", which);

	*ct = CT_CSV; /* SageMaker's default when the type was not observed */
	if (!ep.at_key("observedContentType").get(cte) && !cte.is_null()) {
		string_view sct;
		if (cte.get_string().get(sct))
			return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
				      "%s.observedContentType is not a string",
				      which);
		if (classify(d, which, sct, ct))
			return FAIL;
	}

	if (senc == "CSV" || ieq(senc, "csv") || ieq(senc, "json")) {
		if (!pb.assign(sdata.data(), sdata.size()))
			return oom(d);
	} else if (ieq(senc, "base64")) {
		size_t n = 0;
		if (!pb.reserve(capture_b64_decoded_max(sdata.size())))
			return oom(d);
		if (capture_b64_decode(sdata.data(), sdata.size(),
				       reinterpret_cast<unsigned char *>(pb.p),
				       &n))
			return reject(d, CAPTURE_REJECT_BAD_ENCODING,
				      "%s.data is not valid base64", which);
		pb.seal(n);
	} else {
		return reject(d, CAPTURE_REJECT_BAD_ENCODING,
			      "%s.encoding \"%.*s\" is not CSV, JSON or BASE64",
			      which, (int)(senc.size() > 32 ? 32 : senc.size()),
			      senc.data());
	}
	return 0;
}

/* Index of the first ',' or '\n' in s[i..n), or n. Tests 8 bytes at a
 * time with the "has zero byte" trick on s ^ ',' and s ^ '\n'; its false
 * positives only sit above a true match, so the lowest flagged byte is
 * exact. Reads up to 7 bytes past n: s must be a padbuf (PAD bytes). */
inline size_t find_delim(const char *s, size_t i, size_t n)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	constexpr uint64_t ones = 0x0101010101010101ULL;
	constexpr uint64_t high = 0x8080808080808080ULL;
	for (; i < n; i += 8) {
		uint64_t w, c, l, m;
		std::memcpy(&w, s + i, 8);
		c = w ^ (ones * ',');
		l = w ^ (ones * '\n');
		m = ((c - ones) & ~c) | ((l - ones) & ~l);
		m &= high;
		if (m) {
			size_t j = i + (size_t)__builtin_ctzll(m) / 8;
			return j < n ? j : n;
		}
	}
	return n;
#else
	while (i < n && s[i] != ',' && s[i] != '\n')
		i++;
	return i;
#endif
}

/* Scans CSV in place (quoted cells are unescaped where they stand). Calls
 * cell(ptr, len, index_in_row) for every cell and row() after every
 * non-blank row; a nonzero return from either stops the scan. s has PAD
 * readable bytes past n (a padbuf). Returns 0,
 * FAIL from a callback, or 1 when quoting is malformed. */
template <class Cell, class Row>
int csv_scan(char *s, size_t n, Cell &&cell, Row &&row)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		while (j < n && (is_blank(s[j])))
			j++;
		if (j == n)
			break;
		if (s[j] == '\n') { /* blank row */
			i = j + 1;
			continue;
		}
		for (size_t idx = 0;; idx++) {
			while (i < n && (s[i] == ' ' || s[i] == '\t'))
				i++;
			if (i < n && s[i] == '"') {
				size_t w = i + 1, r = i + 1;
				bool closed = false;
				while (r < n) {
					if (s[r] == '"') {
						if (r + 1 < n && s[r + 1] == '"') {
							s[w++] = '"';
							r += 2;
							continue;
						}
						closed = true;
						r++;
						break;
					}
					s[w++] = s[r++];
				}
				if (!closed)
					return 1;
				while (r < n && is_blank(s[r]))
					r++;
				if (r < n && s[r] != ',' && s[r] != '\n')
					return 1;
				if (cell(s + i + 1, w - (i + 1), idx))
					return FAIL;
				i = r;
			} else {
				size_t st = i;
				i = find_delim(s, i, n);
				size_t e = i;
				while (e > st && is_blank(s[e - 1]))
					e--;
				if (cell(s + st, e - st, idx))
					return FAIL;
			}
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			if (row())
				return FAIL;
			if (i < n)
				i++; /* the newline */
			break;
		}
	}
	return 0;
}

/* The next value slot, or NULL (reason set) past max_values or out of
 * memory. Filling the slot in place, not copying a stack temporary in,
 * spares the CSV loop a store-forwarding stall per cell. */
inline capture_value *new_value(capture_decoder *d)
{
	if (d->values.len >= d->max_values) {
		reject(d, CAPTURE_REJECT_TOO_BIG,
		       "more than %zu values in one record", d->max_values);
		return nullptr;
	}
	if (d->values.len == d->values.cap &&
	    !d->values.reserve(d->values.len + 1)) {
		oom(d);
		return nullptr;
	}
	return &d->values.p[d->values.len++];
}

inline int end_instance(capture_decoder *d)
{
	if (d->inst_off.len > d->max_instances) /* inst_off has n + 1 */
		return reject(d, CAPTURE_REJECT_TOO_BIG,
			      "more than %zu instances in one record",
			      d->max_instances);
	return d->inst_off.push(d->values.len) ? 0 : oom(d);
}

inline int push_pred(capture_decoder *d, double v)
{
	if (d->preds.len >= d->max_instances)
		return reject(d, CAPTURE_REJECT_TOO_BIG,
			      "more than %zu predictions in one record",
			      d->max_instances);
	if (d->details) {
		capture_output o = {0, 0, 0, 0};
		if (!d->outs.push(o))
			return oom(d);
	}
	return d->preds.push(v) ? 0 : oom(d);
}

/* output_details: the text of the prediction just pushed. */
int pred_text(capture_decoder *d, const char *s, size_t n)
{
	capture_output *o;
	size_t at = d->outtext.len;

	if (!d->details || d->outs.len == 0 || n == 0)
		return 0;
	if (n > d->max_line || !d->outtext.reserve(at + n))
		return oom(d);
	std::memcpy(d->outtext.p + at, s, n);
	d->outtext.len = at + n;
	o = &d->outs.p[d->outs.len - 1];
	o->text_off = (uint32_t)at;
	o->text_len = (uint32_t)n;
	return 0;
}

/* output_details: one more probability of the prediction just pushed. */
int pred_prob(capture_decoder *d, double v)
{
	capture_output *o = &d->outs.p[d->outs.len - 1];

	if (d->probs.len >= d->max_values)
		return reject(d, CAPTURE_REJECT_TOO_BIG,
			      "more than %zu output values in one record",
			      d->max_values);
	if (o->n_probs == 0)
		o->probs_off = (uint32_t)d->probs.len;
	o->n_probs++;
	return d->probs.push(v) ? 0 : oom(d);
}

int csv_input(capture_decoder *d)
{
	const char *base = d->in_pay.p;
	int rc = csv_scan(
		d->in_pay.p, d->in_pay.len,
		[&](const char *p, size_t n, size_t) {
			capture_value *v = new_value(d);
			double num;
			if (!v)
				return FAIL;
			v->str_off = (uint32_t)(p - base);
			v->str_len = (uint32_t)n;
			if (n && parse_number(p, n, &num)) {
				v->num = num;
				v->kind = CAPTURE_VALUE_NUMBER;
			} else {
				v->num = NAN;
				v->kind = n ? CAPTURE_VALUE_STRING
					    : CAPTURE_VALUE_MISSING;
			}
			return 0;
		},
		[&]() { return end_instance(d); });
	if (rc == 1)
		return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
			      "endpointInput: malformed CSV quoting");
	return rc;
}

/* One feature value from a JSON payload. */
int json_value(capture_decoder *d, element el)
{
	capture_value v;
	v.num = NAN;
	v.str_off = 0;
	v.str_len = 0;
	switch (el.type()) {
	case element_type::INT64:
	case element_type::UINT64:
	case element_type::DOUBLE:
		v.kind = CAPTURE_VALUE_NUMBER;
		v.num = el.get_double().value_unsafe();
		break;
	case element_type::BOOL:
		v.kind = CAPTURE_VALUE_NUMBER;
		v.num = el.get_bool().value_unsafe() ? 1.0 : 0.0;
		break;
	case element_type::NULL_VALUE:
		v.kind = CAPTURE_VALUE_MISSING;
		break;
	case element_type::STRING: {
		string_view sv = el.get_string().value_unsafe();
		padbuf &sb = d->strbuf;
		/* strbuf was reserved for the whole payload, and unescaped
		 * strings are never longer than their JSON text */
		if (sv.size() > sb.cap - PAD - sb.len)
			return oom(d);
		if (!sv.empty())
			std::memcpy(sb.p + sb.len, sv.data(), sv.size());
		v.str_off = (uint32_t)sb.len;
		v.str_len = (uint32_t)sv.size();
		sb.len += sv.size();
		double num;
		v.kind = CAPTURE_VALUE_STRING;
		if (parse_number(sv.data(), sv.size(), &num)) {
			v.num = num;
			v.kind = CAPTURE_VALUE_NUMBER;
		}
		break;
	}
	default:
		return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
			      "endpointInput: nested object or array inside "
			      "an instance's features");
	}
	capture_value *slot = new_value(d);
	if (!slot)
		return FAIL;
	*slot = v;
	return 0;
}

int json_features(capture_decoder *d, simdjson::dom::array a)
{
	for (element el : a)
		if (json_value(d, el))
			return FAIL;
	return end_instance(d);
}

/* One element of "instances" or of a bare array of instances. */
int json_instance(capture_decoder *d, element el)
{
	simdjson::dom::array a;
	if (el.is_array())
		return json_features(d, el.get_array().value_unsafe());
	if (el.is_object()) {
		if (el.get_object().value_unsafe().at_key("features").get_array().get(a))
			return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
				      "endpointInput: instance object has no "
				      "\"features\" array");
		return json_features(d, a);
	}
	/* a scalar instance is a single feature */
	if (json_value(d, el))
		return FAIL;
	return end_instance(d);
}

/* Appends the instances of one JSON document. */
int json_input_doc(capture_decoder *d, element root)
{
	simdjson::dom::array a;

	if (root.is_object()) {
		simdjson::dom::object o = root.get_object().value_unsafe();
		element inst;
		if (!o.at_key("instances").get(inst)) {
			if (inst.get_array().get(a))
				return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
					      "endpointInput: \"instances\" is "
					      "not an array");
			for (element el : a)
				if (json_instance(d, el))
					return FAIL;
			return 0;
		}
		if (!o.at_key("features").get_array().get(a))
			return json_features(d, a);
		return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
			      "endpointInput: JSON object has neither "
			      "\"instances\" nor \"features\"");
	}
	if (root.is_array()) {
		a = root.get_array().value_unsafe();
		bool nested = false, first = true;
		for (element el : a) {
			bool n = el.is_array() || el.is_object();
			if (first)
				nested = n;
			else if (n != nested)
				return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
					      "endpointInput: array mixes "
					      "instances and scalars");
			first = false;
		}
		if (!nested) /* a bare array of scalars is one instance */
			return a.size() ? json_features(d, a) : 0;
		for (element el : a)
			if (json_instance(d, el))
				return FAIL;
		return 0;
	}
	return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
		      "endpointInput: JSON payload is a bare scalar");
}

/* One JSON document (the whole payload, or one JSON line of it). */
template <class Fn>
int json_doc(capture_decoder *d, const char *which, const char *p, size_t n,
	     Fn &&fn)
{
	element root;
	auto e = parse_padded(d->inner, d->max_line, p, n, root);
	if (e == simdjson::MEMALLOC)
		return oom(d);
	if (e)
		return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
			      "%s: payload is not valid JSON (%s)", which,
			      simdjson::error_message(e));
	return fn(root);
}

/* Every non-blank line of pb as a JSON document. */
template <class Fn>
int jsonl_docs(capture_decoder *d, const char *which, padbuf &pb, Fn &&fn)
{
	const char *s = pb.p, *end = pb.p + pb.len;
	while (s < end) {
		const char *nl = static_cast<const char *>(
			std::memchr(s, '\n', (size_t)(end - s)));
		const char *le = nl ? nl : end;
		const char *b = s, *e = le;
		while (b < e && (is_blank(*b)))
			b++;
		while (e > b && is_blank(e[-1]))
			e--;
		/* b + (e - b) + PAD stays inside pb: its padding follows end */
		if (b < e && json_doc(d, which, b, (size_t)(e - b), fn))
			return FAIL;
		s = nl ? nl + 1 : end;
	}
	return 0;
}

int decode_input(capture_decoder *d, ctype ct)
{
	if (ct == CT_CSV)
		return csv_input(d);
	/* unescaped strings never outgrow the payload they come from */
	if (!d->strbuf.reserve(d->in_pay.len))
		return oom(d);
	auto fn = [d](element root) { return json_input_doc(d, root); };
	if (ct == CT_JSON)
		return json_doc(d, "endpointInput", d->in_pay.p, d->in_pay.len,
				fn);
	return jsonl_docs(d, "endpointInput", d->in_pay, fn);
}

/* output_details: a JSON array as the probabilities of the prediction
 * just pushed (numbers, or numbers written as text; NaN for the rest). */
int json_probs(capture_decoder *d, simdjson::dom::array a)
{
	for (element x : a) {
		double p = NAN;
		string_view sv;
		if (x.is_number())
			p = x.get_double().value_unsafe();
		else if (!x.get_string().get(sv) &&
			 !parse_number(sv.data(), sv.size(), &p))
			p = NAN;
		if (pred_prob(d, p))
			return FAIL;
	}
	return 0;
}

/* One prediction: a number, a numeric string, a bool, null, or an object
 * carrying the score field (or "predicted_label"). With output_details,
 * text is kept, an array is a probability vector, and an object whose
 * score field is an array ({"predicted_label":..,"score":[..]}, the
 * linear-learner multiclass form) gives both. */
int json_pred(capture_decoder *d, element el, bool allow_object)
{
	double v = NAN;
	string_view text;
	switch (el.type()) {
	case element_type::INT64:
	case element_type::UINT64:
	case element_type::DOUBLE:
		v = el.get_double().value_unsafe();
		break;
	case element_type::BOOL:
		v = el.get_bool().value_unsafe() ? 1.0 : 0.0;
		break;
	case element_type::NULL_VALUE:
		break;
	case element_type::STRING: {
		string_view sv = el.get_string().value_unsafe();
		if (!parse_number(sv.data(), sv.size(), &v)) {
			v = NAN;
			text = sv;
		}
		break;
	}
	case element_type::OBJECT: {
		simdjson::dom::object o = el.get_object().value_unsafe();
		element f, l;
		if (!allow_object)
			return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
				      "endpointOutput: score is an object");
		bool has_f = !o.at_key(d->score_field).get(f);
		bool has_l = !o.at_key("predicted_label").get(l);
		if (!has_f && !has_l)
			return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
				      "endpointOutput: prediction has no \"%s\" "
				      "or \"predicted_label\" field",
				      d->score_field);
		if (d->details && has_f && f.is_array()) {
			if (has_l ? json_pred(d, l, false) : push_pred(d, NAN))
				return FAIL;
			/* a numeric predicted_label is a label too: keep its
			 * text, so it is not mistaken for a bare score */
			double pv = d->preds.p[d->preds.len - 1];
			if (has_l && l.is_number() && std::isfinite(pv)) {
				char num[32];
				int n = std::snprintf(num, sizeof(num), "%.17g", pv);
				if (pred_text(d, num, (size_t)n))
					return FAIL;
			}
			return json_probs(d, f.get_array().value_unsafe());
		}
		return json_pred(d, has_f ? f : l, false);
	}
	default:
		if (d->details) {
			if (push_pred(d, NAN))
				return FAIL;
			return json_probs(d, el.get_array().value_unsafe());
		}
		return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
			      "endpointOutput: prediction is an array");
	}
	if (push_pred(d, v))
		return FAIL;
	return text.empty() ? 0 : pred_text(d, text.data(), text.size());
}

int json_output_doc(capture_decoder *d, element root)
{
	simdjson::dom::array a;
	if (root.is_object()) {
		element p;
		if (!root.get_object().value_unsafe().at_key("predictions").get(p)) {
			if (p.get_array().get(a))
				return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
					      "endpointOutput: \"predictions\" "
					      "is not an array");
			for (element el : a)
				if (json_pred(d, el, true))
					return FAIL;
			return 0;
		}
		return json_pred(d, root, true);
	}
	if (root.is_array()) {
		a = root.get_array().value_unsafe();
		for (element el : a)
			if (json_pred(d, el, true))
				return FAIL;
		return 0;
	}
	return json_pred(d, root, false);
}

int decode_output(capture_decoder *d, ctype ct)
{
	if (ct == CT_CSV) {
		int rc = csv_scan(
			d->out_pay.p, d->out_pay.len,
			[&](const char *p, size_t n, size_t idx) {
				double v = NAN;
				bool num = parse_number(p, n, &v);
				if (!num)
					v = NAN;
				if (idx == 0 &&
				    (push_pred(d, v) ||
				     (!num && pred_text(d, p, n))))
					return FAIL;
				/* every cell, kept as probabilities when the
				 * row has more than one */
				return d->details ? pred_prob(d, v) : 0;
			},
			[&]() {
				capture_output *o;
				if (!d->details || d->outs.len == 0)
					return 0;
				o = &d->outs.p[d->outs.len - 1];
				if (o->n_probs == 1) {
					d->probs.len--;
					o->n_probs = 0;
				}
				return 0;
			});
		if (rc == 1)
			return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
				      "endpointOutput: malformed CSV quoting");
		return rc;
	}
	auto fn = [d](element root) { return json_output_doc(d, root); };
	if (ct == CT_JSON)
		return json_doc(d, "endpointOutput", d->out_pay.p,
				d->out_pay.len, fn);
	return jsonl_docs(d, "endpointOutput", d->out_pay, fn);
}

int event_metadata(capture_decoder *d, simdjson::dom::object root,
		   capture_record *rec)
{
	simdjson::dom::object em;
	element el;
	string_view sv;

	if (root.at_key("eventMetadata").get_object().get(em))
		return reject(d, CAPTURE_REJECT_MISSING_FIELD,
			      "eventMetadata is missing or not an object");
	if (em.at_key("eventId").get_string().get(sv) || sv.empty())
		return reject(d, CAPTURE_REJECT_MISSING_FIELD,
			      "eventMetadata.eventId is missing, empty or not "
			      "a string");
	rec->event_id = sv.data();
	rec->event_id_len = sv.size();

	rec->inference_id = "";
	if (!em.at_key("inferenceId").get(el) && !el.is_null()) {
		if (el.get_string().get(sv))
			return reject(d, CAPTURE_REJECT_MISSING_FIELD,
				      "eventMetadata.inferenceId is not a "
				      "string");
		rec->inference_id = sv.data();
		rec->inference_id_len = sv.size();
	}

	/* A string that is not ISO 8601 (the SDK's "{%s}" placeholder) means
	 * "no time": the record still counts, windows use arrival order. */
	if (!em.at_key("inferenceTime").get(el) && !el.is_null()) {
		if (el.get_string().get(sv))
			return reject(d, CAPTURE_REJECT_BAD_TIME,
				      "eventMetadata.inferenceTime is not a "
				      "string");
		int64_t ms = 0;
		if (kpg_time_parse_iso8601(sv.data(), sv.size(), &ms) == 0) {
			rec->inference_time_ms = ms;
			rec->has_inference_time = 1;
		}
	}
	return 0;
}

int decode_line(capture_decoder *d, const char *line, size_t len,
		capture_record *rec)
{
	element root;
	simdjson::dom::object o, cd, ep;
	ctype in_ct, ct;

	if (len > d->max_line)
		return reject(d, CAPTURE_REJECT_TOO_BIG,
			      "line of %zu bytes is over the %zu-byte cap", len,
			      d->max_line);
	if (!d->line.assign(line, len))
		return oom(d);
	auto e = parse_padded(d->outer, d->max_line, d->line.p, len, root);
	if (e == simdjson::MEMALLOC)
		return oom(d);
	if (e)
		return reject(d, CAPTURE_REJECT_BAD_JSON,
			      "line is not valid JSON (%s)",
			      simdjson::error_message(e));
	if (root.get_object().get(o))
		return reject(d, CAPTURE_REJECT_BAD_JSON,
			      "line is not a JSON object");
	if (event_metadata(d, o, rec))
		return FAIL;
	if (o.at_key("captureData").get_object().get(cd))
		return reject(d, CAPTURE_REJECT_MISSING_FIELD,
			      "captureData is missing or not an object");
	if (cd.at_key("endpointInput").get_object().get(ep))
		return reject(d, CAPTURE_REJECT_MISSING_FIELD,
			      "captureData.endpointInput is missing or not an "
			      "object");
	if (load_payload(d, ep, "endpointInput", d->in_pay, &in_ct) ||
	    decode_input(d, in_ct))
		return FAIL;
	if (d->inst_off.len < 2)
		return reject(d, CAPTURE_REJECT_BAD_PAYLOAD,
			      "endpointInput holds no instance");

	element out;
	if (!cd.at_key("endpointOutput").get(out) && !out.is_null()) {
		if (out.get_object().get(ep))
			return reject(d, CAPTURE_REJECT_MISSING_FIELD,
				      "captureData.endpointOutput is not an "
				      "object");
		if (load_payload(d, ep, "endpointOutput", d->out_pay, &ct) ||
		    decode_output(d, ct))
			return FAIL;
		size_t ni = d->inst_off.len - 1;
		if (d->preds.len != ni)
			return reject(d, CAPTURE_REJECT_OUTPUT_MISMATCH,
				      "%zu predictions for %zu instances",
				      d->preds.len, ni);
	}

	rec->n_instances = d->inst_off.len - 1;
	rec->instance_off = d->inst_off.p;
	rec->values = d->values.p;
	rec->predictions = d->preds.p;
	rec->n_predictions = d->preds.len;
	if (d->details) {
		rec->outputs = d->outs.p;
		rec->probs = d->probs.p;
		rec->output_text = d->outtext.p;
	}
	/* CSV cells point into the payload, JSON strings into strbuf */
	rec->text = in_ct == CT_CSV ? d->in_pay.p : d->strbuf.p;
	return 0;
}

} /* namespace */

extern "C" {

int capture_decoder_new(capture_decoder **out, const capture_options *opt,
			kpg_err *err)
{
	capture_decoder *d = nullptr;

	*out = nullptr;
	if (opt && opt->max_line_bytes > LIMIT_MAX_LINE) {
		kpg_err_set(err, "max_line_bytes %zu is over the %zu limit",
			    opt->max_line_bytes, LIMIT_MAX_LINE);
		return KPG_EINVAL;
	}
	if (opt && opt->score_field &&
	    (!opt->score_field[0] ||
	     std::strlen(opt->score_field) >= SCORE_FIELD_MAX)) {
		kpg_err_set(err, "score_field must have 1 to %zu bytes",
			    SCORE_FIELD_MAX - 1);
		return KPG_EINVAL;
	}
	d = new (std::nothrow) capture_decoder(
		opt && opt->max_line_bytes ? opt->max_line_bytes : DEF_MAX_LINE);
	if (!d) {
		kpg_err_set(err, "out of memory for a capture decoder");
		return KPG_ENOMEM;
	}
	if (opt) {
		if (opt->max_instances)
			d->max_instances = opt->max_instances;
		if (opt->max_values)
			d->max_values = opt->max_values;
		if (opt->score_field)
			std::strcpy(d->score_field, opt->score_field);
		d->details = opt->output_details != 0;
	}
	/* strbuf.p must never be NULL: records point text at it; the
	 * arrays get a first block so a record's pointers are never NULL */
	if (!d->strbuf.reserve(0) || !d->values.reserve(256) ||
	    !d->inst_off.reserve(16) || !d->preds.reserve(16) ||
	    (d->details && (!d->outs.reserve(16) || !d->probs.reserve(16) ||
			    !d->outtext.reserve(0)))) {
		delete d;
		kpg_err_set(err, "out of memory for a capture decoder");
		return KPG_ENOMEM;
	}
	*out = d;
	return 0;
}

void capture_decoder_free(capture_decoder *dec)
{
	delete dec;
}

int capture_decode(capture_decoder *dec, const char *line, size_t len,
		   capture_record *rec, capture_reject *reason, kpg_err *err)
{
	std::memset(rec, 0, sizeof(*rec));
	rec->inference_id = "";
	*reason = CAPTURE_OK;
	dec->err = err;
	dec->reason = CAPTURE_OK;
	dec->rc = 0;
	dec->values.len = 0;
	dec->inst_off.len = 0;
	dec->preds.len = 0;
	dec->outs.len = 0;
	dec->probs.len = 0;
	dec->outtext.len = 0;
	dec->strbuf.len = 0;
	dec->in_pay.len = 0;
	try {
		dec->inst_off.push(0); /* reserved at construction */
		if (decode_line(dec, line, len, rec)) {
			std::memset(rec, 0, sizeof(*rec));
			rec->inference_id = "";
			*reason = dec->reason;
			return dec->rc;
		}
	} catch (const std::bad_alloc &) {
		std::memset(rec, 0, sizeof(*rec));
		rec->inference_id = "";
		oom(dec);
		*reason = dec->reason;
		return dec->rc;
	}
	kpg_err_clear(err);
	return 0;
}

int capture_parse_number(const char *s, size_t n, double *out)
{
	return parse_number(s, n, out) ? 1 : 0;
}

int capture_parse_only(capture_decoder *dec, const char *line, size_t len)
{
	element root;
	if (len > dec->max_line)
		return KPG_ETOOBIG;
	if (!dec->line.assign(line, len))
		return KPG_ENOMEM;
	auto e = parse_padded(dec->outer, dec->max_line, dec->line.p, len,
			      root);
	if (e == simdjson::MEMALLOC)
		return KPG_ENOMEM;
	return e ? KPG_EPARSE : 0;
}

} /* extern "C" */
