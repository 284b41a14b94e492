export default {
  apps: [{ name: 'esm', script: 'main.mjs', interpreter_args: ['--experimental-vm-modules'] }],
};
