const os = require('os');
module.exports = { apps: [{ name: `api-${os.hostname()}`, script: 'server.js' }] };
