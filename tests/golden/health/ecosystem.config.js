// Health checks (pmgen's addition): the shim's --health-* options and WatchdogSec= from
// interval x retries + timeout + 2 s. url and tcp on the instance's own socket (cluster mode), an
// address, and a command with characters systemd would otherwise expand ($, %) or split (quotes).
module.exports = {
  apps: [
    {
      name: 'web',
      script: 'server.js',
      exec_mode: 'cluster',
      instances: 2,
      port: 8080,
      health: { url: '/healthz?deep=1', interval: '2s', timeout: 500, retries: 4, start_period: '10s' },
    },
    {
      name: 'api',
      script: 'server.js',
      health: { url: 'http://[::1]:9000/ping', retries: 1 },
    },
    {
      name: 'tcp-self',
      script: 'server.js',
      exec_mode: 'cluster',
      port: 8081,
      health: { tcp: true, interval: '1m' },
    },
    {
      name: 'tcp-port',
      script: 'server.js',
      health: { tcp: 6379 },
    },
    {
      name: 'worker',
      script: 'server.js',
      health: { cmd: 'test "$(cat /run/worker/ok)" = 100% && kill -0 $1', timeout: '5s' },
    },
  ],
};
