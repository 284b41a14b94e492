// SPDX-License-Identifier: MIT
module.exports = {
  apps: [{
    name: 'pyapp',
    script: 'app.py',             // run with python3, found on PATH when compiled
    cwd: __dirname,
    exec_mode: 'cluster',         // no port declared: the app binds APP_PORT itself
    instances: 2,
    env: { APP_PORT: 8082, PYTHONUNBUFFERED: 1 },
  }],
};
