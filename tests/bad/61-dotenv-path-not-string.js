require('dotenv').config({ path: 42 });
module.exports = { apps: [{ name: 'api', script: 'server.js', env: { DB: process.env.DB } }] };
