// SPDX-License-Identifier: MIT
// A Socket.IO-style app: a long-polling client must come back to the instance that
// holds its session, so the app is declared with `sticky: 'ip'`. No dependencies:
// GET /session creates a session on this instance, GET /poll?id=… must land on the
// same instance or it answers 410 (what Socket.IO does with "Session ID unknown").
const http = require('http');
const sessions = new Map();
let next = 0;
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const me = { instance: process.env.NODE_APP_INSTANCE, pid: process.pid };
  if (url.pathname === '/session') {
    const id = `${process.pid}-${next++}`;
    sessions.set(id, Date.now());
    res.end(JSON.stringify({ id, ...me }));
  } else if (url.pathname === '/poll') {
    const ok = sessions.has(url.searchParams.get('id'));
    res.statusCode = ok ? 200 : 410;
    res.end(JSON.stringify({ ok, ...me }));
  } else {
    res.end(JSON.stringify(me));
  }
}).listen(process.env.PORT, () => console.log(`chat listening on ${process.env.PORT}`));
