'use strict';
const path = require('path');
const { join } = require('node:path');
const os = require('os');
const base = path.join(__dirname, 'app');

module.exports = {
  apps: [
    {
      name: 'worker',
      script: path.join(base, 'server.js'),
      cwd: path.resolve(__dirname, '../x'),
      out_file: join(__dirname, 'logs', 'out.log'),
      instances: os.cpus().length,
      max_memory_restart: '300M',
    },
    {
      name: 'cron',
      script: require('path').join(__dirname, 'cron.js'),
      cron_restart: '0 3 * * *',
      autorestart: false,
      instances: require('os').cpus().length,
    },
  ],
};
