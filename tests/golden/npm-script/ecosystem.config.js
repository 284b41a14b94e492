// As real files write it: a package script run through npm, numbers as strings,
// false where a string is expected. bin/ holds stand-ins for npm, pnpm and yarn (environ puts it
// first on PATH), so the case does not depend on what the machine has installed.
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
  }, {
    name: 'docs',
    script: 'pnpm',
    args: 'run serve',
    cwd: __dirname,
  }, {
    name: 'admin',
    script: 'yarn',
    args: ['start', '--prod'],
    cwd: __dirname,
  }],
};
