#!/usr/bin/env python3
"""A webhook receiver for tests (standard library only).

    webhook_sink.py PORT OUTDIR [--fail-first N] [--status CODE] [--tls CERT KEY]

Listens on 127.0.0.1:PORT (0: any free port) and records each request as OUTDIR/NNNN.json:
{"method", "path", "headers": {name: value}, "status"} and its body byte for byte as
OUTDIR/NNNN.body (NNNN counts from 0001). Answers CODE (default 200) with "ok", but 500 to the
first N requests (to test retries and failure reporting). With --tls it speaks HTTPS with that
certificate. Once listening it writes the port to OUTDIR/port (write-then-rename: a reader never
sees half a number). Bodies over 1 MiB are refused with 413. Stops on SIGTERM.
"""
import argparse
import http.server
import json
import os
import signal
import ssl
import sys
import threading

MAX_BODY = 1024 * 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    lock = threading.Lock()
    state = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # quiet: the files are the record
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.answer(413, b"too large")
                return
            body = self.rfile.read(length)
            with lock:
                state["n"] += 1
                n = state["n"]
            status = 500 if n <= args.fail_first else args.status
            base = os.path.join(args.outdir, "%04d" % n)
            with open(base + ".body", "wb") as f:
                f.write(body)
            meta = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "status": status}
            with open(base + ".json.tmp", "w") as f:
                json.dump(meta, f, indent=1)
            os.rename(base + ".json.tmp", base + ".json")
            self.answer(status, b"ok\n" if status < 300 else b"sink says no (request %d)\n" % n)

        do_PUT = do_POST

        def answer(self, status, text):
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    port_file = os.path.join(args.outdir, "port")
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
