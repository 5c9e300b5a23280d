/* version.c: sluiced --version; contract in version.h. */
#include <stdio.h>

#include <libssh/libssh.h>

#include "setup/version.h"
#include "sluice/version.h"
#include "store/store_version.h"

int
version_run(void)
{
	char store[64], line[256];

	if (store_library(store, sizeof(store)) != 0 ||
	    sluice_version_line(line, sizeof(line), "sluiced", ssh_version(0),
	    store) != 0) {
		fprintf(stderr, "sluiced: version too long to show\n");
		return 1;
	}
	return puts(line) == EOF ? 1 : 0;
}
