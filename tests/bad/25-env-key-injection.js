module.exports = {
  apps: [{ name: 'api', script: 'server.js', env: { 'A\nExecStart': '/bin/sh' } }],
};
