require('dotenv').config();

const port = process.env.PORT || 3000;
const mode = process.env.NODE_ENV ?? 'development';

module.exports = {
  apps: [{
    name: `web-${mode}`,
    script: 'index.js',
    args: ['--port', `${port}`, "--host", '0.0.0.0'],
    env: {
      PORT: port,
      NODE_ENV: mode,
      DEBUG: process.env['DEBUG'],
      FEATURE: process.env.FEATURE === 'on' ? 'yes' : 'no',
      LOG: `${__dirname}/logs/${'web'}.log`,
    },
    watch: !process.env.CI,
    kill_timeout: 1_600,
    listen_timeout: 0x1f40,
  }],
};
