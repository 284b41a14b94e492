[
  { name: 'one', script: 'one.js' },
  { name: 'two', script: 'two.js', instances: 1, autorestart: false },
]
