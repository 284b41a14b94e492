// dotenv with explicit paths: absolute through path.join, relative (to this file's
// directory), and a list where the first file that sets a variable wins.
const path = require('path');
const dotenv = require('dotenv');

dotenv.config({ path: path.join(__dirname, 'config', 'production.env') });
dotenv.config({ path: ['.env.local', 'config/defaults.env'] });

module.exports = {
  apps: [{
    name: 'worker',
    script: 'worker.js',
    exec_mode: 'fork',
    instances: process.env.WORKERS,
    env: {
      QUEUE: process.env.QUEUE,
      REGION: process.env.REGION,
      CERT: process.env.CERT,
      RETRIES: process.env.RETRIES,
    },
  }],
};
