#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The "bare" baseline of the benchmarks: run a command with its own SO_REUSEPORT listener on PORT as fd 3,
the way systemd hands an instance its socket (LISTEN_FDS=1, LISTEN_PID=this pid), then exec the command in
place, so no process stays behind: what is left is the app alone, with no supervisor. Node 20 has no
reusePort option for listen() (it came in Node 22.12/23.1 and is ignored before), so the listener is made
here and reuseport-preload.cjs makes the app's plain listen(PORT) take fd 3.

  reuseport-exec.py PORT BACKLOG CMD [ARG…]
"""
import os
import socket
import sys

if len(sys.argv) < 4:
    print(__doc__, file=sys.stderr)
    sys.exit(2)
port, backlog, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]

# Like systemd's ListenStream=PORT: [::]:PORT, dual-stack.
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("::", port))
s.listen(backlog)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)  # dup2 makes fd 3 inheritable
    s.close()
else:
    os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())  # exec keeps the pid
os.environ["BENCH_LISTEN_PORT"] = str(port)
os.environ["BENCH_LISTEN_BACKLOG"] = str(backlog)
os.execvp(cmd[0], cmd)
