require('dotenv').config({ path: ['.env', null] });
module.exports = { apps: [{ name: 'api', script: 'server.js' }] };
