// A typical PM2 file: path helpers, __dirname, env profiles, comments.
const path = require('path');

const ROOT = __dirname;

module.exports = {
  apps: [
    {
      name: 'web',
      script: path.join(ROOT, 'server.js'),
      cwd: ROOT,
      exec_mode: 'cluster',
      instances: 2,
      port: 8080,
      max_memory_restart: '300M',
      kill_timeout: 5000,
      env: {
        NODE_ENV: 'development',
        GREETING: 'hello',
      },
      env_production: {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://app@db/app', /* secrets stay in the 0600 env file */
      },
    },
  ],
};
