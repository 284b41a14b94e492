// A cwd that does not exist on the compiling machine (it will on the server): generate and check warn,
// apply refuses.
module.exports = {
  apps: [{
    name: 'later',
    script: 'index.js',
    cwd: '/srv/not-deployed-yet/later',
  }],
};
