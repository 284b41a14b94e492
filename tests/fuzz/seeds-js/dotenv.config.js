require('dotenv').config({ path: ['.env', 'prod.env', 'missing.env'], override: process.env.NODE_ENV === 'x' })
const { PORT = 3000, MULTI } = process.env
module.exports = {
  apps: [{
    name: 'api',
    script: 'npm',
    args: 'start',
    env: { ...process.env, PORT: parseInt(PORT, 10) + 1, M: MULTI, S: process.env['SECRET'] },
  }],
}

//ENV
export SECRET='s3cr3t' # comment
PORT = 4000
MULTI="line1\nline2
line3"
