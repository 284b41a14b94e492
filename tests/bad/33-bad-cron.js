module.exports = {
  apps: [{ name: 'api', script: 'server.js', cron_restart: '0 25 * * *' }],
};
