module.exports = {
  apps: [{ name: 'api', script: 'server.js', ignore_watch: /node_modules/ }],
};
