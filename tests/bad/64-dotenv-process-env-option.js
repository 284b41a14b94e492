const myEnv = {};
require('dotenv').config({ processEnv: myEnv });
module.exports = { apps: [{ name: 'api', script: 'server.js', env: myEnv }] };
