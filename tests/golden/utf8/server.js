require("http").createServer((q, s) => s.end(process.env.GREETING)).listen(process.env.PORT || 3000);
