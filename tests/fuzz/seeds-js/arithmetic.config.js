const os = require('node:os')
const workers = Math.max(1, os.cpus().length - 1)
module.exports = [{
  name: `w-${workers * 2 % 7}`,
  script: './worker.js',
  instances: Math.min(workers, parseInt(process.env.MAX || '8', 10)),
  max_memory_restart: `${Math.round(1024 / 3)}M`,
  port: +process.env.PORT || 3000 + Number('10') - -5,
  t: [parseFloat('1.5e3x'), Math.floor(-2.5), Math.ceil('2.1'), String(0.1 * 3), 7 / 2, -7 % 3, os.homedir(), os.availableParallelism()],
  log_date_format: false,
}]
