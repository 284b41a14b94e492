module.exports = {
  apps: [{ name: 'api' }],
};
