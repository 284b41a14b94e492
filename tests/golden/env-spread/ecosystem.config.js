// `...process.env` would copy the whole compile-time environment into the unit;
// pmgen copies only the variables this file names (PORT, DATABASE_URL, REDIS_URL).
const { PORT = 3000 } = process.env;

module.exports = {
  apps: [{
    name: 'api',
    script: 'server.js',
    port: PORT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: process.env.DATABASE_URL,
      CACHE: process.env['REDIS_URL'] || 'none',
    },
  }],
};
