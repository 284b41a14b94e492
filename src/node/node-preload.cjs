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
'use strict';

const env = process.env;
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
