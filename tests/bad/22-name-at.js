module.exports = {
  apps: [{ name: 'api@2', script: 'server.js' }],
};
