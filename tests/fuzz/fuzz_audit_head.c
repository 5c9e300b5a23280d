/*
 * fuzz_audit_head.c: libFuzzer target for the audit head line an auditor
 * gives to `audit verify --against` (audit_anchor.h), against an anchor
 * with a fresh key over a store in a temporary directory.
 * Build and run: scripts/fuzz.
 * Invariants checked: no crash; a line is refused as not a head line or as
 * not signed by the key (no input can be signed by a key made this run),
 * with a reason; the line the anchor signs itself parses, and names the
 * newest entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/audit.h"
#include "engine/audit_anchor.h"
#include "sluice/error.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static struct audit_anchor *anc;
static char dir[96];

static void
cleanup(void)
{
	static const char *names[] = { "sluice.db", "sluice.db-wal",
	    "sluice.db-shm", "audit.key", "audit.head", "" };
	char path[128];
	size_t i;

	audit_anchor_free(anc);
	store_close(st);
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

/* A store with one entry, its key, and the line it signs checked. */
static void
setup(void)
{
	char path[128], why[256], line[AUDIT_HEAD_MAX];
	enum anchor_start how;
	struct audit_head h;

	(void)snprintf(dir, sizeof(dir), "%s/sluice-fuzz-head-XXXXXX",
	    tmp_base());
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		abort();
	(void)snprintf(path, sizeof(path), "%s/sluice.db", dir);
	if (store_open(path, &st, why, sizeof(why)) != 0 ||
	    audit_append(st, "sluiced", "init", "root", "ok", "", NULL) != 0)
		abort();
	(void)snprintf(path, sizeof(path), "%s/audit.key", dir);
	if (audit_anchor_open(dir, path, st, &anc, &how, why,
	    sizeof(why)) != 0 || audit_anchor_line(anc, st, line) != 0 ||
	    audit_head_parse(anc, line, &h, why, sizeof(why)) != 0 || h.id != 1)
		abort();
	(void)atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[AUDIT_HEAD_MAX + 64], why[256] = "";
	struct audit_head h;
	int r;

	if (anc == NULL)
		setup();
	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	r = audit_head_parse(anc, line, &h, why, sizeof(why));
	if ((r != SLUICE_EFORMAT && r != SLUICE_EVERIFY) || why[0] == '\0')
		abort();
	return 0;
}
