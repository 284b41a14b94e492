module.exports = {
  apps: [{ name: 'my api', script: 'server.js' }],
};
