module.exports = {
  apps: [{ name: 'api', script: 'server.js', user: 'node\nUser=root' }],
};
