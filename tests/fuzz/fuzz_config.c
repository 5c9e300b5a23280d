/*
 * fuzz_config: sluiced.conf and policy parsing over arbitrary bytes.
 *
 * libFuzzer:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *       tests/fuzz/fuzz_config.c lib/config.c lib/netaddr.c lib/error.c -linih \
 *       -o fuzz_config
 *   ./fuzz_config -max_len=4096
 * Replay files without libFuzzer (any C compiler): add -DFUZZ_MAIN, drop
 * -fsanitize=fuzzer, and run ./fuzz_config FILE...
 *
 * Invariants checked: a parse either succeeds, or fails with a one-line
 * reason that starts with the file name; a successful parse leaves every
 * value in its documented range.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/config.h"
#include "sluice/error.h"
#include "sluice/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reason(int r, const char *why)
{
	if (r == 0)
		return;
	if (strncmp(why, "f.conf", 6) != 0 || strchr(why, '\n') != NULL)
		abort();
}

static void
check_values(const struct sluice_config *c)
{
	struct netcidr nets[NETADDR_LIST_MAX];
	size_t i, n;

	if (c->port < 1 || c->port > 65535 || c->idle_timeout < 0 ||
	    c->policy.n_expiry_days > CONFIG_LIST_MAX ||
	    c->policy.n_cert_reminder_days > CONFIG_LIST_MAX ||
	    strlen(c->host_key) >= sizeof(c->host_key))
		abort();
	if (c->max_startups.begin < 1 || c->max_startups.begin >
	    c->max_startups.full || c->max_startups.rate < 1 ||
	    c->max_startups.rate > 100 || c->per_source_netblock.v4 < 0 ||
	    c->per_source_netblock.v4 > 32 || c->per_source_netblock.v6 < 0 ||
	    c->per_source_netblock.v6 > 128 || c->penalties.max < 1 ||
	    netaddr_parse_list(c->penalties.exempt, nets, NETADDR_LIST_MAX,
	    &n) != 0)
		abort();
	for (i = 1; i < c->policy.n_expiry_days; i++)
		if (c->policy.expiry_days[i - 1] <= c->policy.expiry_days[i])
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sluice_config cfg;
	char why[512];
	FILE *fp;
	int r;

	if (size == 0 || config_defaults("/fuzz", &cfg, why, sizeof(why)) != 0)
		return 0;
	if ((fp = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		return 0;
	r = config_parse_daemon(fp, "f.conf", &cfg, why, sizeof(why));
	check_reason(r, why);
	rewind(fp);
	r = config_parse_policy(fp, "f.conf", &cfg.policy, why, sizeof(why));
	check_reason(r, why);
	fclose(fp);
	check_values(&cfg);
	return 0;
}

#ifdef FUZZ_MAIN
int
main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	size_t n;
	FILE *fp;
	int i;

	for (i = 1; i < argc; i++) {
		if ((fp = fopen(argv[i], "rb")) == NULL)
			return 1;
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif
