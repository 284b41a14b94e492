module.exports = {
  apps: [{ name: 'api', script: `${root}/server.js` }],
};
