/* libFuzzer target for the SFTP framing and request parsers (build and
 * run: scripts/fuzz). The engine's socket has no peer, so requests that
 * need the engine end the session; everything answered locally (framing,
 * handles, paths, refusals, extensions) is exercised. Input is prefixed
 * with a valid INIT. */
#include <sys/socket.h>

#include <stdint.h>
#include <unistd.h>

#include "ipc.h"
#include "session/sftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t init[] = { 0, 0, 0, 5, 1, 0, 0, 0, 3 };
	struct sftp *s;
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
		return 0;
	close(sp[1]);
	if ((s = sftp_new(sp[0], NULL, size > 0 && data[0] & 1 ?
	    IPC_KIND_STAFF : IPC_KIND_RECIPIENT)) != NULL) {
		if (sftp_input(s, init, sizeof(init)) == 0)
			if (sftp_input(s, data, size > SFTP_MAX_INBUF ?
			    SFTP_MAX_INBUF : size) != 0) {
		/* a refusal is fine; a crash is not */
	}
		sftp_free(s);
	}
	close(sp[0]);
	return 0;
}
