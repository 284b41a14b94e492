import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as os from 'os';

const __dirname = path.dirname(fileURLToPath(import.meta.url));

export default {
  apps: [{ name: 'esm', script: path.join(__dirname, 'index.mjs'), instances: os.cpus().length }],
};
