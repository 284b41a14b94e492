module.exports = {
  apps: [{ name: 'api', script: 'server.js', args: { port: 1 } }],
};
