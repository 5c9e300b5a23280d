/*
 * fuzz_sshkey.c: libFuzzer target for SSH public key lines, wire blobs and
 * openssh-key-v1 private keys (what staff paste and what clients load).
 * Build and run: scripts/fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/age.h"
#include "sluice/sshkey.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshkey_pub *k = NULL;
	struct sshkey_priv *sk = NULL;
	struct age_identity *id = NULL;
	struct age_recipient r;
	char why[256], fp[SSHKEY_FP_SIZE], *line, *out = NULL;

	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (sshkey_pub_parse(line, &k, why, sizeof(why)) == 0) {
		if (sshkey_fingerprint(k->blob, k->bloblen, fp) != 0) {
		/* a refusal is fine; a crash is not */
	}
		if (sshkey_pub_format(k, &out) != 0) {
		/* a refusal is fine; a crash is not */
	}
		if (sshkey_acceptable(k, why, sizeof(why)) != 0) {
		/* a refusal is fine; a crash is not */
	}
		free(out);
		sshkey_pub_free(k);
	}
	if (sshkey_pub_from_blob(data, size, &k, why, sizeof(why)) == 0)
		sshkey_pub_free(k);
	if (age_recipient_from_ssh(data, size, &r, why, sizeof(why)) == 0)
		age_recipient_clear(&r);
	if (sshkey_priv_parse(line, size, &sk, why, sizeof(why)) == 0)
		sshkey_priv_free(sk);
	if (age_identity_parse(line, size, &id, why, sizeof(why)) == 0)
		age_identity_free(id);
	free(line);
	return 0;
}
