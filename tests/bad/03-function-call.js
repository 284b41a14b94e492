function appName() { return 'api'; }
module.exports = { apps: [{ name: appName(), script: 'server.js' }] };
