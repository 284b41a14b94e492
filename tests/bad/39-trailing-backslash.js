module.exports = {
  apps: [{ name: 'api', script: 'server.js', out_file: '/var/log/api\\' }],
};
