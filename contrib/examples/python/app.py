# SPDX-License-Identifier: MIT
# A Python app that binds its own port (no LISTEN_FDS support): in cluster mode
# without a declared port, pmgen-shim loads libpmgen-bind.so so that this bind()
# takes the instance's shared listening socket.
import http.server
import json
import os
import signal
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"app": "pyapp", "pid": os.getpid(),
                           "instance": os.environ.get("NODE_APP_INSTANCE")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


port = int(os.environ.get("APP_PORT", "8082"))
server = http.server.ThreadingHTTPServer(("", port), Handler)
# On the shim's stop signal (a reload or a stop): stop accepting, finish the requests in flight, exit 0.
# Connections not accepted yet stay queued on the shared socket for the next child.
server.daemon_threads = False


def stop(signum, frame):
    threading.Thread(target=server.shutdown).start()


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
server.serve_forever()
server.server_close()
