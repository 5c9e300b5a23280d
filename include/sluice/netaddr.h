/*
 * netaddr.h: IPv4 and IPv6 addresses and networks, numeric only.
 *
 * The daemon's per-source limits group clients by network (an IPv4 /32, an
 * IPv6 /64 by default: docs/design.md section 7) and exempt the networks of
 * a configured list; the configuration checks the list with the same parser.
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address.
 */
#ifndef SLUICE_NETADDR_H
#define SLUICE_NETADDR_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define NETADDR_STR_MAX	64	/* "ffff:...:ffff/128" and its NUL fit */
#define NETADDR_LIST_MAX 16	/* most networks in a list */

struct netaddr {
	int	 family;	/* AF_INET or AF_INET6 */
	uint8_t	 a[16];		/* network order; IPv4 in a[0..4), rest 0 */
};

/* A network: the address with all but its first bits bits zero. */
struct netcidr {
	struct netaddr	 net;
	int		 bits;
};

/* From an accepted peer's address. SLUICE_EINVAL for another family. */
int netaddr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
    struct netaddr *out) __attribute__((warn_unused_result));

/* "ADDR" (all its bits) or "ADDR/BITS", BITS at most 32 (IPv4) or 128,
 * over the len bytes at s. SLUICE_EINVAL when it is not one. */
int netaddr_parse_cidr(const char *s, size_t len, struct netcidr *out)
    __attribute__((warn_unused_result));

/* A comma-separated list of networks (spaces around items allowed; empty:
 * none). SLUICE_EINVAL for a bad item or more than max of them. */
int netaddr_parse_list(const char *s, struct netcidr *out, size_t max,
    size_t *n) __attribute__((warn_unused_result));

/* a with all but its first bits bits cleared (bits capped at its length). */
void netaddr_mask(const struct netaddr *a, int bits, struct netaddr *out);

int netaddr_equal(const struct netaddr *a, const struct netaddr *b);

/* 1 when a lies in network c. */
int netaddr_in(const struct netaddr *a, const struct netcidr *c);

/* 1 when a lies in any of the n networks. */
int netaddr_in_list(const struct netaddr *a, const struct netcidr *list,
    size_t n);

/* "192.0.2.0/24", "2001:db8::/64" into out (NETADDR_STR_MAX bytes). */
void netaddr_format(const struct netaddr *a, int bits, char *out,
    size_t outlen);

#endif
