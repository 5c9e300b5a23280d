#!/usr/bin/env python3
"""A network that stalls, for ssh's ProxyCommand (crash.held_get()):
stall.py HOST PORT BUDGET MARK relays stdin to HOST:PORT and back, and
once BUDGET bytes have come from the server it stops reading them and
writes its pid to MARK. The client is then held where it is, as a stalled
link holds it, until the test ends this process (SIGTERM), which the
client sees as the connection lost."""

import os
import select
import socket
import sys


def relay():
    host, port, budget, mark = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    s = socket.create_connection((host, port))
    relayed, stalled = 0, False
    while True:
        ready = select.select([0] + ([] if stalled else [s]), [], [])[0]
        if 0 in ready:
            data = os.read(0, 65536)
            if not data:
                return
            s.sendall(data)
        if s in ready:
            data = s.recv(min(65536, budget - relayed))
            if not data:
                return
            view = memoryview(data)
            while view:
                view = view[os.write(1, view):]
            relayed += len(data)
            if relayed >= budget:
                stalled = True
                tmp = mark + ".tmp"
                with open(tmp, "w") as f:
                    f.write("%d\n" % os.getpid())
                os.rename(tmp, mark)


def main():
    try:
        relay()
    except OSError:         # the daemon's end gone: the client sees the loss
        pass


if __name__ == "__main__":
    main()
