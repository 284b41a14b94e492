module.exports = {
  apps: [{ name: 'api', script: 'server.js', port: 70000 }],
};
