// SPDX-License-Identifier: MIT
// The Node app of the reload tests (tests/integration/test-reload*.sh). It listens on process.env.PORT like
// any app (pmgen's preload hands it the instance's socket) and answers every request with JSON:
//   { "pid", "instance", "version", "remote" }
// Its behaviour comes from its environment (the ecosystem file's env, so a reload can change it):
//   APP_VERSION    echoed as "version"
//   MODE           "" (serve), "crash" (exit 1 at start), "never" (run but never listen),
//                  "wait_ready" (listen, then process.send('ready') after READY_DELAY ms),
//                  "notify" (listen at once, then `systemd-notify --ready` after READY_DELAY ms)
//   READY_DELAY    ms (default 1500)
//   IGNORE_SIGINT  1: SIGINT is logged and ignored (the shim's SIGKILL after kill_timeout ends it)
//   GRANDKIDS      1: start two `sleep 600` children at start: one in the app's process group, one in a
//                  session of its own (detached)
//   HEALTH         "fail": GET /healthz answers 503 (every other path is served as usual); else 200
// GET /hang answers "hanging PID", then blocks the event loop for good: the process lives on and answers nothing more.
// GET /grow allocates GROW_MB (default 200) MiB of anonymous memory in this process and keeps it.
// On SIGINT (the shim's stop signal): stop accepting, finish what is in flight, exit 0.
// Every event is one line on stdout (the journal): "app PID EVENT …".
'use strict';

const http = require('node:http');
const { execFileSync, spawn } = require('node:child_process');

const pid = process.pid;
const instance = process.env.NODE_APP_INSTANCE ?? null;
const version = process.env.APP_VERSION ?? null;
const mode = process.env.MODE || '';
const delay = Number(process.env.READY_DELAY || 1500);
const say = (s) => console.log(`app ${pid} ${s}`);
const hoard = [];

say(`start instance ${instance} version ${version} mode ${mode || 'serve'}`);
if (mode === 'crash') {
  say('crashing at start');
  process.exit(1);
}
if (process.env.GRANDKIDS === '1') {
  const a = spawn('sleep', ['600'], { stdio: 'ignore' });
  const b = spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
  say(`grandkids ${a.pid} ${b.pid}`);
}

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    const code = process.env.HEALTH === 'fail' ? 503 : 200;
    res.writeHead(code, { 'Content-Type': 'text/plain' });
    res.end(code === 200 ? 'ok\n' : 'unhealthy\n');
    return;
  }
  if (req.url === '/hang') {
    say('hanging');
    res.end(`hanging ${pid}\n`, () => {
      setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 50);
    });
    return;
  }
  if (req.url === '/grow') {
    const mb = Number(process.env.GROW_MB || 200);
    const b = Buffer.alloc(mb << 20, 1);
    hoard.push(b);
    say(`grew by ${mb} MB`);
  }
  const body = JSON.stringify({ pid, instance, version, remote: req.socket.remoteAddress });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});

if (mode !== 'never') {
  server.listen(process.env.PORT, () => {
    say('listening');
    if (mode === 'wait_ready') {
      setTimeout(() => {
        say('sending ready');
        process.send('ready');
      }, delay);
    } else if (mode === 'notify') {
      setTimeout(() => {
        say('sending READY=1');
        execFileSync('systemd-notify', ['--ready']);
      }, delay);
    }
  });
} else {
  say('never listening');
  setInterval(() => {}, 1 << 30);
}

process.on('SIGINT', () => {
  if (process.env.IGNORE_SIGINT === '1') {
    say('got SIGINT, ignoring it');
    return;
  }
  say('got SIGINT, stopping');
  server.close(() => {
    say('stopped');
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 5000).unref();
});
