#!/usr/bin/env node
/* PM2 also reads this form */
module.exports.apps = [
  {
    name: "legacy",
    script: "./legacy.js",
    node_args: "--max-old-space-size=512",
    log_date_format: "YYYY-MM-DD HH:mm Z",
  }
]
exports.deploy = {}
