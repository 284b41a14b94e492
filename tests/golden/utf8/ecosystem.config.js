// Comments and strings in any UTF-8 text: « déploiement » — 部署 — 🚀
/* a block comment with ümlauts and a 𝄞 (outside the BMP) */
module.exports = {
  apps: [{
    name: 'greeter',          // the name stays ASCII: it becomes a unit name
    script: 'server.js',
    cwd: __dirname,
    env: {
      GREETING: 'Grüß Gott — こんにちは 🌍',
      QUOTES: "l'été \"chaud\"",
      NBSP: 'a\u00a0b',
    },
  }],
};
