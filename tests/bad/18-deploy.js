module.exports = {
  apps: [{ name: 'api', script: 'server.js',
    deploy: {
      production: { user: 'node', host: 'example.com', ref: 'origin/main' },
    },
  }],
};
