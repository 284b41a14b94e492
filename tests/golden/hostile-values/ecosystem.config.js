// Values that must never change the meaning of a unit line.
module.exports = {
  apps: [{
    name: 'hostile',
    script: 'app.js',
    cwd: 'dir with space and 100%',
    args: ['--pct=100%i', '$HOME', '${PATH}', 'say "hi"', 'back\\slash', 'new\nline', "it's"],
    env: {
      QUOTE: 'a "quoted" value',
      DOLLAR: '$HOME and ${PATH} and `id`',
      PERCENT: '%i %n %%',
      BACKSLASH: 'C:\\path\\',
      NEWLINE: 'first\nSECOND=injected',
      EMPTY: '',
      NUMBER: 42,
      FLAG: false,
      JSON: { nested: [1, 'two'] },
    },
    out_file: 'logs/out %i.log',
  }],
};
