module.exports = {
  apps: 'api',
};
