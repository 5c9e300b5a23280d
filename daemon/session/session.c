#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "ipc.h"
#include "session/authwrap.h"
#include "session/exitcode.h"
#include "session/hostsign.h"
#include "session/session.h"
#include "session/sftp.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/vis.h"

#define SESSION_MAX_AUTH_TRIES	10
#define SESSION_USER_MAX	64
#define SESSION_OUT_LIMIT	(1024u * 1024)	/* sftp output before we write */
#define SESSION_WRITE_CHUNK	(4u * 1024 * 1024)	/* one flush per batch */
#define SESSION_CLOSE_WAIT_MS	5000
#define RSA_MIN_BITS		3072

enum chan_mode { CH_FREE = 0, CH_OPEN, CH_SFTP, CH_EXEC, CH_CLOSING };

struct chan {
	enum chan_mode	 mode;
	ssh_channel	 ch;
	struct ssh_channel_callbacks_struct cb;
	struct sftp	*sftp;
	char		*command;
	int		 remote_closed;
	int		 status_sent;	/* exit-status already sent */
	uint64_t	 closing_since;
	struct session	*sess;
};

struct session {
	ssh_session	 ss;
	int		 engine_fd, auth_fd;
	struct ipc_shared *sh;
	const struct server_opts *o;
	struct ssh_server_callbacks_struct scb;
	int		 authed, auth_tries;
	int		 attempted;	/* a refused login of any method */
	char		 user[SESSION_USER_MAX + 1];
	char		*tried;		/* the last user name offered, as given */
	enum ipc_kind	 kind;
	uint32_t	 roles;
	struct chan	 chans[SESSION_MAX_CHANNELS];
	uint64_t	 last_activity;
	struct sbuf	*req, *rep;
};

/* ---- key checks ---- */
/* What the engine said of a key (IPC_AUTH). */
struct auth_answer {
	enum ipc_kind	 kind;
	uint32_t	 roles;
	char		 why[256];
};

/* ---- key checks ---- */

/* Bits of a big-endian magnitude, leading zero bytes allowed. */
static int
magnitude_bits(const uint8_t *p, size_t n, size_t *bits)
{
	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n == 0 || n > 2048)
		return SLUICE_EFORMAT;
	*bits = n * 8;
	for (uint8_t top = p[0]; !(top & 0x80); top = (uint8_t)(top << 1))
		(*bits)--;
	return 0;
}

/* Bits of the RSA modulus in an "ssh-rsa" wire blob (string type, mpint e,
 * mpint n). */
static int
rsa_blob_bits(const uint8_t *blob, size_t n, size_t *bits)
{
	struct sbuf b;
	const uint8_t *p, *mod;
	size_t len, modlen;

	sbuf_view(&b, blob, n);
	if (sbuf_get_string_direct(&b, &p, &len) != 0 ||
	    sbuf_get_string_direct(&b, &p, &len) != 0 ||
	    sbuf_get_string_direct(&b, &mod, &modlen) != 0)
		return SLUICE_EFORMAT;
	return magnitude_bits(mod, modlen, bits);
}

static int
rsa_acceptable(const uint8_t *blob, size_t bloblen, char *why, size_t whylen)
{
	size_t bits;

	if (rsa_blob_bits(blob, bloblen, &bits) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "malformed RSA key");
	if (bits < RSA_MIN_BITS)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "RSA key of %zu bits refused: at least %d required",
		    bits, RSA_MIN_BITS);
	return 0;
}

int
session_key_acceptable(enum ssh_keytypes_e type, const uint8_t *blob,
    size_t bloblen, char *why, size_t whylen)
{
	switch (type) {
	case SSH_KEYTYPE_ED25519:
	case SSH_KEYTYPE_ECDSA_P256:
	case SSH_KEYTYPE_ECDSA_P384:
	case SSH_KEYTYPE_ECDSA_P521:
		return 0;
	case SSH_KEYTYPE_RSA:
		return rsa_acceptable(blob, bloblen, why, whylen);
	default:
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "key type %s refused", ssh_key_type_to_char(type) ?
		    ssh_key_type_to_char(type) : "unknown");
	}
}

/* ---- talking to the engine ---- */

/* Sends the request built in s->req; the reply lands in s->rep. */
static int
ask_engine(struct session *s, uint32_t type)
{
	return ipc_call(s->engine_fd, type, s->req, -1, s->rep, NULL);
}

static void
report_authfail(struct session *s, const char *user, const char *method,
    const char *reason)
{
	char name[VIS_NAME_SIZE];
	int r;

	s->attempted = 1;
	sbuf_reset(s->req);
	if ((r = sbuf_put_cstring(s->req, user ? user : "")) != 0 ||
	    (r = sbuf_put_cstring(s->req, method)) != 0 ||
	    (r = sbuf_put_cstring(s->req, reason)) != 0 ||
	    (r = ask_engine(s, IPC_AUTHFAIL)) != 0)
		log_warnx("session: cannot report a refused login: %s",
		    sluice_strerror(r));
	log_info("refused %s login for \"%s\": %s", method,
	    vis_name(name, user), reason);
}

/* Reads the IPC_AUTH reply: 0 = accepted (kind and roles filled); the
 * engine's reason goes to a->why either way. */
static int
auth_reply(struct session *s, struct auth_answer *a)
{
	const uint8_t *p;
	size_t plen;
	uint32_t status, k;

	if (sbuf_get_u32(s->rep, &status) != 0 ||
	    sbuf_get_string_direct(s->rep, &p, &plen) != 0 ||
	    sbuf_get_u32(s->rep, &k) != 0 || sbuf_get_u32(s->rep, &a->roles) != 0)
		return SLUICE_EPROTO;
	(void)snprintf(a->why, sizeof(a->why), "%.*s",
	    (int)(plen > 200 ? 200 : plen), (const char *)p);
	if (status != 0)
		return SLUICE_EDENIED;
	if (k != IPC_KIND_STAFF && k != IPC_KIND_RECIPIENT)
		return SLUICE_EPROTO;
	a->kind = (enum ipc_kind)k;
	return 0;
}

/* Asks the engine about a key, with the proof of the signature for the
 * final ask (p NULL at the probe); 0 = accepted. */
static int
engine_auth(struct session *s, const char *user, const uint8_t *blob,
    size_t n, const struct authwrap_proof *p, struct auth_answer *a)
{
	int r;

	sbuf_reset(s->req);
	if ((r = sbuf_put_cstring(s->req, user)) != 0 ||
	    (r = sbuf_put_string(s->req, blob, n)) != 0 ||
	    (r = sbuf_put_u8(s->req, p != NULL)) != 0 ||
	    (r = sbuf_put_string(s->req, p ? p->signed_data : NULL,
	    p ? p->signed_len : 0)) != 0 ||
	    (r = sbuf_put_string(s->req, p ? p->sig : NULL,
	    p ? p->sig_len : 0)) != 0 ||
	    (r = ask_engine(s, IPC_AUTH)) != 0)
		return r;
	return auth_reply(s, a);
}

/* ---- auth callbacks ---- */

static int
base64_decode(const char *b64, uint8_t **out, size_t *n)
{
	size_t len = strlen(b64), cap = len / 4 * 3 + 3;

	if ((*out = malloc(cap)) == NULL)
		return SLUICE_ENOMEM;
	if (sodium_base642bin(*out, cap, b64, len, NULL, n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(*out);
		*out = NULL;
		return SLUICE_EFORMAT;
	}
	return 0;
}

/* The key's SSH wire blob (libssh 0.10 exports it only as base64). */
static int
key_blob(ssh_key key, uint8_t **blob, size_t *n)
{
	char *b64 = NULL;
	int r;

	*blob = NULL;
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return SLUICE_EFORMAT;
	r = base64_decode(b64, blob, n);
	ssh_string_free_char(b64);
	return r;
}

/* Refuses a publickey offer for a reason the engine hears of. */
static int
pubkey_refused(struct session *s, const char *user, const char *reason)
{
	report_authfail(s, user, "publickey", reason);
	return SLUICE_EDENIED;
}

/* The session's own checks of a key offer, before the engine sees it:
 * 0 with the key's wire blob, or a refusal already reported. */
static int
offer_check(struct session *s, const char *user, ssh_key key, char state,
    uint8_t **blob, size_t *n)
{
	char why[256] = "";

	*blob = NULL;
	if (state != SSH_PUBLICKEY_STATE_NONE &&
	    state != SSH_PUBLICKEY_STATE_VALID)
		return pubkey_refused(s, user, "signature did not verify");
	if (user == NULL || strlen(user) == 0 ||
	    strlen(user) > SESSION_USER_MAX)
		return pubkey_refused(s, user, "bad user name");
	if (key_blob(key, blob, n) != 0)
		return pubkey_refused(s, user, "unreadable key");
	if (session_key_acceptable(ssh_key_type(key), *blob, *n, why,
	    sizeof(why)) != 0) {
		free(*blob);
		*blob = NULL;
		return pubkey_refused(s, user, why);
	}
	return 0;
}

/* After the engine's final accept: the identity is fixed for the
 * session's life. */
static void
session_authed(struct session *s, const char *user,
    const struct auth_answer *a)
{
	s->authed = 1;
	s->kind = a->kind;
	s->roles = a->roles;
	(void)snprintf(s->user, sizeof(s->user), "%s", user);
	log_info("\"%s\" authenticated (%s)", s->user,
	    a->kind == IPC_KIND_STAFF ? "staff" : "recipient");
}

/* Shows the key to the engine: at the probe (final 0) and once its
 * signature verified (final 1), then with the proof libssh checked. */
static int
offer_to_engine(struct session *s, const char *user, const uint8_t *blob,
    size_t n, int final)
{
	static struct authwrap_proof proof;
	struct auth_answer a;
	char name[VIS_NAME_SIZE];
	int r;

	memset(&a, 0, sizeof(a));
	if (final && authwrap_take(&proof) != 0)
		return pubkey_refused(s, user, "no signature to show the engine");
	r = engine_auth(s, user, blob, n, final ? &proof : NULL, &a);
	if (r == SLUICE_EDENIED)
		log_info("key refused for \"%s\": %s", vis_name(name, user),
		    a.why);
	else if (r != 0)
		log_warnx("session: engine auth failed: %s", sluice_strerror(r));
	else if (final)
		session_authed(s, user, &a);
	return r;
}

static int
cb_auth_pubkey(ssh_session ss, const char *user, struct ssh_key_struct *key,
    char state, void *ud)
{
	struct session *s = ud;
	uint8_t *blob;
	size_t bloblen;
	int r;

	(void)ss;
	s->last_activity = sluice_monotonic_ms();
	if (s->authed || ++s->auth_tries > SESSION_MAX_AUTH_TRIES)
		return SSH_AUTH_DENIED;
	free(s->tried);
	s->tried = user != NULL ? strdup(user) : NULL;
	if (offer_check(s, user, key, state, &blob, &bloblen) != 0)
		return SSH_AUTH_DENIED;
	r = offer_to_engine(s, user, blob, bloblen,
	    state == SSH_PUBLICKEY_STATE_VALID);
	free(blob);
	return r == 0 ? SSH_AUTH_SUCCESS : SSH_AUTH_DENIED;
}

static int
cb_auth_password(ssh_session ss, const char *user, const char *password,
    void *ud)
{
	(void)ss;
	(void)password;
	report_authfail(ud, user, "password", "only public keys are accepted");
	return SSH_AUTH_DENIED;
}

static int
cb_auth_none(ssh_session ss, const char *user, void *ud)
{
	(void)ss;
	(void)user;
	(void)ud;
	/* Every client starts with "none" to learn the methods: not audited. */
	return SSH_AUTH_DENIED;
}

/* Requests no callback took: keyboard-interactive is audited; the default
 * reply refuses everything here (forwardings, x11, agent, ...). */
static int
cb_message(ssh_session ss, ssh_message msg, void *ud)
{
	(void)ss;
	if (ssh_message_type(msg) == SSH_REQUEST_AUTH &&
	    ssh_message_subtype(msg) == SSH_AUTH_METHOD_INTERACTIVE)
		report_authfail(ud, ssh_message_auth_user(msg),
		    "keyboard-interactive", "only public keys are accepted");
	return 1;
}

/* ---- channels ---- */

static int
cb_chan_subsystem(ssh_session ss, ssh_channel ch, const char *subsystem,
    void *ud)
{
	struct chan *c = ud;

	(void)ss;
	(void)ch;
	if (c->mode != CH_OPEN || strcmp(subsystem, "sftp") != 0)
		return -1;
	if ((c->sftp = sftp_new(c->sess->engine_fd, c->sess->sh,
	    c->sess->kind)) == NULL)
		return -1;
	c->mode = CH_SFTP;
	return 0;
}

static int
cb_chan_exec(ssh_session ss, ssh_channel ch, const char *command, void *ud)
{
	struct chan *c = ud;

	(void)ss;
	(void)ch;
	/* Any length libssh delivered (its packets are at most 256 KiB): the
	 * engine's splitter refuses an over-long line with a reason, exit 2
	 * and an audit entry, where refusing the request here would leave
	 * the client with only "exec request failed". */
	if (c->mode != CH_OPEN || (c->command = strdup(command)) == NULL)
		return -1;
	c->mode = CH_EXEC;
	return 0;
}

static int
cb_chan_refuse_pty(ssh_session ss, ssh_channel ch, const char *term, int w,
    int h, int pw, int ph, void *ud)
{
	(void)ss; (void)ch; (void)term; (void)w; (void)h; (void)pw; (void)ph;
	(void)ud;
	return -1;
}

static int
cb_chan_refuse_shell(ssh_session ss, ssh_channel ch, void *ud)
{
	(void)ss; (void)ch; (void)ud;
	return -1;
}

static int
cb_chan_refuse_env(ssh_session ss, ssh_channel ch, const char *name,
    const char *value, void *ud)
{
	(void)ss; (void)ch; (void)name; (void)value; (void)ud;
	return -1;
}

static void
cb_chan_close(ssh_session ss, ssh_channel ch, void *ud)
{
	struct chan *c = ud;

	(void)ss;
	if (ch == c->ch)
		c->remote_closed = 1;
}

/* Every channel's callbacks; userdata is its struct chan. */
static const struct ssh_channel_callbacks_struct chan_callbacks = {
	.channel_subsystem_request_function = cb_chan_subsystem,
	.channel_exec_request_function = cb_chan_exec,
	.channel_pty_request_function = cb_chan_refuse_pty,
	.channel_shell_request_function = cb_chan_refuse_shell,
	.channel_env_request_function = cb_chan_refuse_env,
	.channel_close_function = cb_chan_close,
};

static struct chan *
chan_free_slot(struct session *s)
{
	size_t i;

	for (i = 0; i < SESSION_MAX_CHANNELS; i++)
		if (s->chans[i].mode == CH_FREE)
			return &s->chans[i];
	return NULL;
}

/* A new libssh channel in slot c, with our callbacks. */
static int
chan_attach(struct chan *c, ssh_session ss)
{
	if ((c->ch = ssh_channel_new(ss)) == NULL)
		return SLUICE_ENOMEM;
	c->cb = chan_callbacks;
	c->cb.userdata = c;
	ssh_callbacks_init(&c->cb);
	if (ssh_set_channel_callbacks(c->ch, &c->cb) != SSH_OK) {
		ssh_channel_free(c->ch);
		c->ch = NULL;
		return SLUICE_EIO;
	}
	return 0;
}

static ssh_channel
cb_channel_open(ssh_session ss, void *ud)
{
	struct session *s = ud;
	struct chan *c;

	if (!s->authed || (c = chan_free_slot(s)) == NULL ||
	    chan_attach(c, ss) != 0)
		return NULL;
	c->mode = CH_OPEN;
	c->sess = s;
	c->remote_closed = 0;
	s->last_activity = sluice_monotonic_ms();
	return c->ch;
}

/* Writes all of p to the channel (blocking, bounded by the session's
 * timeout). */
static int
chan_write_all(struct chan *c, const uint8_t *p, size_t n, int is_stderr)
{
	size_t k;
	int w;

	while (n > 0) {
		k = n > SESSION_WRITE_CHUNK ? SESSION_WRITE_CHUNK : n;
		w = is_stderr ? ssh_channel_write_stderr(c->ch, p, (uint32_t)k) :
		    ssh_channel_write(c->ch, p, (uint32_t)k);
		if (w <= 0)
			return SLUICE_EIO;
		p += w;
		n -= (size_t)w;
		c->sess->last_activity = sluice_monotonic_ms();
	}
	return 0;
}

/* Ends a channel politely: EOF then CLOSE, then waits for the client's
 * CLOSE in the main loop so nothing queued is lost. */
static void
chan_finish(struct chan *c)
{
	if (c->mode == CH_CLOSING || c->ch == NULL)
		return;
	/* As sshd does when the subsystem exits: scp (SFTP mode) fails on a
	 * channel that closes without an exit status. */
	if (c->mode == CH_SFTP && !c->remote_closed && !c->status_sent)
		(void)ssh_channel_request_send_exit_status(c->ch, 0);
	(void)ssh_channel_send_eof(c->ch);
	(void)ssh_channel_close(c->ch);
	c->mode = CH_CLOSING;
	c->closing_since = sluice_monotonic_ms();
}

static void
chan_release(struct chan *c)
{
	sftp_free(c->sftp);
	free(c->command);
	if (c->ch != NULL) {
		/* libssh keeps a channel we free until the client's CLOSE comes,
		 * and would call these callbacks then: with this slot reused by
		 * a new channel, the old CLOSE would end the new one. */
		(void)ssh_remove_channel_callbacks(c->ch, &c->cb);
		ssh_channel_free(c->ch);
	}
	memset(c, 0, sizeof(*c));
}

/* Writes the engine's IPC_ADMIN reply to the channel: stdout, then
 * stderr; *status gets the exit status. */
static int
exec_output(struct chan *c, uint32_t *status)
{
	struct sbuf *rep = c->sess->rep;
	const uint8_t *out, *err;
	size_t outlen, errlen;
	int r;

	if (sbuf_get_u32(rep, status) != 0 ||
	    sbuf_get_string_direct(rep, &out, &outlen) != 0 ||
	    sbuf_get_string_direct(rep, &err, &errlen) != 0)
		return SLUICE_EPROTO;
	if ((r = chan_write_all(c, out, outlen, 0)) != 0)
		return r;
	return chan_write_all(c, err, errlen, 1);
}

/* The admin answer's next message in s->rep: first any held while a
 * re-key's signature was awaited (hostsign.h), then the socket's. */
static int
admin_recv(struct session *s, uint32_t *type)
{
	int r;

	if ((r = hostsign_held_next(type, s->rep)) != 0)
		return r < 0 ? r : 0;
	return ipc_recv(s->engine_fd, type, s->rep, NULL);
}

/* IPC_ADMIN: the pieces of a long answer (IPC_ADMIN_DATA) go to the
 * channel as they come; the reply lands in s->rep. */
static int
ask_admin(struct chan *c)
{
	struct session *s = c->sess;
	uint32_t type;
	int r;

	if ((r = ipc_send(s->engine_fd, IPC_ADMIN, s->req, -1)) != 0)
		return r;
	while ((r = admin_recv(s, &type)) == 0 && type == IPC_ADMIN_DATA)
		if ((r = chan_write_all(c, sbuf_ptr(s->rep), sbuf_len(s->rep),
		    0)) != 0)
			return r;
	if (r == 0 && type != (IPC_ADMIN | IPC_REPLY))
		r = SLUICE_EPROTO;
	return r;
}

static int
run_exec(struct chan *c)
{
	struct session *s = c->sess;
	uint32_t status;
	int r;

	sbuf_reset(s->req);
	if ((r = sbuf_put_cstring(s->req, c->command)) != 0 ||
	    (r = ask_admin(c)) != 0 ||
	    (r = exec_output(c, &status)) != 0)
		return r;
	(void)ssh_channel_request_send_exit_status(c->ch, (int)status);
	chan_finish(c);
	return 0;
}

/* Feeds the SFTP server what the channel holds, as far as it has room. */
static int
sftp_pull(struct chan *c, int *moved)
{
	uint8_t buf[32 * 1024];
	size_t room = sftp_input_room(c->sftp);
	int n, r;

	if (room > sizeof(buf))
		room = sizeof(buf);
	if (room == 0)
		return 0;
	n = ssh_channel_read_nonblocking(c->ch, buf, (uint32_t)room, 0);
	if (n == SSH_ERROR)
		return SLUICE_EIO;
	if (n <= 0)
		return 0;
	if ((r = sftp_feed(c->sftp, buf, (size_t)n)) != 0)
		return r;
	*moved = 1;
	c->sess->last_activity = sluice_monotonic_ms();
	return 0;
}

/* Refusals' reasons to the channel's stderr, where ssh (and so stock sftp)
 * prints them. */
static int
push_notices(struct chan *c)
{
	struct sbuf *notes = sftp_notices(c->sftp);
	int r;

	if (sbuf_len(notes) == 0)
		return 0;
	r = chan_write_all(c, sbuf_ptr(notes), sbuf_len(notes), 1);
	sbuf_reset(notes);
	return r;
}

/* Answers the complete requests and writes the replies to the channel. */
static int
sftp_push(struct chan *c, int *moved)
{
	struct sbuf *out = sftp_output(c->sftp);
	int r;

	if ((r = sftp_run(c->sftp, SESSION_OUT_LIMIT)) != 0 ||
	    (r = push_notices(c)) != 0)
		return r;
	if (sbuf_len(out) == 0)
		return 0;
	if ((r = chan_write_all(c, sbuf_ptr(out), sbuf_len(out), 0)) != 0)
		return r;
	sbuf_reset(out);
	*moved = 1;
	return 0;
}

/* Moves bytes channel -> sftp -> channel until nothing more can move. */
static int
run_sftp(struct chan *c)
{
	int moved, r;

	do {
		moved = 0;
		if ((r = sftp_pull(c, &moved)) != 0 ||
		    (r = sftp_push(c, &moved)) != 0)
			return r;
	} while (moved);
	if (ssh_channel_is_eof(c->ch))
		chan_finish(c);
	return 0;
}

/* A closing channel goes once the client closed it too, or after
 * SESSION_CLOSE_WAIT_MS. */
static void
chan_reap(struct chan *c)
{
	if (c->remote_closed || ssh_channel_is_closed(c->ch) ||
	    sluice_monotonic_ms() - c->closing_since > SESSION_CLOSE_WAIT_MS)
		chan_release(c);
}

/* Ends a channel whose work failed; an SFTP client learns it from exit
 * status 1. */
static void
chan_fail(struct chan *c, int r)
{
	log_warnx("session: channel ends: %s", sluice_strerror(r));
	if (c->mode == CH_SFTP && !c->remote_closed) {
		(void)ssh_channel_request_send_exit_status(c->ch, 1);
		c->status_sent = 1;
	}
	chan_finish(c);
}

static int
chan_work(struct chan *c)
{
	if (c->mode == CH_EXEC)
		return run_exec(c);
	if (c->mode == CH_SFTP)
		return run_sftp(c);
	return 0;
}

static void
chan_service(struct chan *c)
{
	int r;

	if (c->mode == CH_FREE)
		return;
	if (c->mode == CH_CLOSING)
		chan_reap(c);
	else if (c->remote_closed)
		chan_finish(c);
	else if ((r = chan_work(c)) != 0)
		chan_fail(c, r);
}

static void
service_channels(struct session *s)
{
	size_t i;

	for (i = 0; i < SESSION_MAX_CHANNELS; i++)
		chan_service(&s->chans[i]);
}

/* ---- the session ---- */

static int
idle_seconds(const struct server_opts *o)
{
	return o->idle_timeout > 0 ? o->idle_timeout : 600;
}

/* The session's callbacks; userdata is its struct session. */
static const struct ssh_server_callbacks_struct server_callbacks = {
	.auth_pubkey_function = cb_auth_pubkey,
	.auth_password_function = cb_auth_password,
	.auth_none_function = cb_auth_none,
	.channel_open_request_session_function = cb_channel_open,
};

static int
set_callbacks(struct session *s)
{
	s->scb = server_callbacks;
	s->scb.userdata = s;
	ssh_callbacks_init(&s->scb);
	if (ssh_set_server_callbacks(s->ss, &s->scb) != SSH_OK)
		return SLUICE_EIO;
	ssh_set_message_callback(s->ss, cb_message, s);
	ssh_set_auth_methods(s->ss, SSH_AUTH_METHOD_PUBLICKEY);
	return 0;
}

static int
session_setup(struct session *s, ssh_bind bind, int client_fd)
{
	long timeout = idle_seconds(s->o);
	int r;

	if ((s->ss = ssh_new()) == NULL)
		return SLUICE_ENOMEM;
	if (ssh_bind_accept_fd(bind, s->ss, client_fd) != SSH_OK) {
		log_warnx("session: accept: %s", ssh_get_error(bind));
		return SLUICE_EIO;
	}
	(void)ssh_options_set(s->ss, SSH_OPTIONS_TIMEOUT, &timeout);
	if ((r = set_callbacks(s)) != 0)
		return r;
	if (ssh_handle_key_exchange(s->ss) != SSH_OK) {
		log_info("session: key exchange failed: %s",
		    ssh_get_error(s->ss));
		return SLUICE_EPROTO;
	}
	return 0;
}

/* Polls until authenticated; the grace alarm bounds it. */
static int
session_auth(struct session *s, ssh_event ev)
{
	while (!s->authed) {
		if (ssh_event_dopoll(ev, 1000) == SSH_ERROR ||
		    !ssh_is_connected(s->ss))
			return SLUICE_EIO;
		if (s->auth_tries > SESSION_MAX_AUTH_TRIES) {
			report_authfail(s, s->tried, "publickey",
			    "too many attempts");
			return SLUICE_EDENIED;
		}
	}
	alarm(0);
	/* Tells the parent: authenticated, no longer a startup. */
	(void)!write(s->auth_fd, "A", 1);
	close(s->auth_fd);
	s->auth_fd = -1;
	return 0;
}

/* A fatal protocol error (e.g. a packet over libssh's limit, such as a
 * 1 MiB command line) leaves the session connected but deaf: say why and
 * end it, or the client waits forever. */
static int
session_broken(struct session *s)
{
	if (!(ssh_get_status(s->ss) & SSH_CLOSED_ERROR))
		return 0;
	log_info("\"%s\": connection ended: %s", s->user,
	    ssh_get_error(s->ss));
	(void)ssh_session_set_disconnect_message(s->ss,
	    "protocol error (a packet over 256 KiB, such as "
	    "a command line that long?)");
	return 1;
}

static int
session_idle(const struct session *s)
{
	uint64_t idle_ms = (uint64_t)idle_seconds(s->o) * 1000u;

	if (sluice_monotonic_ms() - s->last_activity <= idle_ms)
		return 0;
	log_info("\"%s\" idle for %d s: disconnecting", s->user,
	    s->o->idle_timeout);
	return 1;
}

static void
session_loop(struct session *s, ssh_event ev)
{
	s->last_activity = sluice_monotonic_ms();
	while (ssh_is_connected(s->ss)) {
		if (ssh_event_dopoll(ev, 200) == SSH_ERROR ||
		    session_broken(s))
			break;
		service_channels(s);
		if (session_idle(s))
			break;
	}
}

/* Buffers, the SSH handshake and the poll event of a new session. */
static int
session_open(struct session *s, ssh_bind bind, int client_fd,
    ssh_event *ev)
{
	int r;

	if ((s->req = sbuf_new()) == NULL || (s->rep = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = session_setup(s, bind, client_fd)) != 0)
		return r;
	if ((*ev = ssh_event_new()) == NULL ||
	    ssh_event_add_session(*ev, s->ss) != SSH_OK)
		return SLUICE_ENOMEM;
	return 0;
}

static void
session_ssh_end(struct session *s, ssh_event ev)
{
	if (ev != NULL) {
		if (s->ss != NULL)
			(void)ssh_event_remove_session(ev, s->ss);
		ssh_event_free(ev);
	}
	if (s->ss != NULL) {
		ssh_disconnect(s->ss);
		ssh_free(s->ss);
	}
}

static void
session_close(struct session *s, ssh_event ev)
{
	size_t i;

	for (i = 0; i < SESSION_MAX_CHANNELS; i++)
		if (s->chans[i].mode != CH_FREE)
			chan_release(&s->chans[i]);
	session_ssh_end(s, ev);
	sbuf_free(s->req);
	sbuf_free(s->rep);
	free(s->tried);
	if (s->auth_fd != -1)
		close(s->auth_fd);
	close(s->engine_fd);
}

/* login_grace_time ran out (the parent penalises the source). */
static void
grace_expired(int sig)
{
	(void)sig;
	_exit(SESSION_EXIT_GRACE);
}

/* The exit status that tells the parent how the session ended
 * (exitcode.h); r is the result of the handshake and authentication. */
static int
exit_code(const struct session *s, int r)
{
	if (s->authed)
		return r == 0 ? SESSION_EXIT_OK : SESSION_EXIT_ERROR;
	if (s->auth_tries > 0 || s->attempted)
		return SESSION_EXIT_AUTHFAIL;
	if (r == SLUICE_EPROTO && s->ss != NULL &&
	    ssh_get_clientbanner(s->ss) != NULL)
		return SESSION_EXIT_PROTOCOL;
	return SESSION_EXIT_NOAUTH;
}

int
session_main(ssh_bind bind, int client_fd, int engine_fd, int auth_fd,
    struct ipc_shared *sh, const struct server_opts *o)
{
	struct session s;
	ssh_event ev = NULL;
	int r, code;

	memset(&s, 0, sizeof(s));
	s.engine_fd = engine_fd;
	s.auth_fd = auth_fd;
	s.sh = sh;
	s.o = o;
	hostsign_use_engine(engine_fd);	/* the key exchange's signature */
	(void)signal(SIGALRM, grace_expired);
	alarm((unsigned)(o->login_grace_time > 0 ? o->login_grace_time : 30));
	if ((r = session_open(&s, bind, client_fd, &ev)) == 0 &&
	    (r = session_auth(&s, ev)) == 0)
		session_loop(&s, ev);
	code = exit_code(&s, r);
	session_close(&s, ev);
	return code;
}
