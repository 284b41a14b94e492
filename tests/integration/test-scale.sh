#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# Graceful scale-down (issue 11), in a real systemd, under a new-connection-per-request load:
# `pmgen scale sc 2` on 4 instances removes sc@2 and sc@3; each first has its shim shut its listening
# socket down (the "retire" request), so that the kernel moves what is queued there to the other
# instances' sockets (net.ipv4.tcp_migrate_req=1, which pmgen scale turns on, as contrib/sysctl.d and the
# packages do) and sends it nothing new, then drains (the app finishes what is in flight): no request
# fails. Twice. (Without the retire request, 17 to 25 of ~10000 requests were reset: systemd flushes the
# connections queued on a socket whose stop is pending.)
# The box shares the host's network namespace, so the sysctl is the host's: its value is put back at the
# end. Port 18990. Runs as root in its own sandbox; run it through tests/integration/run.sh.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=reload-lib.sh
. "$here/reload-lib.sh"

MIGRATE=/proc/sys/net/ipv4/tcp_migrate_req
[ -w "$MIGRATE" ] || { echo "this kernel has no $MIGRATE (Linux 5.14 or later)" >&2; exit 1; }
migrate_was=$(cat "$MIGRATE")
scale_cleanup() {
        rl_loads_kill
        echo "$migrate_was" >"$MIGRATE" 2>/dev/null || :
}
# shellcheck disable=SC2034 # read by tests/sandbox/lib.sh's traps
SANDBOX_ON_EXIT=scale_cleanup

DIAG_UNITS="sc@*"
rl_require_free_ports 18990
sandbox_trap
sandbox_boot scale
t_init scale

heading "install"
rl_install
# shellcheck disable=SC2016
sandbox_exec sh -ec 'cat >"$1/sc.config.js" <<EOF
module.exports = { apps: [{ name: "sc", script: "app.js", cwd: "$1", exec_mode: "cluster", instances: 4, port: 18990 }] };
EOF' sh "$RL_DIR" || fatal "declaration" "cannot write it"
sandbox_exec timeout 120 pmgen apply "$RL_DIR/sc.config.js" >"$T_WORK/apply.log" 2>&1 || fatal "apply" "$(cat "$T_WORK/apply.log")"

# scale_round LABEL: 4 → 2 under load, from tcp_migrate_req=0; leaves the load summary in $T_WORK/LABEL.json
scale_round() {
        echo 0 >"$MIGRATE"
        sandbox_exec timeout 120 pmgen scale sc 4 >"$T_WORK/up-$1.log" 2>&1 || fatal "scale up" "$(cat "$T_WORK/up-$1.log")"
        rl_load_start "$T_WORK/$1" 18990 --concurrency 8
        sleep 2
        sandbox_exec timeout 120 pmgen scale sc 2 >"$T_WORK/down-$1.log" 2>&1 || fail "scale down ($1)" "$(cat "$T_WORK/down-$1.log")"
        sleep 1
        rl_load_stop "$T_WORK/$1"
}

heading "scale 4 → 2 under load"
for round in 1 2; do
        scale_round "migrate-$round"
        st="$(unit_prop sc@2.service ActiveState) $(unit_prop sc@3.service ActiveState) $(unit_prop sc@3.socket ActiveState)"
        left=$(ss -Hltn 'sport = :18990' | wc -l)
        if [ "$(rl_sum "$T_WORK/migrate-$round" 's["failed"]')" = 0 ] && [ "$st" = "inactive inactive inactive" ] && [ "$left" = 2 ]; then
                pass "round $round: no failed request, sc@2 and sc@3 gone" "$(rl_load_line "$T_WORK/migrate-$round"); $left listeners left; $(grep -c 'socket shut down' "$T_WORK/down-migrate-$round.log") retired"
        else
                fail "round $round: no failed request, sc@2 and sc@3 gone" "$(rl_load_line "$T_WORK/migrate-$round"); $(rl_sum "$T_WORK/migrate-$round" 's["examples"][:5]'); sc@2, sc@3, sc@3.socket: $st; $left listeners"
        fi
done

if [ "$(cat "$MIGRATE")" = 1 ]; then
        pass "pmgen scale turned net.ipv4.tcp_migrate_req on" "it was $migrate_was before the test (put back at the end)"
else
        fail "pmgen scale turned net.ipv4.tcp_migrate_req on" "it is $(cat "$MIGRATE")"
fi

t_finish
