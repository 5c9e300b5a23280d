/*
 * The engine's setup: its state, the store, the master, release and host
 * keys; and their release when it stops.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/engine_int.h"
#include "engine/sweep.h"
#include "sluice/clock.h"
#include "sluice/files.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/minisign.h"

/* The master key, kept in locked memory, read-only once loaded. */
static int
load_master(struct engine *e, char *why, size_t whylen)
{
	int r;

	if ((e->master = sodium_malloc(32)) == NULL)
		return SLUICE_ENOMEM;
	if ((r = files_read_secret(e->cfg->master_key, e->master, 32)) != 0)
		return sluice_why(why, whylen, r,
		    "%s: cannot read the 32-byte master key", e->cfg->master_key);
	(void)sodium_mprotect_readonly(e->master);
	return 0;
}

/* The release signing key, and the public key file served as release.pub. */
static int
load_release(struct engine *e, char *why, size_t whylen)
{
	struct sbuf *b;
	int r;

	if ((b = sbuf_new_secret()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = files_read(e->cfg->release_key, 64 * 1024, b)) != 0 ||
	    (r = minisign_key_load((const char *)sbuf_ptr(b), sbuf_len(b),
	    &e->release, why, whylen)) != 0) {
		sbuf_free(b);
		return r == SLUICE_EIO ? sluice_why(why, whylen, r,
		    "%s: cannot read the release key", e->cfg->release_key) : r;
	}
	sbuf_reset(b);
	if ((r = files_read(e->cfg->release_pub, 64 * 1024, b)) == 0 &&
	    (r = sbuf_put_u8(b, 0)) == 0 &&
	    (e->release_pub = strdup((const char *)sbuf_ptr(b))) == NULL)
		r = SLUICE_ENOMEM;
	sbuf_free(b);
	return r;
}

/* The start, in the audit log; a fake clock says so there. */
static void
audit_start(struct engine *e)
{
	if (sluice_clock_is_fake())
		engine_audit(e, "sluiced", "start", "clock", "ok",
		    "FAKE CLOCK in use: time comes from a file, for tests only");
	else
		engine_audit(e, "sluiced", "start", "", "ok", "engine started");
}

int
engine_open(const char *dir, const struct sluice_config *cfg, int ctl,
    struct ipc_shared *sh, const struct sshkey_pub *offered,
    struct engine **out)
{
	struct engine *e;
	char why[256] = "";
	int r;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return SLUICE_ENOMEM;
	*out = e;
	(void)snprintf(e->dir, sizeof(e->dir), "%s", dir);
	e->cfg = cfg;
	e->ctl = ctl;
	e->sh = sh;
	if ((r = store_open(cfg->store_path, &e->st, why, sizeof(why))) != 0 ||
	    (r = load_master(e, why, sizeof(why))) != 0 ||
	    (r = load_release(e, why, sizeof(why))) != 0 ||
	    (r = engine_hostkey_load(e, offered, why, sizeof(why))) != 0 ||
	    (r = engine_anchor_start(e, why, sizeof(why))) != 0) {
		log_errx("engine: %s", why[0] ? why : sluice_strerror(r));
		return r;
	}
	sweep_at_start(e->st, e->dir);
	audit_start(e);
	e->opened = 1;
	engine_anchor_update(e);
	return 0;
}

void
engine_close(struct engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nconns; i++) {
		conn_close_all(e, e->conns[i]);
		ipc_peer_free(e->conns[i]->io);
		free(e->conns[i]);
	}
	if (e->opened)
		engine_audit(e, "sluiced", "stop", "", "ok", "engine stopped");
	engine_anchor_stop(e);
	store_close(e->st);
	if (e->master != NULL)
		sodium_free(e->master);
	minisign_key_free(e->release);
	free(e->release_pub);
	sshkey_priv_free(e->hostkey);
	auth_ring_free(e->signed_kex);
	auth_ring_free(e->seen);
	free(e);
}
