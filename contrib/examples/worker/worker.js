// SPDX-License-Identifier: MIT
// A queue worker in fork mode: no port, one process, stops cleanly on SIGINT
// (pmgen-shim sends PM2's stop signal) after finishing the job in hand.
let stopping = false;
let done = 0;
process.on('SIGINT', () => { stopping = true; console.log(`worker: stopping after ${done} jobs`); });
(function loop() {
  if (stopping) return process.exit(0);
  done++;
  if (done % 10 === 0) console.log(`worker ${process.env.QUEUE}: ${done} jobs`);
  setTimeout(loop, 100);
})();
