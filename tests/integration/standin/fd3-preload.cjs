// SPDX-License-Identifier: MIT
// Stand-in for pmgen's node-preload.cjs (harness self-check; see README): the app's first listen() takes
// the socket systemd passed as fd 3 (LISTEN_FDS=1) instead of binding the port itself.
'use strict';
const net = require('node:net');

if (process.env.LISTEN_FDS === '1' && process.env.LISTEN_PID === String(process.pid)) {
        const listen = net.Server.prototype.listen;
        let taken = false;
        net.Server.prototype.listen = function (...args) {
                if (taken)
                        return listen.apply(this, args);
                taken = true;
                const cb = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
                return listen.call(this, { fd: 3 }, cb);
        };
        delete process.env.LISTEN_FDS;
        delete process.env.LISTEN_PID;
        delete process.env.LISTEN_FDNAMES;
}
