module.exports = {
  apps: [{ name: 'api', script: 'server.js', env: { STARTED: new Date() } }],
};
