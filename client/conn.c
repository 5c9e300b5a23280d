#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/sshalgo.h"
#include "conn.h"

struct conn {
	ssh_session	 s;
};

/* A channel behind the sftp_io interface. */
struct conn_chan {
	ssh_channel	 ch;
};

/* What sluiced offers (sshalgo.h), and nothing weaker. */
static int
conn_set_algorithms(ssh_session s, char *why, size_t whylen)
{
	if (ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, SSH_ALGO_KEX) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, SSH_ALGO_HOSTKEYS) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, SSH_ALGO_CIPHERS) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, SSH_ALGO_CIPHERS) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_HMAC_C_S, SSH_ALGO_MACS) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_HMAC_S_C, SSH_ALGO_MACS) < 0)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "cannot set the SSH algorithms: %s", ssh_get_error(s));
	return 0;
}

static int
conn_set_options(ssh_session s, const struct ccfg *cfg, char *why,
    size_t whylen)
{
	unsigned int port = (unsigned int)cfg->port;
	int off = 0, on = 1, verbosity = SSH_LOG_NOLOG;
	long timeout = 30;

	if (ssh_options_set(s, SSH_OPTIONS_HOST, cfg->host) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_NODELAY, &on) < 0 ||
	    /* The settings come from sluice's own config and flags only. */
	    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &off) < 0)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "cannot use host %s port %d: %s", cfg->host, cfg->port,
		    ssh_get_error(s));
	if (cfg->user != NULL &&
	    ssh_options_set(s, SSH_OPTIONS_USER, cfg->user) < 0)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "cannot use user %s: %s", cfg->user, ssh_get_error(s));
	if (cfg->known_hosts != NULL &&
	    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, cfg->known_hosts) < 0)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "cannot use known_hosts %s: %s", cfg->known_hosts,
		    ssh_get_error(s));
	return conn_set_algorithms(s, why, whylen);
}

/* "SHA256:..." of the server's key, into fp. */
static void
conn_fingerprint(ssh_session s, char *fp, size_t fplen)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *txt = NULL;

	(void)snprintf(fp, fplen, "(unknown)");
	if (ssh_get_server_publickey(s, &key) != SSH_OK)
		return;
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) == 0 &&
	    (txt = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
	    hlen)) != NULL)
		(void)snprintf(fp, fplen, "%s", txt);
	ssh_string_free_char(txt);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
}

/* accept-new: the new host key goes to known_hosts, with a warning. */
static int
host_record(ssh_session s, const struct ccfg *cfg, const char *fp, char *why,
    size_t whylen)
{
	if (ssh_session_update_known_hosts(s) != SSH_OK)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "cannot record host key: %s", ssh_get_error(s));
	(void)fprintf(stderr, "Warning: permanently added host key "
	    "for %s (%s) to known hosts.\n", cfg->host, fp);
	return 0;
}

/* A host key known_hosts does not hold: refused, recorded or let through. */
static int
host_unknown(ssh_session s, const struct ccfg *cfg, const char *fp,
    char *why, size_t whylen)
{
	if (cfg->hkc == HKC_YES)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "host key for %s is not known (%s); add it to known_hosts "
		    "or use -o StrictHostKeyChecking=accept-new", cfg->host, fp);
	if (cfg->hkc == HKC_ACCEPT_NEW)
		return host_record(s, cfg, fp, why, whylen);
	return 0;
}

static int
conn_check_host(ssh_session s, const struct ccfg *cfg, char *why,
    size_t whylen)
{
	char fp[128];

	conn_fingerprint(s, fp, sizeof(fp));
	switch (ssh_session_is_known_server(s)) {
	case SSH_KNOWN_HOSTS_OK:
		return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "host key for %s has CHANGED (now %s): someone may be "
		    "intercepting the connection; refusing", cfg->host, fp);
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		return host_unknown(s, cfg, fp, why, whylen);
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		return sluice_why(why, whylen, SLUICE_EIO,
		    "cannot check host key: %s", ssh_get_error(s));
	}
}

/* Asks for a key's passphrase only when someone is there to answer. */
static int
conn_passphrase(const char *prompt, char *buf, size_t len, int echo,
    int verify, void *userdata)
{
	(void)echo;
	(void)verify;
	(void)userdata;
	if (!isatty(STDIN_FILENO))
		return -1;
	return ssh_getpass(prompt, buf, len, 0, 0);
}

static int
conn_auth(ssh_session s, const struct ccfg *cfg, char *why, size_t whylen)
{
	ssh_key key = NULL;
	int rc;

	if (cfg->identity == NULL) {
		rc = ssh_userauth_publickey_auto(s, NULL, NULL);
	} else {
		if (ssh_pki_import_privkey_file(cfg->identity, NULL,
		    conn_passphrase, NULL, &key) != SSH_OK)
			return sluice_why(why, whylen, SLUICE_EINVAL,
			    "cannot read identity %s", cfg->identity);
		rc = ssh_userauth_publickey(s, NULL, key);
		ssh_key_free(key);
	}
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	if (rc == SSH_AUTH_ERROR)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "authentication failed: %s", ssh_get_error(s));
	return sluice_why(why, whylen, SLUICE_EDENIED,
	    "permission denied: the server did not accept the key for user %s",
	    cfg->user != NULL ? cfg->user : "(default)");
}

int
conn_open(const struct ccfg *cfg, struct conn **out, char *why,
    size_t whylen)
{
	struct conn *c;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((c->s = ssh_new()) == NULL) {
		r = sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	if ((r = conn_set_options(c->s, cfg, why, whylen)) != 0)
		goto out;
	if (ssh_connect(c->s) != SSH_OK) {
		r = sluice_why(why, whylen, SLUICE_EIO,
		    "cannot connect to %s port %d: %s", cfg->host, cfg->port,
		    ssh_get_error(c->s));
		goto out;
	}
	if ((r = conn_check_host(c->s, cfg, why, whylen)) != 0 ||
	    (r = conn_auth(c->s, cfg, why, whylen)) != 0)
		goto out;
	*out = c;
	c = NULL;
out:
	conn_free(c);
	return r;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->s != NULL) {
		if (ssh_is_connected(c->s))
			ssh_disconnect(c->s);
		ssh_free(c->s);
	}
	free(c);
}

/* Copies what the channel has on one stream; waits up to ms for stdout. */
static int
conn_pump(ssh_channel ch, int is_stderr, int fd, int ms)
{
	char buf[16384];
	int n;

	if (is_stderr)
		n = ssh_channel_read_nonblocking(ch, buf, sizeof(buf), 1);
	else
		n = ssh_channel_read_timeout(ch, buf, sizeof(buf), 0, ms);
	if (n == SSH_ERROR)
		return SLUICE_EIO;
	if (n == SSH_EOF)	/* read_nonblocking: the stream has ended */
		return 0;
	if (n > 0 && files_write_all(fd, buf, (size_t)n) != 0)
		return SLUICE_EIO;
	return n;
}

/* Runs line on a new session channel; the command reads no input. */
static int
exec_start(struct conn *c, ssh_channel ch, const char *line, char *why,
    size_t whylen)
{
	if (ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_exec(ch, line) != SSH_OK)
		return sluice_why(why, whylen, SLUICE_EIO, "cannot run command: %s",
		    ssh_get_error(c->s));
	(void)ssh_channel_send_eof(ch);	/* commands read no input */
	return 0;
}

int
conn_exec(struct conn *c, const char *line, int out_fd, int err_fd,
    int *status, char *why, size_t whylen)
{
	ssh_channel ch;
	int r = 0, n1, n2;

	*status = 255;
	if ((ch = ssh_channel_new(c->s)) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((r = exec_start(c, ch, line, why, whylen)) != 0)
		goto out;
	for (;;) {
		if ((n1 = conn_pump(ch, 0, out_fd, 100)) < 0 ||
		    (n2 = conn_pump(ch, 1, err_fd, 0)) < 0) {
			r = sluice_why(why, whylen, SLUICE_EIO,
			    "connection lost: %s", ssh_get_error(c->s));
			goto out;
		}
		if (n1 == 0 && n2 == 0 && (ssh_channel_is_eof(ch) ||
		    ssh_channel_is_closed(ch)))
			break;
	}
	if ((n1 = ssh_channel_get_exit_status(ch)) >= 0 && n1 <= 255)
		*status = n1;
out:
	if (ssh_channel_is_open(ch))
		(void)ssh_channel_close(ch);
	ssh_channel_free(ch);
	return r;
}

static int
chan_write(void *ctx, const void *p, size_t n)
{
	struct conn_chan *cc = ctx;
	const char *q = p;
	int w;

	while (n > 0) {
		uint32_t chunk = n > 1048576 ? 1048576 : (uint32_t)n;

		if ((w = ssh_channel_write(cc->ch, q, chunk)) <= 0)
			return SLUICE_EIO;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

static long
chan_read(void *ctx, void *p, size_t n)
{
	struct conn_chan *cc = ctx;
	uint32_t want = n > 0x7fffffff ? 0x7fffffff : (uint32_t)n;
	int r;

	/* A large count makes libssh open its receive window that wide,
	 * which is what lets many READ replies stream at once. */
	r = ssh_channel_read(cc->ch, p, want, 0);
	if (r == SSH_ERROR)
		return SLUICE_EIO;
	return r;
}

static void
chan_close(void *ctx)
{
	struct conn_chan *cc = ctx;

	if (cc == NULL)
		return;
	if (cc->ch != NULL) {
		if (ssh_channel_is_open(cc->ch)) {
			(void)ssh_channel_send_eof(cc->ch);
			(void)ssh_channel_close(cc->ch);
		}
		ssh_channel_free(cc->ch);
	}
	free(cc);
}

int
conn_sftp(struct conn *c, struct sftp_client **out, char *why, size_t whylen)
{
	struct sftp_io io;
	struct conn_chan *cc;
	int r;

	*out = NULL;
	if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    (cc->ch = ssh_channel_new(c->s)) == NULL) {
		free(cc);
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	}
	if (ssh_channel_open_session(cc->ch) != SSH_OK ||
	    ssh_channel_request_subsystem(cc->ch, "sftp") != SSH_OK) {
		r = sluice_why(why, whylen, SLUICE_EIO,
		    "cannot start SFTP: %s", ssh_get_error(c->s));
		chan_close(cc);
		return r;
	}
	io.ctx = cc;
	io.write = chan_write;
	io.read = chan_read;
	io.close = chan_close;
	/* sftp_client_new owns io.ctx from here, on success and failure. */
	return sftp_client_new(&io, out, why, whylen);
}
