module.exports = {
  apps: [{ name: 'api', script: 'server.js', max_memory_restart: '200MB' }],
};
