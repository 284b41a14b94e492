// SPDX-License-Identifier: MIT
// A small HTTP app of the kind PM2 runs in cluster mode. It knows nothing about systemd, pmgen or socket
// activation: it listens on process.env.PORT like any app would. Under pmgen every instance gets that port
// as an already-listening socket (NAME@N.socket, ReusePort=yes) and pmgen's Node preload makes this
// listen() use it; under PM2 the cluster master shares the port the same way.
//
//   PORT=8080 NODE_APP_INSTANCE=0 node server.js
//   curl http://127.0.0.1:8080/
'use strict';

const http = require('node:http');

const port = process.env.PORT || 8080;
const instance = process.env.NODE_APP_INSTANCE; // set by PM2 and by pmgen-shim: "0", "1", …

const server = http.createServer((req, res) => {
        const body = JSON.stringify({
                app: 'hello',
                pid: process.pid,
                instance: instance ?? null,
                greeting: process.env.GREETING ?? null,
                node_env: process.env.NODE_ENV ?? null,
        });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body + '\n');
        // One line per request on stdout: under pmgen it lands in the journal (journalctl -u 'hello@*').
        console.log(`${req.method} ${req.url} 200 (instance ${instance}, pid ${process.pid})`);
});

server.listen(port, () => {
        console.log(`hello listening on ${port}, instance ${instance}, pid ${process.pid}`);
});

// PM2 stops an app with SIGINT, systemd (and pmgen-shim) with SIGTERM: finish the requests in flight, then
// exit. kill_timeout (3000 ms in ecosystem.config.js) is how long the supervisor waits before SIGKILL.
function stop(signal) {
        console.log(`hello stopping on ${signal}, instance ${instance}, pid ${process.pid}`);
        server.close(() => process.exit(0));
        server.closeIdleConnections?.();
        setTimeout(() => process.exit(0), 2000).unref();
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
