/* kpg_utf8.h - one code point as UTF-8, for the parsers that unescape
 * text (JSON's \uXXXX in json_locate.c, XML's &#NN; in s3_xml.c). */
#ifndef KPG_UTF8_H
#define KPG_UTF8_H

#include <stddef.h>

/* Writes cp (at most 0x10FFFF; the caller checks the range and
 * surrogates) as 1 to 4 bytes into out, and returns how many. */
size_t kpg_utf8_encode(unsigned long cp, char out[4]);

#endif
