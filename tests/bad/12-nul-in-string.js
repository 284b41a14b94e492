module.exports = {
  apps: [{ name: 'api\0', script: 'server.js' }],
};
