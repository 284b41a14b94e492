// SPDX-License-Identifier: MIT
// The bare baseline's preload (node --require): with a listener passed as fd 3 by reuseport-exec.py, the
// app's first listen() on BENCH_LISTEN_PORT becomes listen({ fd: 3 }). Nothing else changes; without
// LISTEN_FDS for this very pid it does nothing.
'use strict';
const env = process.env;
const port = Number(env.BENCH_LISTEN_PORT);
if (Number(env.LISTEN_FDS) >= 1 && Number(env.LISTEN_PID) === process.pid && port > 0) {
  const net = require('net');
  const listen = net.Server.prototype.listen;
  let taken = false;
  net.Server.prototype.listen = function benchListen(...args) {
    const p = args[0] !== null && typeof args[0] === 'object' ? args[0].port : args[0];
    if (taken || Number(p) !== port) return listen.apply(this, args);
    taken = true;
    const cb = typeof args[args.length - 1] === 'function' ? [args[args.length - 1]] : [];
    return listen.call(this, { fd: 3 }, Number(env.BENCH_LISTEN_BACKLOG) || 511, ...cb);
  };
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
}
