import 'dotenv/config'
import { homedir } from 'node:os'
export default {
  apps: [{ name: process.env.NAME ?? 'esm', script: `${homedir()}/app.js`, instances: '1', env: { ...process.env } }],
}
//ENV
NAME=from-env-file
EMPTY=
