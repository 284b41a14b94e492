module.exports = {
  apps: [
    { name: 'api', script: 'server.js' },
    { name: 'api', script: 'worker.js' },
  ],
};
