// health (pmgen's addition): every member checked, each error at its value
module.exports = {
  apps: [
    { name: 'a', script: 'server.js', health: { tcp: false, retries: 0, interval: '5 sec', timout: 100 } },
    { name: 'b', script: 'server.js', health: '/healthz' },
    { name: 'c', script: 'server.js', health: { url: '/healthz', cmd: 'true' } },
  ],
};
