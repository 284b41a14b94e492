module.exports = {
  apps: [{ name: 'api', script: 'server.js', cwd: '/srv/api\nExecStartPre=/bin/sh' }],
};
