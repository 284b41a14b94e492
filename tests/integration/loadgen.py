#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small HTTP load generator for the reload tests: a new connection per request (or keep-alive), on
loopback only, failures counted by kind, and who answered (the test apps answer JSON with "pid" and
"instance").

  loadgen.py --port P [--concurrency N] [--sources 127.0.0.2,127.0.0.3] [--keepalive] [--path /x]
             [--stop-file F] [--max-seconds S] [--summary FILE] [--rate R]

Runs until --stop-file exists, --max-seconds pass, or SIGTERM/SIGINT, then writes a JSON summary (to
--summary, else stdout):
  requests, ok, failed, fail = {connect, reset, timeout, status, other}, status = {"503": n, …},
  by_pid = {pid: {"instance": i, "count": n, "first": t, "last": t}} (t: CLOCK_REALTIME seconds),
  by_source = {source: {instance: n}}, examples = the first few failures with their time and message.
A connect error is a refused/unreachable connection; a reset is ECONNRESET/EPIPE or a connection closed
before a full response; a timeout is 10 s without an answer; status is a complete response that is not 2xx.
"""
import argparse
import errno
import json
import os
import signal
import socket
import sys
import threading
import time

TIMEOUT = 10.0


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = self.ok = 0
        self.fail = {"connect": 0, "reset": 0, "timeout": 0, "status": 0, "other": 0}
        self.status = {}
        self.by_pid = {}
        self.by_source = {}
        self.examples = []

    def failed(self, kind, msg):
        with self.lock:
            self.requests += 1
            self.fail[kind] += 1
            if len(self.examples) < 20:
                self.examples.append({"t": time.time(), "kind": kind, "msg": msg})

    def answered(self, status, body, source):
        now = time.time()
        pid = inst = None
        try:
            d = json.loads(body)
            pid, inst = str(d.get("pid")), str(d.get("instance"))
        except ValueError:
            pass
        with self.lock:
            self.requests += 1
            if 200 <= status < 300:
                self.ok += 1
            else:
                self.fail["status"] += 1
                self.status[str(status)] = self.status.get(str(status), 0) + 1
                if len(self.examples) < 20:
                    self.examples.append({"t": now, "kind": "status", "msg": f"{status} {body[:80]!r}"})
            if pid is not None:
                e = self.by_pid.setdefault(pid, {"instance": inst, "count": 0, "first": now, "last": now})
                e["count"] += 1
                e["last"] = now
                if source:
                    s = self.by_source.setdefault(source, {})
                    s[inst] = s.get(inst, 0) + 1

    def summary(self):
        with self.lock:
            return {"requests": self.requests, "ok": self.ok, "failed": self.requests - self.ok, "fail": self.fail,
                    "status": self.status, "by_pid": self.by_pid, "by_source": self.by_source,
                    "examples": self.examples}


def read_response(sock, buf):
    """Reads one HTTP/1.1 response from sock (buf: bytes already read). Returns (status, body, rest, closed)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("closed before the headers" if buf else "closed without a response")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ValueError("bad status line " + lines[0][:40])
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("closed in the body")
            rest += chunk
        return status, rest[:n].decode("utf-8", "replace"), rest[n:], headers.get("connection") == "close"
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionResetError("closed in the body")
                rest += chunk
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionResetError("closed in the body")
                rest += chunk
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return status, body.decode("utf-8", "replace"), rest, headers.get("connection") == "close"
    while True:  # no length: until EOF
        chunk = sock.recv(65536)
        if not chunk:
            return status, rest.decode("utf-8", "replace"), b"", True
        rest += chunk


def worker(args, stats, stop, source, n_worker):
    req_close = (f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").encode()
    req_keep = (f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").encode()
    sock, buf = None, b""
    interval = args.concurrency / args.rate if args.rate else 0
    next_t = time.monotonic()
    while not stop.is_set():
        if interval:
            now = time.monotonic()
            if now < next_t:
                time.sleep(next_t - now)
            next_t = max(next_t + interval, time.monotonic() - 1)
        try:
            if sock is None:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.settimeout(TIMEOUT)
                if source:
                    sock.bind((source, 0))
                try:
                    sock.connect((args.host, args.port))
                except OSError as e:
                    if isinstance(e, socket.timeout):
                        stats.failed("timeout", "connect: timed out")
                    else:
                        stats.failed("connect", f"connect: {e}")
                    sock.close()
                    sock = None
                    time.sleep(0.01)
                    continue
                buf = b""
            sock.sendall(req_keep if args.keepalive else req_close)
            status, body, buf, closed = read_response(sock, buf)
            stats.answered(status, body, source)
            if closed or not args.keepalive:
                sock.close()
                sock = None
        except socket.timeout:
            stats.failed("timeout", "no answer in 10 s")
            sock.close()
            sock = None
        except (ConnectionResetError, BrokenPipeError) as e:
            stats.failed("reset", str(e) or type(e).__name__)
            sock.close()
            sock = None
        except OSError as e:
            kind = "reset" if e.errno in (errno.ECONNRESET, errno.EPIPE) else "other"
            stats.failed(kind, str(e))
            sock.close()
            sock = None
        except ValueError as e:
            stats.failed("other", str(e))
            sock.close()
            sock = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--sources", default="")
    ap.add_argument("--keepalive", action="store_true")
    ap.add_argument("--rate", type=float, default=0, help="requests per second in all (0: as fast as it goes)")
    ap.add_argument("--stop-file")
    ap.add_argument("--max-seconds", type=float, default=300)
    ap.add_argument("--summary")
    args = ap.parse_args()
    if not args.host.startswith("127."):
        sys.exit("loadgen: loopback only")

    stats, stop = Stats(), threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sources = [s for s in args.sources.split(",") if s] or [None]
    threads = []
    for i in range(args.concurrency):
        t = threading.Thread(target=worker, args=(args, stats, stop, sources[i % len(sources)], i), daemon=True)
        t.start()
        threads.append(t)
    deadline = time.monotonic() + args.max_seconds
    while not stop.is_set() and time.monotonic() < deadline:
        if args.stop_file and os.path.exists(args.stop_file):
            break
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(TIMEOUT + 2)
    out = json.dumps(stats.summary(), indent=1, sort_keys=True)
    if args.summary:
        with open(args.summary + ".tmp", "w") as f:
            f.write(out + "\n")
        os.rename(args.summary + ".tmp", args.summary)
    else:
        print(out)


if __name__ == "__main__":
    main()
