module.exports = {
  apps: [{ name: 'api', script: 'server.js', interpreter: 'no-such-interpreter-xyz' }],
};
