/*
 * authwrap.c: libssh's signature check, wrapped to keep the proof of a
 * login for the engine (authwrap.h). Linked with
 * -Wl,--wrap=ssh_pki_signature_verify against a static libssh 0.10; the
 * prototype is libssh's own (src/pki.c), which it does not install.
 */
#include <string.h>

#include <libssh/libssh.h>

#include "session/authwrap.h"
#include "sluice/error.h"

struct ssh_signature_struct;

/* libssh internals, present in libssh.a (include/libssh/pki.h there). */
int __real_ssh_pki_signature_verify(ssh_session session,
    struct ssh_signature_struct *sig, const ssh_key key,
    const unsigned char *input, size_t input_len);
int __wrap_ssh_pki_signature_verify(ssh_session session,
    struct ssh_signature_struct *sig, const ssh_key key,
    const unsigned char *input, size_t input_len);
int ssh_pki_export_signature_blob(struct ssh_signature_struct *sig,
    ssh_string *sig_blob);

static struct authwrap_proof kept;
static int have_kept;

/* Keeps input and sig (re-encoded by libssh: the same algorithm and
 * signature values as the client's); anything too long is not kept. */
static void
keep(struct ssh_signature_struct *sig, const unsigned char *input,
    size_t input_len)
{
	ssh_string blob = NULL;
	size_t n;

	if (input_len > sizeof(kept.signed_data) ||
	    ssh_pki_export_signature_blob(sig, &blob) != SSH_OK)
		goto out;
	if ((n = ssh_string_len(blob)) == 0 || n > sizeof(kept.sig))
		goto out;
	memcpy(kept.signed_data, input, input_len);
	kept.signed_len = input_len;
	memcpy(kept.sig, ssh_string_data(blob), n);
	kept.sig_len = n;
	have_kept = 1;
out:
	ssh_string_free(blob);
}

int
__wrap_ssh_pki_signature_verify(ssh_session session,
    struct ssh_signature_struct *sig, const ssh_key key,
    const unsigned char *input, size_t input_len)
{
	int rc;

	have_kept = 0;
	rc = __real_ssh_pki_signature_verify(session, sig, key, input,
	    input_len);
	if (rc == SSH_OK)
		keep(sig, input, input_len);
	return rc;
}

int
authwrap_take(struct authwrap_proof *p)
{
	if (!have_kept)
		return SLUICE_ENOTFOUND;
	memcpy(p, &kept, sizeof(*p));
	memset(&kept, 0, sizeof(kept));
	have_kept = 0;
	return 0;
}
