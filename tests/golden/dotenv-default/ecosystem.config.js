// The common form: dotenv loads .env (next to this file) into process.env.
require('dotenv').config();

module.exports = {
  apps: [{
    name: process.env.APP_NAME,
    script: './server.js',
    port: process.env.PORT,
    env: {
      NODE_ENV: process.env.NODE_ENV || 'development',
      DATABASE_URL: process.env.DATABASE_URL,
      GREETING: process.env.GREETING,
      // set in the environment pmgen runs in too: the environment wins, as with dotenv
      LOG_LEVEL: process.env.LOG_LEVEL,
    },
  }],
};
