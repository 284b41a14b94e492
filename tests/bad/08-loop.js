const apps = [];
for (let i = 0; i < 3; i++) apps.push({ name: 'w' + i, script: 'w.js' });
module.exports = { apps };
