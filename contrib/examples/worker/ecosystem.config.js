// SPDX-License-Identifier: MIT
module.exports = {
  apps: [{
    name: 'worker',
    script: 'worker.js',
    cwd: __dirname,
    exec_mode: 'fork',
    env: { QUEUE: 'jobs' },
    cron_restart: '0 4 * * *',   // a daily fresh start, as a systemd timer
    max_memory_restart: '150M',
  }],
};
