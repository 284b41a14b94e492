({
  apps: [{
    name: 'paren',
    script: 'server.js',
    instances: process.env.WEB_CONCURRENCY || require('os').cpus().length,
    cwd: process.cwd(),
    error_file: require('path').basename(__filename, '.js') + '.err',
  }],
})
