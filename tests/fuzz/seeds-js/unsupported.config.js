const fs = require('fs');
const apps = fs.readdirSync('./services').map((dir) => ({
  name: dir,
  script: `./services/${dir}/index.js`,
}));
module.exports = { apps: apps.filter(a => !/test/.test(a.name)), n: new Date().getTime() - 1 };
