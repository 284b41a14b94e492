module.exports = {
  apps: [{
    name: 'api',
    script: 'server.js',
    max_memory_restat: '300M',
  }],
};
