/* bech32.c: BIP 173 bech32 (not bech32m), as age uses it. */
#include <string.h>

#include <sodium.h>

#include "bech32.h"
#include "sluice/error.h"

#define BECH32_DATA_MAX 256	/* 5-bit groups; age needs 52 */

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
polymod_step(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
	    0x3d4233dd, 0x2a1462b3 };
	uint32_t top = chk >> 25;
	int i;

	chk = (chk & 0x1ffffff) << 5 ^ v;
	for (i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static uint32_t
hrp_polymod(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (uint8_t)((unsigned char)hrp[i] >> 5));
	chk = polymod_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (uint8_t)(hrp[i] & 31));
	return chk;
}

/* Regroups bits; pad adds zero bits at the end (encoding). */
static int
regroup(const uint8_t *in, size_t n, unsigned from, unsigned to, int pad,
    uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0, maxv = (1u << to) - 1;
	unsigned bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << from | in[i]) & 0xffffff;
		bits += from;
		while (bits >= to) {
			bits -= to;
			if (o >= cap)
				return SLUICE_ETOOBIG;
			out[o++] = (uint8_t)((acc >> bits) & maxv);
		}
	}
	if (pad && bits > 0) {
		if (o >= cap)
			return SLUICE_ETOOBIG;
		out[o++] = (uint8_t)((acc << (to - bits)) & maxv);
	} else if (!pad && (bits >= from || ((acc << (to - bits)) & maxv) != 0))
		return SLUICE_EFORMAT;	/* non-zero or excess padding */
	*outlen = o;
	return 0;
}

int
bech32_encode(const char *hrp, const uint8_t *data, size_t len, char *out,
    size_t outlen)
{
	uint8_t d5[BECH32_DATA_MAX];
	size_t hl = strlen(hrp), n5, i;
	uint32_t chk;
	int r;

	if ((r = regroup(data, len, 8, 5, 1, d5, sizeof(d5), &n5)) != 0)
		return r;
	if (hl + 1 + n5 + 6 + 1 > outlen)
		return SLUICE_ETOOBIG;
	chk = hrp_polymod(hrp, hl);
	memcpy(out, hrp, hl);
	out[hl] = '1';
	for (i = 0; i < n5; i++) {
		chk = polymod_step(chk, d5[i]);
		out[hl + 1 + i] = charset[d5[i]];
	}
	for (i = 0; i < 6; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		out[hl + 1 + n5 + i] = charset[(chk >> (5 * (5 - i))) & 31];
	out[hl + 1 + n5 + 6] = '\0';
	return 0;
}

static int
case_check(const char *s, size_t n)
{
	int lower = 0, upper = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 33 || s[i] > 126)
			return SLUICE_EFORMAT;
		lower |= s[i] >= 'a' && s[i] <= 'z';
		upper |= s[i] >= 'A' && s[i] <= 'Z';
	}
	return lower && upper ? SLUICE_EFORMAT : 0;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int
bech32_decode(const char *s, size_t n, const char *hrp, uint8_t *out,
    size_t cap, size_t *outlen)
{
	uint8_t d5[BECH32_DATA_MAX];
	size_t hl = strlen(hrp), i, n5;
	const char *p;
	uint32_t chk;
	int r;

	if (case_check(s, n) != 0 || n < hl + 1 + 6 || s[hl] != '1' ||
	    n - hl - 1 - 6 > sizeof(d5))
		return SLUICE_EFORMAT;
	for (i = 0; i < hl; i++)
		if (lower(s[i]) != hrp[i])
			return SLUICE_EFORMAT;
	chk = hrp_polymod(hrp, hl);
	n5 = n - hl - 1;
	for (i = 0; i < n5; i++) {
		if ((p = strchr(charset, lower(s[hl + 1 + i]))) == NULL ||
		    *p == '\0')
			return SLUICE_EFORMAT;
		chk = polymod_step(chk, (uint8_t)(p - charset));
		if (i < n5 - 6)
			d5[i] = (uint8_t)(p - charset);
	}
	if (chk != 1)
		return SLUICE_EFORMAT;
	r = regroup(d5, n5 - 6, 5, 8, 0, out, cap, outlen);
	sodium_memzero(d5, sizeof(d5));	/* may be a secret key */
	return r;
}
