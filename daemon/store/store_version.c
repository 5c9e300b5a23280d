/* store_version.c: the store's library and version; contract in
 * store_version.h. */
#include <stdio.h>

#include <sqlite3.h>

#include "sluice/error.h"
#include "store/store_version.h"

int
store_library(char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "SQLite %s", sqlite3_libversion());

	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}
