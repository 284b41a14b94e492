// As real files write it: a package script run through npm, numbers as strings,
// false where a string is expected.
module.exports = {
  apps: [{
    name: 'web',
    script: 'npm',
    args: 'start',
    cwd: __dirname,
    instances: "1",
    autorestart: true,
    log_date_format: false,
    env: { NODE_ENV: 'production' },
  }],
};
