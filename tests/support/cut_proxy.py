#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that cuts every connection mid-transfer, for the "connection cut
mid-batch" test of tests/integration/imap.sh.

    cut_proxy.py LISTEN_PORT TARGET_PORT CUT_AFTER_BYTES -- COMMAND...

Forwards to 127.0.0.1:TARGET_PORT. Once the server has sent CUT_AFTER_BYTES bytes in all (over
every connection), it runs COMMAND (the test kills the server with it), closes every connection
and exits. Exits by itself after 120 s whatever happens (a test's loops are bounded)."""
import selectors
import socket
import subprocess
import sys
import time

listen_port, target_port, cut_after = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
command = sys.argv[sys.argv.index("--") + 1:]
sel = selectors.DefaultSelector()
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(8)
server.setblocking(False)
sel.register(server, selectors.EVENT_READ, None)
pairs = {}
sent = 0
deadline = time.time() + 120
print("ready", flush=True)
while time.time() < deadline:
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        if s is server:
            client, _ = server.accept()
            upstream = socket.create_connection(("127.0.0.1", target_port))
            pairs[client] = (upstream, False)
            pairs[upstream] = (client, True)
            sel.register(client, selectors.EVENT_READ, None)
            sel.register(upstream, selectors.EVENT_READ, None)
            continue
        if s not in pairs:
            continue
        other, from_server = pairs[s]
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            for x in (s, other):
                if x in pairs:
                    sel.unregister(x)
                    del pairs[x]
                    x.close()
            continue
        if from_server:
            if sent + len(data) >= cut_after:
                other.sendall(data[: max(0, cut_after - sent)])
                subprocess.run(command, check=False)
                for x in list(pairs):
                    x.close()
                print("cut after", cut_after, "bytes", flush=True)
                sys.exit(0)
            sent += len(data)
        other.sendall(data)
