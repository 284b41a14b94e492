module.exports = {
  apps: [{
    name: 'api',
    script: './bin/www',
    cwd: __dirname,
    instances: 'max',
    exec_mode: 'cluster',
    env: { NODE_ENV: 'development' },
    env_production: { NODE_ENV: 'production' },
  }],
};
