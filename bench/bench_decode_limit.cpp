// bench_decode_limit - the decoding limit of a capture file: the least
// work that still reads every record's features. The file is loaded once
// into a padded buffer (timed too); each line is parsed with simdjson On-Demand, only
// captureData.endpointInput.data is found, and its CSV cells are parsed
// with fast_float into a row of doubles. Nothing is validated beyond
// what that needs, nothing is kept: no window, no statistics. It is the
// ceiling kpigate's replay is measured against (bench/replay_vs_peers.sh).
//
// usage: bench_decode_limit FILE [FEATURES]
// Prints "decode-limit: N records in S s = R records/s" and a checksum;
// exits 2 when a line does not have FEATURES numbers.
#include <fast_float/fast_float.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: bench_decode_limit FILE [FEATURES]\n");
		return 2;
	}
	const size_t nf = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 20;
	simdjson::padded_string file;
	// reading the file is part of the work, as it is for replay
	auto t0 = std::chrono::steady_clock::now();
	if (simdjson::padded_string::load(argv[1]).get(file)) {
		std::fprintf(stderr, "bench_decode_limit: cannot read %s\n", argv[1]);
		return 2;
	}
	simdjson::ondemand::parser parser;
	std::vector<double> row(nf);
	double checksum = 0;
	long n = 0;
	const char *p = file.data(), *end = p + file.size();
	while (p < end) {
		const char *nl = static_cast<const char *>(std::memchr(p, '\n', end - p));
		size_t len = (nl ? nl : end) - p;
		// the rest of the file (and its padding) follows the line
		size_t cap = (end - p) + simdjson::SIMDJSON_PADDING;
		simdjson::ondemand::document doc;
		std::string_view data;
		if (len == 0) {
			p += 1;
			continue;
		}
		if (parser.iterate(p, len, cap).get(doc) ||
		    doc["captureData"]["endpointInput"]["data"].get_string().get(data)) {
			std::fprintf(stderr, "bench_decode_limit: line %ld: no endpointInput.data\n",
				     n + 1);
			return 2;
		}
		const char *c = data.data(), *ce = c + data.size();
		size_t k = 0;
		while (c < ce && k < nf) {
			auto r = fast_float::from_chars(c, ce, row[k]);
			if (r.ec != std::errc()) {
				std::fprintf(stderr, "bench_decode_limit: line %ld: bad number\n", n + 1);
				return 2;
			}
			k++;
			c = r.ptr + (r.ptr < ce && *r.ptr == ',');
		}
		if (k != nf) {
			std::fprintf(stderr, "bench_decode_limit: line %ld: %zu numbers, not %zu\n",
				     n + 1, k, nf);
			return 2;
		}
		checksum += row[0] + row[nf - 1];
		n++;
		p += len + 1;
	}
	double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	std::printf("decode-limit: %ld records in %.3f s = %.0f records/s (checksum %.6g)\n", n, s,
		    n / s, checksum);
	return n > 0 ? 0 : 2;
}
