module.exports = {
  apps: [{ name: 'api\nExecStartPre=/bin/sh -c id', script: 'server.js' }],
};
