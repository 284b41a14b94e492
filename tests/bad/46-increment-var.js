module.exports = {
  apps: [{ name: 'api', script: 'server.js', increment_var: 'PORT NUMBER' }],
};
