module.exports = {
  apps: [{ name: 'api', script: 'server.js', 'env_prod$': { A: '1' } }],
};
