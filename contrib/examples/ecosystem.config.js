// SPDX-License-Identifier: MIT
// PM2's ecosystem file for the example app. PM2 reads it with `pm2 start ecosystem.config.js --env production`;
// pmgen compiles the same file into systemd units:
//
//   pmgen generate ecosystem.config.js --env production -o /etc/systemd/system
//   systemctl daemon-reload && systemctl start hello.target
//
// pmgen reads this file without running it (a safe subset of JavaScript: literals, __dirname, process.env.X,
// ||, path.join …), so it stays a plain declaration.
module.exports = {
        apps: [
                {
                        name: 'hello',
                        script: 'server.js',
                        // Relative paths are relative to this file; `cwd` becomes WorkingDirectory=.
                        cwd: __dirname,
                        // Two workers sharing one port. PM2 balances from its cluster master; pmgen gives each
                        // instance its own listening socket on the same port (ReusePort=yes) and the kernel
                        // spreads the connections over them.
                        exec_mode: 'cluster',
                        instances: 2,
                        // The port is read when the file is compiled; HELLO_PORT lets the tests pick another.
                        port: process.env.HELLO_PORT || 8080,
                        // Always set; --env production adds env_production on top (PM2's order).
                        env: {
                                GREETING: 'hello from development',
                        },
                        env_production: {
                                NODE_ENV: 'production',
                                GREETING: 'hello from production',
                        },
                        // Restart an instance whose memory grows past 200 MB (PM2 checks the main process).
                        max_memory_restart: '200M',
                        // Milliseconds between the stop signal and SIGKILL.
                        kill_timeout: 3000,
                },
        ],
};
