/* capture_b64.c - strict base64 decoding (see capture_b64.h). Written by
 * hand because kpg_adapters does not link OpenSSL, and so that the rules
 * (what is a bad character, where padding may go) are ours and documented
 * in docs/capture-format.md. */
#include "capture_b64.h"

#include <stdint.h>

/* value + 1 for alphabet characters (1..64), 65 for '=', 0 for anything
 * else, so the zero-initialised rest of the table means "invalid". */
static const uint8_t b64_tab[256] = {
	['A'] = 1,
	['B'] = 2,
	['C'] = 3,
	['D'] = 4,
	['E'] = 5,
	['F'] = 6,
	['G'] = 7,
	['H'] = 8,
	['I'] = 9,
	['J'] = 10,
	['K'] = 11,
	['L'] = 12,
	['M'] = 13,
	['N'] = 14,
	['O'] = 15,
	['P'] = 16,
	['Q'] = 17,
	['R'] = 18,
	['S'] = 19,
	['T'] = 20,
	['U'] = 21,
	['V'] = 22,
	['W'] = 23,
	['X'] = 24,
	['Y'] = 25,
	['Z'] = 26,
	['a'] = 27,
	['b'] = 28,
	['c'] = 29,
	['d'] = 30,
	['e'] = 31,
	['f'] = 32,
	['g'] = 33,
	['h'] = 34,
	['i'] = 35,
	['j'] = 36,
	['k'] = 37,
	['l'] = 38,
	['m'] = 39,
	['n'] = 40,
	['o'] = 41,
	['p'] = 42,
	['q'] = 43,
	['r'] = 44,
	['s'] = 45,
	['t'] = 46,
	['u'] = 47,
	['v'] = 48,
	['w'] = 49,
	['x'] = 50,
	['y'] = 51,
	['z'] = 52,
	['0'] = 53,
	['1'] = 54,
	['2'] = 55,
	['3'] = 56,
	['4'] = 57,
	['5'] = 58,
	['6'] = 59,
	['7'] = 60,
	['8'] = 61,
	['9'] = 62,
	['+'] = 63,
	['/'] = 64,
	['='] = 65,
};

/* 0..63, 64 for '=', 255 for an invalid character. */
static unsigned b64_val(unsigned char ch)
{
	return b64_tab[ch] ? (unsigned)b64_tab[ch] - 1 : 255;
}

size_t capture_b64_decoded_max(size_t n)
{
	return n / 4 * 3 + 3;
}

int capture_b64_decode(const char *src, size_t n, unsigned char *dst,
		       size_t *out_len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	*out_len = 0;
	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		unsigned a = b64_val(s[i]), b = b64_val(s[i + 1]);
		unsigned c = b64_val(s[i + 2]), d = b64_val(s[i + 3]);
		int last = i + 4 == n;

		if (a > 63 || b > 63)
			return -1;
		if (c == 64 || d == 64) {
			/* padding: only in the last quantum, "x=" after a
			 * character or "==", with zero unused bits */
			if (!last)
				return -1;
			if (c == 64) {
				if (d != 64 || (b & 0x0f) != 0)
					return -1;
				dst[o++] = (unsigned char)(a << 2 | b >> 4);
				break;
			}
			if (c > 63 || (c & 0x03) != 0)
				return -1;
			dst[o++] = (unsigned char)(a << 2 | b >> 4);
			dst[o++] = (unsigned char)((b & 0x0f) << 4 | c >> 2);
			break;
		}
		if (c > 63 || d > 63)
			return -1;
		dst[o++] = (unsigned char)(a << 2 | b >> 4);
		dst[o++] = (unsigned char)((b & 0x0f) << 4 | c >> 2);
		dst[o++] = (unsigned char)((c & 0x03) << 6 | d);
	}
	*out_len = o;
	return 0;
}
