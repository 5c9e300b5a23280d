/*
 * store_fixture.h: a fresh store in a mkdtemp directory for the store and
 * audit suites (included by their test_*.c, not a module of its own).
 */
#ifndef SLUICE_TEST_STORE_FIXTURE_H
#define SLUICE_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "sluice/error.h"
#include "store/store.h"

static char fx_dir[64];
static char fx_path[128];
static struct store *fx;

static void
fx_remove(const char *suffix)
{
	char p[160];

	snprintf(p, sizeof(p), "%s%s", fx_path, suffix);
	(void)unlink(p);
}

static void
fx_setup(void)
{
	char why[256] = "";

	snprintf(fx_dir, sizeof(fx_dir), "/tmp/sluice-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx_dir));
	snprintf(fx_path, sizeof(fx_path), "%s/sluice.db", fx_dir);
	ck_assert_msg(store_open(fx_path, &fx, why, sizeof(why)) == 0, "%s", why);
}

static void
fx_teardown(void)
{
	store_close(fx);
	fx = NULL;
	fx_remove("");
	fx_remove("-wal");
	fx_remove("-shm");
	(void)rmdir(fx_dir);
}

/* A made-up SSH key blob; n makes it distinct. */
static inline struct store_key
fx_key(uint8_t blob[32], int n)
{
	struct store_key k;

	memset(&k, 0, sizeof(k));
	memset(blob, 0, 32);
	memcpy(blob, "\0\0\0\x0bssh-ed25519", 15);
	blob[31] = (uint8_t)n;
	snprintf(k.type, sizeof(k.type), "ssh-ed25519");
	k.blob = blob;
	k.len = 32;
	snprintf(k.fingerprint, sizeof(k.fingerprint), "SHA256:key%d", n);
	return k;
}

static inline int64_t
fx_staff(const char *user, uint32_t roles, int n)
{
	uint8_t blob[32];
	struct store_key k = fx_key(blob, n);
	char why[256] = "";
	int64_t id = 0;

	ck_assert_msg(staff_add(fx, user, "staff@example.org", &k, roles, &id,
	    why, sizeof(why)) == 0, "%s", why);
	return id;
}

#endif
