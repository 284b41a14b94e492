const port = process.env.APP_PORT || 5000;
const mode = process.env.MODE ?? 'fork';
module.exports = {
  apps: [{
    name: `env-${process.env.TENANT}`,
    script: 'srv.js',
    exec_mode: mode,
    port,
    env: { DB_HOST: process.env.DB_HOST || 'localhost', UNSET: process.env.NOT_SET_ANYWHERE },
  }],
};
