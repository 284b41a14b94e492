// SPDX-License-Identifier: MIT
// The three apps the apply, verbs and generator tests run (server.js is contrib/examples/server.js, copied
// beside this file into the box). Ports 18220-18222; the tests edit this file with sed to change it.
module.exports = {
        apps: [
                {
                        name: 'web',
                        script: 'server.js',
                        cwd: __dirname,
                        exec_mode: 'cluster',
                        instances: 2,
                        port: 18220,
                        kill_timeout: 3000,
                        env: { GREETING: 'web v1' },
                        env_production: { NODE_ENV: 'production', API_KEY: 'secret-web-key' },
                },
                {
                        name: 'api',
                        script: 'server.js',
                        cwd: __dirname,
                        exec_mode: 'cluster',
                        instances: 2,
                        port: 18221,
                        env: { GREETING: 'api v1' },
                        env_production: { NODE_ENV: 'production' },
                },
                {
                        name: 'worker',
                        script: 'server.js',
                        cwd: __dirname,
                        port: 18222,
                        env: { GREETING: 'worker v1' },
                        env_production: { NODE_ENV: 'production' },
                },
        ],
};
