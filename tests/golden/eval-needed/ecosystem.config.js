// A file that needs real code: pmgen refuses it unless --eval lets node evaluate it.
function worker(name, queue) {
  return { name, script: 'worker.js', args: ['--queue', queue], instances: 1 };
}
module.exports = { apps: ['mail', 'thumbs'].map((q) => worker(`worker-${q}`, q)) };
