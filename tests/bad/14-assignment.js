let port = 3000;
port = 4000;
module.exports = { apps: [{ name: 'api', script: 'server.js', port }] };
