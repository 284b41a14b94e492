module.exports = {
  apps: [{ name: 'api', script: 'server.js', env: { 'MY-VAR': 1 } }],
};
