// SPDX-License-Identifier: MIT
// pmgen's Node preload, loaded by pmgen-shim through NODE_OPTIONS=--require.
//
// When the shim passed this very process a socket (LISTEN_FDS >= 1, LISTEN_PID == our pid) and said which
// port it serves (PMGEN_PORT), the first net.Server listen() on that port, in any form Node accepts
// (listen(port[, host][, backlog][, cb]), listen({ port, host, backlog }[, cb]), port as a number or a
// numeric string), uses the inherited socket instead: listen({ fd: 3 }, PMGEN_BACKLOG, cb). Other ports,
// paths, handles and fds pass through untouched. Then LISTEN_* leave process.env, so the app's own child
// processes do not take the socket. Anything else: this file does nothing at all.
//
// fd 3 is handed out once: libuv refuses a second handle on one fd (EEXIST) and plain JavaScript cannot
// dup it, so a second listen on the same port goes to Node unchanged and fails with EADDRINUSE, as it
// would without the preload.
//
// Graceful stop for apps that do not handle it (PMGEN_DRAIN=SIG<name>,<ms>, set by the shim unless the
// app is stopped by a message). Node's default for SIGINT and SIGTERM is to die at once, taking the
// requests it has already accepted with it; under a reload the old child would drop them. So the
// preload listens for the stop signal and, when it arrives and nothing else in the process listens for
// it (the app's own handler always wins), it stops every listening net.Server (close(): the shared or
// inherited socket stays open in the shim and the new child, so what is queued there is served by
// them), answers what is in flight with `Connection: close`, closes idle keep-alive connections, and
// when the servers are closed, or after <ms>, removes its listener and raises the signal again: the
// process ends by that signal, as it would have without the preload, only later. PMGEN_DRAIN leaves
// process.env, so the app's own child processes are left alone.
'use strict';

const env = process.env;
const drainSpec = /^(SIG[A-Z0-9]+),([0-9]+)$/.exec(env.PMGEN_DRAIN || '');
delete env.PMGEN_DRAIN;
const port = Number(env.PMGEN_PORT);

if (Number(env.LISTEN_FDS) >= 1 && Number(env.LISTEN_PID) === process.pid &&
    Number.isInteger(port) && port > 0 && port < 65536) {
  const net = require('net');
  const listen = net.Server.prototype.listen;
  const backlog = Number(env.PMGEN_BACKLOG) > 0 ? Number(env.PMGEN_BACKLOG) : 511;
  let taken = false;

  // The TCP port a listen() call asks for, as Node itself reads its arguments; NaN for anything else.
  const requestedPort = (args) => {
    let p = args[0];
    if (p !== null && typeof p === 'object') {
      if (p._handle || p.handle || typeof p.fd === 'number') return NaN;
      p = p.port;
    }
    return typeof p === 'number' || (typeof p === 'string' && p.trim() !== '') ? Number(p) : NaN;
  };

  net.Server.prototype.listen = function pmgenListen(...args) {
    if (taken || requestedPort(args) !== port) return listen.apply(this, args);
    const cb = typeof args[args.length - 1] === 'function' ? [args[args.length - 1]] : [];
    const ret = listen.call(this, { fd: 3 }, backlog, ...cb);
    taken = true;
    return ret;
  };

  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
}

if (drainSpec) {
  const net = require('net');
  const sig = drainSpec[1];
  const budget = Number(drainSpec[2]);
  const servers = new Set();
  const tracked = new WeakSet();
  const listen = net.Server.prototype.listen;

  net.Server.prototype.listen = function pmgenTrack(...args) {
    if (!tracked.has(this)) {
      tracked.add(this);
      this.on('listening', () => servers.add(this));
      this.on('close', () => servers.delete(this));
    }
    return listen.apply(this, args);
  };

  let stopping = false;
  const stop = () => {
    if (stopping || process.listenerCount(sig) > 1) return; // the app handles its stop itself
    stopping = true;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      process.removeListener(sig, stop);
      process.kill(process.pid, sig);
    };
    const open = [...servers].filter((s) => s.listening);
    if (open.length === 0) return end();
    let left = open.length;
    const timers = [];
    const done = () => {
      if (--left === 0) {
        timers.forEach(clearInterval);
        end();
      }
    };
    for (const s of open) {
      s.close(done);
      if (typeof s.closeIdleConnections === 'function') { // http and https servers (Node >= 18.2)
        s.prependListener('request', (req, res) => { res.shouldKeepAlive = false; });
        s.closeIdleConnections();
        timers.push(setInterval(() => s.closeIdleConnections(), 50));
      }
    }
    setTimeout(end, budget).unref();
  };
  process.on(sig, stop);
}
