module.exports = {
  apps: [{ name: 'api', script: 'server.js', min_uptime: '10 sec' }],
};
