require('dotenv').config({ path: __dirname });
module.exports = { apps: [{ name: 'api', script: 'server.js' }] };
