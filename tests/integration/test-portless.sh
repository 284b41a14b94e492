#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# Cluster mode for apps that declare no port (issue 7), in a real systemd: the app binds its port itself,
# pmgen-shim --bind-preload (libpmgen-bind.so) hands every instance the shim's shared socket for it. For
# an unmodified Express-style Node app (`app.listen(process.env.PORT || 18601)`, no signal handler: the
# Node preload drains it on the stop signal) and the Python example
# (contrib/examples/python/app.py, binding APP_PORT), both 2 instances, no port declared:
#   - no socket unit, the service has --bind-preload and FileDescriptorStoreMax=;
#   - both instances answer on the one port;
#   - 20 reloads under a new-connection load lose no request, and the socket stays the same;
#   - `systemctl restart NAME@0` under load loses none (the fd store kept the socket);
#   - `pmgen describe` shows the port.
# Ports 18601, 18602. Runs as root in its own sandbox; run it through tests/integration/run.sh.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=reload-lib.sh
. "$here/reload-lib.sh"

DIAG_UNITS="pl@* py@*"
rl_require_free_ports 18601 18602
sandbox_trap
sandbox_boot portless
t_init portless
D=/srv/portless

heading "install"
rl_install
# shellcheck disable=SC2016
sandbox_exec sh -ec 'mkdir -p "$2"; cp "$1/contrib/examples/python/app.py" "$2/app.py"
cat >"$2/server.js" <<EOF
// Express-style and unmodified: the port is picked in code, nothing is declared, no signal handler
// (Node dies at once on SIGINT by default); every answer takes 20 ms, so a reload always finds requests
// in flight.
const http = require("http");
const app = { listen: (port) => http.createServer((req, res) => setTimeout(() => {
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify({ pid: process.pid, instance: process.env.NODE_APP_INSTANCE }));
}, 20)).listen(port) };
app.listen(process.env.PORT || 18601);
EOF
cat >"$2/pl.config.js" <<EOF
module.exports = { apps: [{ name: "pl", script: "server.js", cwd: "$2", exec_mode: "cluster", instances: 2 }] };
EOF
cat >"$2/py.config.js" <<EOF
module.exports = { apps: [{ name: "py", script: "app.py", cwd: "$2", exec_mode: "cluster", instances: 2,
                            env: { APP_PORT: 18602, PYTHONUNBUFFERED: 1 } }] };
EOF
chmod -R u=rwX,go=rX "$2"' sh "$SANDBOX_REPO" "$D" || fatal "install apps" "cannot write the apps"
for name in pl py; do
        sandbox_exec pmgen generate "$D/$name.config.js" -o /etc/systemd/system >"$T_WORK/generate-$name.log" 2>&1 ||
                fatal "generate $name" "$(cat "$T_WORK/generate-$name.log")"
done
sandbox_exec systemctl daemon-reload || fatal "daemon-reload" "failed"

portless() { # NAME PORT
        local name=$1 port=$2 L=$T_WORK/load-$1 ino0 ino1 main0 main0b desc
        heading "$name: cluster mode without a declared port (port $port in the app's code)"
        if sandbox_exec test -e "/etc/systemd/system/$name@.socket"; then
                fail "$name: no socket unit" "$name@.socket was written"
        elif ! sandbox_exec grep -q -- "--bind-preload=/usr/local/libexec/pmgen/libpmgen-bind.so" "/etc/systemd/system/$name@.service" ||
                ! sandbox_exec grep -qx "FileDescriptorStoreMax=16" "/etc/systemd/system/$name@.service"; then
                fail "$name: unit" "$(sandbox_exec grep -E 'ExecStart|FileDescriptor' "/etc/systemd/system/$name@.service")"
        else
                pass "$name: unit" "no socket unit; --bind-preload, FileDescriptorStoreMax=16"
        fi
        rl_start "$name" 2
        wait_until 10 sh -c "ss -Hltn 'sport = :$port' | grep -q ." || fatal "$name: listening" "nothing listens on $port"
        ino0=$(ss -Hltne "sport = :$port" 2>/dev/null | grep -o 'ino:[0-9]*' | sort -u | tr '\n' ' ')
        rl_check_spread "$name" "$port" "$L-both"
        rl_reload_rounds "$name" "$port" 10 "$L"
        ino1=$(ss -Hltne "sport = :$port" 2>/dev/null | grep -o 'ino:[0-9]*' | sort -u | tr '\n' ' ')
        if [ "$ino0" = "$ino1" ]; then
                pass "$name: the same sockets after the reloads" "$ino1"
        else
                fail "$name: the same sockets after the reloads" "$ino0 became $ino1"
        fi

        main0=$(unit_prop "$name@0.service" MainPID)
        rl_load_start "$L-restart" "$port" --concurrency 4
        sleep 1
        sandbox_exec timeout 60 systemctl restart "$name@0.service" || fail "$name: restart" "systemctl restart failed"
        wait_until 10 sh -c "[ \"\$(ss -Hltne 'sport = :$port' 2>/dev/null | grep -o 'ino:[0-9]*' | sort -u | wc -l)\" = 2 ]" || :
        sleep 1.5
        rl_load_stop "$L-restart"
        main0b=$(unit_prop "$name@0.service" MainPID)
        ino1=$(ss -Hltne "sport = :$port" 2>/dev/null | grep -o 'ino:[0-9]*' | sort -u | tr '\n' ' ')
        rl_journal "$name"
        if [ "$main0b" != "$main0" ] && [ -n "$(rl_msg "$name" '^pmgen-shim: took back from systemd.s fd store: tcp ')" ]; then
                pass "$name: restart takes the socket back from the fd store" "shim $main0 → $main0b; sockets $ino1"
        else
                fail "$name: restart takes the socket back from the fd store" "shim $main0 → $main0b; sockets $ino0 → $ino1"
        fi
        if [ "$ino0" = "$ino1" ]; then
                pass "$name: the same sockets after the restart" "$ino1"
        else
                fail "$name: the same sockets after the restart" "$ino0 became $ino1"
        fi
        if [ "$(rl_sum "$L-restart" 's["failed"]')" = 0 ] && [ "$(rl_sum "$L-restart" 's["ok"]')" -gt 0 ]; then
                pass "$name: no failed request during systemctl restart $name@0" "$(rl_load_line "$L-restart")"
        else
                fail "$name: no failed request during systemctl restart $name@0" "$(rl_load_line "$L-restart"); $(rl_sum "$L-restart" 's["examples"][:5]')"
        fi

        desc=$(sandbox_exec pmgen describe "$name" 2>&1 || :)
        if grep -q "bound by the app: tcp .*:$port" <<<"$desc"; then
                pass "$name: pmgen describe shows the port" "$(grep -m1 'bound by the app' <<<"$desc" | sed 's/^ *//')"
        else
                fail "$name: pmgen describe shows the port" "$desc"
        fi
        sandbox_exec timeout 60 systemctl stop "$name.target" || fail "$name: stop" "systemctl stop failed"
}

portless pl 18601
portless py 18602

t_finish
