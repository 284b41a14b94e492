const path = require('path');
const common = {
  autorestart: true,
  max_restarts: 10,
  min_uptime: '5s',
  restart_delay: 250,
};

module.exports = {
  apps: [
    {
      ...common,
      name: 'api',
      script: './bin/www',            // extension-less: PM2 runs it with node
      node_args: '--max-old-space-size=512',
      args: '--mode=fast --title="API server"',
      instances: 3,                   // exec_mode defaults to cluster for node
      env: { PORT: 3000 },
      increment_var: 'METRICS_PORT',
      instance_var: 'INSTANCE_ID',
      source_map_support: true,
      namespace: 'backend',
      out_file: 'logs/api.out.log',
      error_file: 'logs/api.err.log',
      stop_exit_codes: [0, 3],
      exp_backoff_restart_delay: 100,
      vizion: false,
      user: 'www-data',
      group: 'www-data',
    },
    {
      ...common,
      name: 'worker',
      script: 'worker.py',
      args: ['--queue', 'jobs high'],
      cron_restart: '0 3 * * *',
      log_file: '/var/log/worker.log',
      merge_logs: true,
      autostart: false,
      kill_timeout: 10000,
    },
    {
      name: 'watcher',
      script: path.resolve(__dirname, 'tools', 'sync.sh'),
      watch: ['config', 'templates'],
      ignore_watch: ['node_modules'],
      disable_logs: true,
      wait_ready: true,
      listen_timeout: 8000,
      shutdown_with_message: true,
    },
  ],
};
