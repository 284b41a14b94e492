module.exports = {
  apps: [{ name: 'api', script: 'server.js', exec_mode: 'clustr', port: 3000 }],
};
