#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# The hardening profiles (issue 5), in a real systemd, with an unmodified Node app (no signal handler):
#   - `systemd-analyze security` of an instance: the exposure under `default` (must be <= 2.0), `strict` and
#     `off`, and of the unit `pm2 startup` writes, printed side by side;
#   - under `default`, as a system user: both instances serve; the app's log file (out_file) and the journal get their lines;
#     it may write to its read_write_paths and /tmp, not to its own directory (read-only file system);
#     20 reloads under a new-connection load lose no request; a process that grows past
#     max_memory_restart is replaced;
#   - under `strict`: the app serves too.
# Ports 18960-18962. Runs as root in its own sandbox; run it through tests/integration/run.sh.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=reload-lib.sh
. "$here/reload-lib.sh"

DIAG_UNITS="hd@* hs@* ho@*"
rl_require_free_ports 18960 18961 18962
sandbox_trap
sandbox_boot hardening
t_init hardening
D=/srv/hard

heading "install"
rl_install
# shellcheck disable=SC2016
sandbox_exec sh -ec 'useradd --system --no-create-home hardapp; mkdir -p "$1/data" /var/log/hd; chown hardapp "$1/data"
cat >"$1/server.js" <<EOF
// Unmodified: no signal handler, the port from the environment.
const http = require("http"), fs = require("fs"), os = require("os");
const hoard = [];
http.createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  const out = { pid: process.pid, instance: process.env.NODE_APP_INSTANCE };
  if (u.pathname === "/write") {
    try { fs.writeFileSync(u.searchParams.get("dir") + "/probe-" + process.pid, "x"); out.write = "ok"; }
    catch (e) { out.write = e.code; }
  } else if (u.pathname === "/grow") {
    const b = Buffer.alloc(200 * 1024 * 1024, 1); hoard.push(b); out.grown = b.length;
  } else if (u.pathname === "/os") {
    out.cpus = os.cpus().length;
    try { out.ifaces = Object.keys(os.networkInterfaces()).length; } catch (e) { out.ifaces = e.code; }
  }
  console.log("app " + process.pid + " " + req.url);
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify(out));
}).listen(process.env.PORT);
EOF
cat >"$1/apps.config.js" <<EOF
const app = { script: "server.js", cwd: "$1", exec_mode: "cluster", instances: 2 };
module.exports = { apps: [
  { ...app, name: "hd", port: 18960, user: "hardapp", max_memory_restart: "150M", out_file: "/var/log/hd/out.log",
    read_write_paths: ["data"] },
  { ...app, name: "hs", port: 18961, hardening: "strict" },
  { ...app, name: "ho", port: 18962, hardening: "off" },
] };
EOF
chmod -R u=rwX,go=rX "$1"' sh "$D" || fatal "install app" "cannot write the app"
# What `pm2 startup systemd` writes (PM2 5.x, lib/templates/init-scripts/systemd.tpl, for root).
sandbox_exec sh -c 'cat >/etc/systemd/system/pm2-root.service' <<'EOF'
[Unit]
Description=PM2 process manager
Documentation=https://pm2.keymetrics.io/
After=network.target

[Service]
Type=forking
User=root
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
Environment=PATH=/usr/local/bin:/usr/bin:/bin
Environment=PM2_HOME=/root/.pm2
PIDFile=/root/.pm2/pm2.pid
Restart=on-failure
ExecStart=/usr/local/lib/node_modules/pm2/bin/pm2 resurrect
ExecReload=/usr/local/lib/node_modules/pm2/bin/pm2 reload all
ExecStop=/usr/local/lib/node_modules/pm2/bin/pm2 kill

[Install]
WantedBy=multi-user.target
EOF
sandbox_exec pmgen generate "$D/apps.config.js" -o /etc/systemd/system >"$T_WORK/generate.log" 2>&1 ||
        fatal "generate" "$(cat "$T_WORK/generate.log")"
sandbox_exec systemctl daemon-reload || fatal "daemon-reload" "failed"
if sandbox_exec grep -qx "ProtectSystem=strict" /etc/systemd/system/hd@.service &&
        sandbox_exec grep -qx "ReadWritePaths=$D/data" /etc/systemd/system/hd@.service &&
        sandbox_exec grep -qx "CapabilityBoundingSet=" /etc/systemd/system/hd@.service; then
        pass "default profile in hd@.service" "$(sandbox_exec grep -cE '^(Protect|Private|Restrict|SystemCall|Capability|ReadWrite|UMask|NoNew|Lock|Keyring|RemoveIPC|DevicePolicy)' /etc/systemd/system/hd@.service) sandboxing lines"
else
        fail "default profile in hd@.service" "$(sandbox_exec sed -n '/^SyslogIdentifier/,/^\[X-PMGEN/p' /etc/systemd/system/hd@.service)"
fi

for name in hd hs ho; do rl_start "$name" 2; done

heading "systemd-analyze security"
exposure() { # UNIT: the overall exposure level systemd-analyze prints
        sandbox_exec systemd-analyze security --no-pager "$1" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'
}
e_default=$(exposure hd@0.service)
e_strict=$(exposure hs@0.service)
e_off=$(exposure ho@0.service)
e_pm2=$(exposure pm2-root.service)
info "exposure (0 best, 10 worst): default $e_default, strict $e_strict, off $e_off; pm2 startup's unit $e_pm2"
if [ -n "$e_default" ] && awk -v e="$e_default" 'BEGIN { exit !(e <= 2.0) }'; then
        pass "exposure of hd@0.service (default) <= 2.0" "$e_default (strict $e_strict, off $e_off, pm2 startup $e_pm2)"
else
        fail "exposure of hd@0.service (default) <= 2.0" "'$e_default'"
fi
if [ -n "$e_strict" ] && [ -n "$e_off" ] && awk -v s="$e_strict" -v d="$e_default" -v o="$e_off" 'BEGIN { exit !(s <= d && d < o) }'; then
        pass "strict <= default < off" "$e_strict <= $e_default < $e_off"
else
        fail "strict <= default < off" "strict '$e_strict', default '$e_default', off '$e_off'"
fi

heading "the app under the default profile"
L=$T_WORK/load
rl_check_spread hd 18960 "$L-both"
w_data=$(curl -sS -m 10 "http://127.0.0.1:18960/write?dir=$D/data")
w_cwd=$(curl -sS -m 10 "http://127.0.0.1:18960/write?dir=$D")
w_tmp=$(curl -sS -m 10 "http://127.0.0.1:18960/write?dir=/tmp")
if grep -q '"write":"ok"' <<<"$w_data" && grep -q '"write":"EROFS"' <<<"$w_cwd" && grep -q '"write":"ok"' <<<"$w_tmp"; then
        pass "writes: read_write_paths yes, /tmp yes, its own directory no" "data: ok, $D: EROFS, /tmp: ok"
else
        fail "writes: read_write_paths yes, /tmp yes, its own directory no" "data: $w_data; cwd: $w_cwd; tmp: $w_tmp"
fi
os_default=$(curl -sS -m 10 "http://127.0.0.1:18960/os")
info "os.cpus() and os.networkInterfaces() under default: $os_default"
if sandbox_exec sh -c 'grep -q "^app [0-9]* /write" /var/log/hd/out-0.log /var/log/hd/out-1.log' &&
        sandbox_exec journalctl --no-pager -u 'hd@*' | grep -q 'pmgen-shim'; then
        pass "logs" "out_file /var/log/hd/out-N.log has the app's lines ($(sandbox_exec cat /var/log/hd/out-0.log /var/log/hd/out-1.log | wc -l) lines), the journal the shim's"
else
        fail "logs" "$(sandbox_exec sh -c 'ls -l /var/log/hd; tail -n 3 /var/log/hd/*' 2>&1)"
fi

rl_reload_rounds hd 18960 10 "$L"

grown=$(curl -sS -m 20 "http://127.0.0.1:18960/grow")
gpid=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["pid"])' "$grown" 2>/dev/null || :)
replaced() { rl_journal hd; [ -n "$(rl_msg hd "^pmgen-shim: reload done: child $gpid replaced by child ")" ]; }
if [ -n "$gpid" ] && wait_until 30 replaced; then
        pass "max_memory_restart replaces the grown process" "$(rl_msg hd "^pmgen-shim: memory: [0-9]+ MB anonymous in child $gpid ")"
else
        fail "max_memory_restart replaces the grown process" "grow answered '$grown'; $(sandbox_exec journalctl --no-pager -u 'hd@*' | grep pmgen-shim | tail -n 8)"
fi

heading "the app under the strict profile"
rl_load_start "$L-strict" 18961 --concurrency 4
sleep 2
rl_load_stop "$L-strict"
os_strict=$(curl -sS -m 10 "http://127.0.0.1:18961/os")
if [ "$(rl_sum "$L-strict" 's["failed"]')" = 0 ] && [ "$(rl_sum "$L-strict" 's["ok"]')" -gt 0 ]; then
        pass "strict: serves" "$(rl_load_line "$L-strict"); os: $os_strict"
else
        fail "strict: serves" "$(rl_load_line "$L-strict")"
fi
for name in hd hs ho; do
        sandbox_exec timeout 60 systemctl stop "$name.target" || fail "stop $name" "systemctl stop failed"
done

t_finish
