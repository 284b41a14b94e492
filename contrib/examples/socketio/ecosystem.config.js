// SPDX-License-Identifier: MIT
module.exports = {
  apps: [{
    name: 'chat',
    script: 'server.js',
    cwd: __dirname,
    exec_mode: 'cluster',
    instances: 2,
    port: 8081,
    sticky: 'ip',            // pmgen's addition: a client address always reaches the same instance
    kill_timeout: 5000,
  }],
};
