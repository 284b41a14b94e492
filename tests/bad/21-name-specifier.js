module.exports = {
  apps: [{ name: 'api%i', script: 'server.js' }],
};
