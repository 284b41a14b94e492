module.exports = { apps: [{ name: 'api', script: 'server.js', port: 3000 + Math.floor(Math.random() * 100) }] };
