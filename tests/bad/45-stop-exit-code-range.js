module.exports = {
  apps: [{ name: 'api', script: 'server.js', stop_exit_codes: [0, 300] }],
};
