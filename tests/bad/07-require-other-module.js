const apps = require('./apps.json');
module.exports = { apps };
