/*
 * certdoc.h: the certificate of deletion text (docs/design.md section 5).
 *
 *   Sluice-Deletion-Certificate: 1
 *   Agreement: NIC-123456-A1B2C
 *   Organisation: ORG-A
 *   Datasets: HES Admitted Patient Care, Civil Registration (Deaths)
 *   Destroyed-On: 2027-04-30
 *   Method: secure erase of the analysis server volumes (NIST 800-88 purge)
 *   Copies: the one working copy on the TRE; no other copies were made
 *   Signatory: Alice Applicant, Data Protection Officer
 *
 * The parser is strict, because these are the bytes a signatory signs:
 *   - UTF-8 (no overlong forms, no surrogates), no NUL, no byte order mark,
 *     no control characters (tabs included) other than the line ends;
 *   - lines end in LF or CRLF (one style per text; a lone CR is refused); the
 *     last line may omit its line end; no empty lines;
 *   - each line is `Key: value` (one colon, one space); the first line is
 *     exactly "Sluice-Deletion-Certificate: 1"; then each of the seven keys
 *     below exactly once, in any order; keys are case-sensitive;
 *   - values are non-empty, with no leading or trailing space;
 *   - Agreement is a NIC (NIC-123456-A1B2C); Organisation an organisation code
 *     ([A-Za-z0-9._-], 1..64, not starting with '.' or '-'); Destroyed-On a
 *     real date YYYY-MM-DD; Signatory "<name>, <role>" (both non-empty);
 *   - at most CERTDOC_MAX bytes.
 * The formatter writes the canonical form: the keys in the order above, LF
 * line ends, a final LF. certdoc_parse(certdoc_format(d)) == d.
 *
 * Refusals (SLUICE_EFORMAT unless noted; N is a 1-based line number):
 *   SLUICE_ETOOBIG "certificate of deletion is larger than 64 KiB"
 *   "certificate of deletion is empty"
 *   "certificate of deletion contains a NUL byte"
 *   "certificate of deletion starts with a byte order mark"
 *   "certificate of deletion is not valid UTF-8 (line N)"
 *   "line N contains a control character"
 *   "line N ends in a lone CR"
 *   "certificate of deletion mixes CRLF and LF line ends"
 *   "line N is empty"
 *   "line N is not a 'Key: value' line"
 *   "line 1 must be 'Sluice-Deletion-Certificate: 1'"
 *   "line 1: unsupported certificate of deletion version 'V'"
 *   "line N: unknown key 'K'"
 *   "line N: duplicate key 'K'"
 *   "line N: empty value for 'K'"
 *   "line N: value of 'K' has leading or trailing spaces"
 *   "line N: bad Agreement 'V' (expected a NIC like NIC-123456-A1B2C)"
 *   "line N: bad Organisation 'V' (expected an organisation code)"
 *   "line N: bad Destroyed-On date 'V' (expected YYYY-MM-DD)"
 *   "line N: Signatory must be '<name>, <role>'"
 *   "missing key 'K'"
 * Quoted values V and keys K are cut to at most 40 bytes (on a UTF-8
 * boundary). The formatter also says "value of 'K' is not valid UTF-8",
 * "value of 'K' contains a control character" and "bad Destroyed-On date
 * (expected YYYY-MM-DD)" (a day outside 1970-01-01..9999-12-31).
 */
#ifndef SLUICE_CERTDOC_H
#define SLUICE_CERTDOC_H

#include <stddef.h>
#include <stdint.h>

#define CERTDOC_MAX	(64u * 1024)
#define CERTDOC_MAGIC	"Sluice-Deletion-Certificate"

struct certdoc {
	char	 agreement[17];		/* NIC-123456-A1B2C */
	char	 organisation[65];
	char	*datasets;		/* malloc'd, as are the other char * */
	int32_t	 destroyed_on;		/* days since 1970-01-01 */
	char	*method;
	char	*copies;
	char	*signatory;		/* "<name>, <role>" */
};

/* Frees the strings and zeroes *d; NULL is a no-op. */
void certdoc_clear(struct certdoc *d);

/* Parses text[0..len) (not NUL-terminated) into *d; on failure *d is left
 * cleared and why says what is wrong. */
int certdoc_parse(const uint8_t *text, size_t len, struct certdoc *d,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* The canonical text of d in a malloc'd, NUL-terminated buffer (the NUL is
 * not counted in *len). Refuses (with the parser's reasons, without line
 * numbers) a struct the parser would refuse. */
int certdoc_format(const struct certdoc *d, char **text, size_t *len,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Checks a parsed certificate against what it must be about: the agreement
 * nic, the organisation org, and a destruction date no later than today
 * (days since the epoch, from the caller's clock). SLUICE_EDENIED with
 * "certificate of deletion is for NIC-..., not NIC-...",
 * "certificate of deletion is from ORG-B, not ORG-A" or
 * "certificate of deletion says data was destroyed on YYYY-MM-DD, which is in
 * the future".
 */
int certdoc_check(const struct certdoc *d, const char *nic, const char *org,
    int32_t today, char *why, size_t whylen) __attribute__((warn_unused_result));

#endif
