// Arithmetic real files do on the CPU count and the environment. Every value here
// comes out the same on any machine, so the expected units are stable.
const os = require('os');

const cpus = os.cpus().length;
const workers = Math.max(2, Math.min(cpus - 1, 2));

module.exports = {
  apps: [{
    name: `render-${cpus - cpus + 1}`,
    script: './render.js',
    exec_mode: 'cluster',
    instances: workers,
    port: 3000 + Math.min(cpus, 1) * 10,
    max_memory_restart: `${Math.floor(1536 / 3)}M`,
    kill_timeout: parseInt(process.env.KILL_SECONDS, 10) * 1000,
    restart_delay: Number(process.env.DELAY_MS) || 250,
    env: {
      THREADS: String(Math.round(cpus / cpus * 2.5)),
      HEAP_MB: +process.env.HEAP_MB / 2,
    },
  }],
};
