/* config_check.c - host:port as Kafka and the HTTP listener take it
 * (config_check.h). */
#include "config_check.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int is_port(const char *s, size_t len, unsigned *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return 0;
	*port = (unsigned)v;
	return 1;
}

/* A DNS name (letters, digits, '-', '_' in dot-separated labels of 1..63)
 * or an IPv4 address. */
static int is_host(const char *h, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)h[i];

		if (ch == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/* Parses "host:port", "[v6]:port" or, when port_optional, a bare host.
 * Fills host (without brackets) and *port (0 when absent). Returns NULL
 * or what is wrong. */
static const char *parse_hostport_any(const char *s, size_t len,
				      int port_optional, char *host,
				      size_t hostlen, unsigned *port)
{
	const char *colon;
	size_t hl;

	*port = 0;
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		char v6[64];
		unsigned char bin[16];

		if (close == NULL)
			return "'[' without ']'";
		hl = (size_t)(close - s - 1);
		if (hl == 0 || hl >= sizeof(v6))
			return "the IPv6 address is not valid";
		memcpy(v6, s + 1, hl);
		v6[hl] = '\0';
		if (inet_pton(AF_INET6, v6, bin) != 1)
			return "the IPv6 address is not valid";
		snprintf(host, hostlen, "%s", v6);
		if ((size_t)(close - s) + 1 == len)
			return port_optional ? NULL : "no port (expected host:port)";
		if (close[1] != ':' ||
		    !is_port(close + 2, len - (size_t)(close - s) - 2, port))
			return "the port must be a number from 0 to 65535";
		return NULL;
	}
	colon = memchr(s, ':', len);
	hl = colon ? (size_t)(colon - s) : len;
	if (colon && memchr(colon + 1, ':', len - hl - 1))
		return "an IPv6 address must be written in brackets, as [::1]:9464";
	if (hl == 0)
		return "no host (use 0.0.0.0 for every interface)";
	if (!is_host(s, hl))
		return "the host is not a name or an IP address";
	if (hl >= hostlen)
		return "the host is too long";
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (colon == NULL)
		return port_optional ? NULL : "no port (expected host:port)";
	if (!is_port(colon + 1, len - hl - 1, port))
		return "the port must be a number from 0 to 65535";
	return NULL;
}

const char *config_parse_hostport(const char *s, size_t len, int port_optional,
				  char *host, size_t hostlen, unsigned *port)
{
	const char *why = parse_hostport_any(s, len, port_optional, host, hostlen,
					     port);

	if (why == NULL && port_optional && *port == 0 &&
	    memchr(s, ':', len) != NULL && s[len - 1] != ']')
		return "the port must be a number from 0 to 65535";
	return why;
}
