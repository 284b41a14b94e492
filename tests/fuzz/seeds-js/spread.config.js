const common = {
  exec_mode: 'fork',
  max_restarts: 10,
  env: { TZ: 'UTC' },
};

const name = 'queue';

module.exports = {
  apps: [
    { ...common, name: 'api', script: 'api.js' },
    { ...common, name, script: 'queue.js', instances: -1 },
  ],
  deploy: {
    production: {
      user: 'node',
      host: ['212.83.163.1', '212.83.163.2'],
      ref: 'origin/master',
      repo: 'git@github.com:repo.git',
      path: '/var/www/production',
      'post-deploy': 'npm install && pm2 reload ecosystem.config.js --env production',
    },
  },
};
