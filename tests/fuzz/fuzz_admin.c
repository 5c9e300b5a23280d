/*
 * fuzz_admin.c: libFuzzer target for the admin channel's dispatcher
 * (admin_run(): word splitting, the command table, every handler's option
 * parsing and checks) against a real store in a temporary directory.
 * The first byte picks the caller: staff with every role, or a recipient;
 * the rest is the command line. Build and run: scripts/fuzz.
 * Invariants checked: no crash; an answer is always produced, with exit
 * status 0, 1 or 2; a refusal (1, 2) always says why on stderr in lines
 * that end with a newline; the audit chain stays intact.
 * The store starts afresh every STORE_CALLS inputs: left to grow, its
 * audit log made each check (and each `audit export`) slower until one
 * passed libFuzzer's timeout, a finding about the harness, not the code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/admin/admin.h"
#include "engine/audit.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK_CALLS	512	/* inputs between checks of the audit chain */
#define STORE_CALLS	4096	/* inputs one store serves */

static struct store *st;
static char dir[96];
static uint8_t master[32];
static int64_t root_id;
static unsigned long calls;

/* The store and its temporary directory go (files the commands can make
 * are only the store's). */
static void
store_remove(void)
{
	static const char *names[] = { "sluice.db", "sluice.db-wal",
	    "sluice.db-shm", "inbox", "payloads", "" };
	char path[128];
	size_t i;

	store_close(st);
	st = NULL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) != 0)
			(void)rmdir(path);
	}
}

/* $TMPDIR if set and short (scripts/fuzz gives each run one of its own and
 * removes it, however the run ends: libFuzzer interrupted or crashed runs
 * no exit handler), else /tmp. */
static const char *
tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	return t != NULL && t[0] == '/' && strlen(t) < 64 ? t : "/tmp";
}

/* A new store in a new temporary directory, with one admin, root. */
static void
store_make(void)
{
	char path[128], why[256];
	uint8_t blob[51] = "\0\0\0\x0bssh-ed25519\0\0\0\x20";
	struct store_key k;

	(void)snprintf(dir, sizeof(dir), "%s/sluice-fuzz-admin-XXXXXX",
	    tmp_base());
	if (mkdtemp(dir) == NULL)
		abort();
	(void)snprintf(path, sizeof(path), "%s/inbox", dir);
	(void)mkdir(path, 0700);
	(void)snprintf(path, sizeof(path), "%s/payloads", dir);
	(void)mkdir(path, 0700);
	(void)snprintf(path, sizeof(path), "%s/sluice.db", dir);
	if (store_open(path, &st, why, sizeof(why)) != 0)
		abort();
	memset(&k, 0, sizeof(k));
	randombytes_buf(blob + 19, 32);
	(void)snprintf(k.type, sizeof(k.type), "ssh-ed25519");
	k.blob = blob;
	k.len = sizeof(blob);
	(void)snprintf(k.fingerprint, sizeof(k.fingerprint), "SHA256:fuzz");
	if (staff_add(st, "root", "root@localhost", &k, ROLE_ADMIN, &root_id,
	    why, sizeof(why)) != 0)
		abort();
}

static void
setup(void)
{
	if (sodium_init() < 0)
		abort();
	store_make();
	(void)atexit(store_remove);
}

static void
caller(struct admin_ctx *ctx, uint8_t who)
{
	ctx->store = st;
	ctx->data_dir = dir;
	ctx->master_key = master;
	ctx->now = 1772323200;	/* 2026-03-01 */
	if (who % 4 == 3) {
		ctx->user = "rita";
		ctx->kind = ADMIN_CALLER_RECIPIENT;
		ctx->roles = ROLE_RECIPIENT;
		ctx->org = "ORG-A";
		ctx->person_id = 1;
		return;
	}
	ctx->user = "root";
	ctx->kind = ADMIN_CALLER_STAFF;
	ctx->roles = ROLE_OPERATOR | ROLE_APPROVER | ROLE_AUDITOR | ROLE_ADMIN;
	ctx->staff_id = root_id;
}

static void
check_answer(int r, int status, const struct sbuf *err)
{
	size_t n = sbuf_len(err);

	if (r != 0 || status < 0 || status > 2)
		abort();
	if (status != 0 && (n == 0 || sbuf_ptr(err)[n - 1] != '\n'))
		abort();
}

static void
check_chain(void)
{
	char why[256];
	int64_t count, bad;

	if (audit_verify(st, &bad, &count, why, sizeof(why)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admin_ctx ctx;
	int r, status = -1;

	if (st == NULL)
		setup();
	if (size < 1 || size > 4096)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	caller(&ctx, data[0]);
	if ((ctx.out = sbuf_new()) == NULL || (ctx.err = sbuf_new()) == NULL)
		abort();
	r = admin_run(&ctx, (const char *)data + 1, size - 1, &status);
	check_answer(r, status, ctx.err);
	sbuf_free(ctx.out);
	sbuf_free(ctx.err);
	if (++calls % CHECK_CALLS == 0)
		check_chain();
	if (calls % STORE_CALLS == 0) {
		store_remove();
		store_make();
	}
	return 0;
}
