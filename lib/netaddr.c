/*
 * netaddr.c: numeric IPv4 and IPv6 addresses and networks (netaddr.h).
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/netaddr.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int
family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static void
set_v4(struct netaddr *out, const void *four)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	memcpy(out->a, four, 4);
}

/* An IPv4-mapped IPv6 address is stored as the IPv4 one. */
static void
set_v6(struct netaddr *out, const uint8_t sixteen[16])
{
	if (memcmp(sixteen, v4_mapped, sizeof(v4_mapped)) == 0) {
		set_v4(out, sixteen + 12);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	memcpy(out->a, sixteen, 16);
}

int
netaddr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
    struct netaddr *out)
{
	const struct sockaddr_in *in4 = (const void *)sa;
	const struct sockaddr_in6 *in6 = (const void *)sa;

	if (sa->sa_family == AF_INET && len >= sizeof(*in4))
		set_v4(out, &in4->sin_addr);
	else if (sa->sa_family == AF_INET6 && len >= sizeof(*in6))
		set_v6(out, in6->sin6_addr.s6_addr);
	else
		return SLUICE_EINVAL;
	return 0;
}

/* A numeric address in the NUL-terminated s. */
static int
parse_addr(const char *s, struct netaddr *out)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		set_v4(out, a);
	else if (inet_pton(AF_INET6, s, a) == 1)
		set_v6(out, a);
	else
		return SLUICE_EINVAL;
	return 0;
}

/* "/BITS": 1 to 3 digits, at most max. */
static int
parse_bits(const char *s, size_t len, int max, int *bits)
{
	size_t i;
	int v = 0;

	if (len == 0 || len > 3)
		return SLUICE_EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SLUICE_EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return SLUICE_EINVAL;
	*bits = v;
	return 0;
}

int
netaddr_parse_cidr(const char *s, size_t len, struct netcidr *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	char addr[NETADDR_STR_MAX];
	struct netaddr a;
	int bits;

	if (alen == 0 || alen >= sizeof(addr))
		return SLUICE_EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (parse_addr(addr, &a) != 0)
		return SLUICE_EINVAL;
	bits = family_bits(a.family);
	if (slash != NULL && parse_bits(slash + 1, len - alen - 1,
	    family_bits(a.family), &bits) != 0)
		return SLUICE_EINVAL;
	netaddr_mask(&a, bits, &out->net);
	out->bits = bits;
	return 0;
}

/* The item at s[0..len) without the spaces around it. */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && **s == ' ')
		(*s)++, (*len)--;
	while (*len > 0 && (*s)[*len - 1] == ' ')
		(*len)--;
}

int
netaddr_parse_list(const char *s, struct netcidr *out, size_t max, size_t *n)
{
	const char *p = s, *comma;
	size_t len;

	*n = 0;
	for (len = strlen(s); len > 0 && s[len - 1] == ' '; len--)
		;
	if (len == 0)
		return 0;
	while (p != NULL) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		trim(&p, &len);
		if (*n == max || netaddr_parse_cidr(p, len, &out[*n]) != 0)
			return SLUICE_EINVAL;
		(*n)++;
		p = comma != NULL ? comma + 1 : NULL;
	}
	return 0;
}

void
netaddr_mask(const struct netaddr *a, int bits, struct netaddr *out)
{
	int i, total = family_bits(a->family);

	*out = *a;
	if (bits < 0)
		bits = 0;
	for (i = bits; i < total; i++)
		out->a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

int
netaddr_equal(const struct netaddr *a, const struct netaddr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, sizeof(a->a)) == 0;
}

int
netaddr_in(const struct netaddr *a, const struct netcidr *c)
{
	struct netaddr m;

	if (a->family != c->net.family)
		return 0;
	netaddr_mask(a, c->bits, &m);
	return netaddr_equal(&m, &c->net);
}

int
netaddr_in_list(const struct netaddr *a, const struct netcidr *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (netaddr_in(a, &list[i]))
			return 1;
	return 0;
}

void
netaddr_format(const struct netaddr *a, int bits, char *out, size_t outlen)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family, a->a, s, sizeof(s)) == NULL)
		(void)snprintf(s, sizeof(s), "?");
	(void)snprintf(out, outlen, "%s/%d", s, bits);
}
