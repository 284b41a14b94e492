module.exports = {
  apps: [{ name: appName, script: 'server.js' }],
};
