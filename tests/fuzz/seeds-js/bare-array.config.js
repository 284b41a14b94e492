[
  { name: 'a', script: 'a.js', env: { A: '1\t2\n', U: '\u00e9\u{1F600}' } },
  { name: 'b', script: 'b.js', args: 'x y', interpreter: 'none' },
]
