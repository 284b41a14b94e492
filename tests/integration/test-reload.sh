#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# Zero-downtime reload (issue 3), in a real systemd: a 2-instance Node app under pmgen (cluster mode, one
# ReusePort socket per instance), a continuous load with a new connection per request (loadgen.py), and
#   - 20 reloads of every instance (10 rounds of `systemctl reload rl@0` then `rl@1`, 10 rounds of
#     `systemctl reload 'rl@*'`, both at once), each with a new APP_VERSION in the environment file:
#     not one request fails (connect error, reset, timeout, non-2xx), every reload changes the app's PID,
#     the shim (MainPID) stays, systemd restarts nothing, and the last version answers;
#   - a new version that crashes at start, and one that never listens: `systemctl reload` fails (exit
#     status, the reason in the journal and in the unit's Status), the old process still answers, and
#     still not one request fails; then a good version reloads fine.
# Port 18300. Runs as root in its own sandbox; run it through tests/integration/run.sh.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=reload-lib.sh
. "$here/reload-lib.sh"

PORT=18300
DIAG_UNITS="rl.target rl@*"
rl_require_free_ports $PORT
sandbox_trap
sandbox_boot reload
t_init reload
L=$T_WORK/load

heading "install, generate, start"
rl_install
rl_deploy rl $PORT "instances: 2, listen_timeout: 2000," "APP_VERSION: 'v0'"
sandbox_exec grep -qx "ExecReload=+/usr/local/libexec/pmgen/pmgen-shim --reload --env-file=%Y/rl.env" \
        /etc/systemd/system/rl@.service || fatal "ExecReload=" "rl@.service has no ExecReload= line"
pass "unit" "ExecReload=+pmgen-shim --reload --env-file=%Y/rl.env"
rl_start rl 2
mains="$(unit_prop rl@0.service MainPID) $(unit_prop rl@1.service MainPID)"
pass "start" "rl@0 and rl@1 active (shims $mains)"

heading "20 reloads of each instance under a new-connection load"
rl_load_start "$L" $PORT --concurrency 4
sleep 1
bad_reloads=
for round in $(seq 1 20); do
        rl_deploy rl $PORT "instances: 2, listen_timeout: 2000," "APP_VERSION: 'v$round'"
        if [ "$round" -le 10 ]; then
                for i in 0 1; do
                        rl_reload "rl@$i.service"
                        [ "$RL_RC" = 0 ] || bad_reloads="$bad_reloads rl@$i(round $round: $RL_OUT)"
                done
        else
                rl_reload 'rl@*.service'
                [ "$RL_RC" = 0 ] || bad_reloads="$bad_reloads rl@*(round $round: $RL_OUT)"
        fi
done
sleep 1
rl_load_stop "$L"
info "load: $(rl_load_line "$L")"
if [ -z "$bad_reloads" ]; then
        pass "40 reloads succeed" "every systemctl reload exited 0"
else
        fail "40 reloads succeed" "failed:$bad_reloads"
fi
if [ "$(rl_sum "$L" 's["failed"]')" = 0 ] && [ "$(rl_sum "$L" 's["ok"]')" -ge 1000 ]; then
        pass "no failed request" "$(rl_load_line "$L")"
else
        fail "no failed request" "$(rl_load_line "$L"); first failures: $(rl_sum "$L" 's["examples"][:5]')"
fi
for i in 0 1; do
        pids=$(rl_pids "$L" $i)
        n=$(wc -w <<<"$pids")
        if [ "$n" -ge 21 ]; then
                pass "instance $i's app changed" "$n PIDs answered in turn"
        else
                fail "instance $i's app changed" "only $n PIDs answered for instance $i (want 21: one per reload): $pids"
        fi
done
mains_after="$(unit_prop rl@0.service MainPID) $(unit_prop rl@1.service MainPID)"
restarts="$(unit_prop rl@0.service NRestarts) $(unit_prop rl@1.service NRestarts)"
if [ "$mains_after" = "$mains" ] && [ "$restarts" = "0 0" ]; then
        pass "the shims stayed" "MainPID $mains, NRestarts $restarts"
else
        fail "the shims stayed" "MainPID $mains → $mains_after, NRestarts $restarts"
fi
versions=$(for k in $(seq 1 6); do curl -sS -m 5 "http://127.0.0.1:$PORT/"; echo; done |
        python3 -c 'import json, sys; print(",".join(sorted({json.loads(l)["version"] for l in sys.stdin if l.strip()})))')
if [ "$versions" = v20 ]; then
        pass "the new environment reached the app" "every instance answers version v20"
else
        fail "the new environment reached the app" "versions answering: $versions"
fi

heading "a reload to a version that crashes at start, and to one that never listens"
rl_load_start "$L-bad" $PORT --concurrency 4
sleep 0.5
before0=$(rl_child rl 0)
rl_deploy rl $PORT "instances: 2, listen_timeout: 2000," "APP_VERSION: 'crash', MODE: 'crash'"
rl_reload rl@0.service
rc_crash=$RL_RC
rl_deploy rl $PORT "instances: 2, listen_timeout: 2000," "APP_VERSION: 'never', MODE: 'never'"
rl_reload rl@0.service
rc_never=$RL_RC
ms_never=$RL_MS
status0=$(unit_prop rl@0.service StatusText)
after0=$(rl_child rl 0)
answer=$(curl -sS -m 5 "http://127.0.0.1:$PORT/" || :)
rl_journal rl
crash_msg=$(rl_msg rl '^pmgen-shim: reload failed: new child [0-9]+ exited with status 1 before it was ready')
never_msg=$(rl_msg rl '^pmgen-shim: reload failed: new child [0-9]+ was not ready within 2000 ms \(waited for it to serve its socket\)')
if [ "$rc_crash" != 0 ] && [ -n "$crash_msg" ]; then
        pass "crash at start: reload fails" "systemctl reload exit $rc_crash; journal: $crash_msg"
else
        fail "crash at start: reload fails" "systemctl reload exit $rc_crash; journal: '${crash_msg:-nothing}'"
fi
if [ "$rc_never" != 0 ] && [ -n "$never_msg" ] && [ "$ms_never" -ge 1900 ]; then
        pass "never ready: reload fails" "systemctl reload exit $rc_never after ${ms_never} ms; journal: $never_msg"
else
        fail "never ready: reload fails" "systemctl reload exit $rc_never after ${ms_never} ms; journal: '${never_msg:-nothing}'"
fi
case $status0 in
*"the last reload failed: new child "*"was not ready within 2000 ms"*) pass "the unit's Status says why" "$status0" ;;
*) fail "the unit's Status says why" "StatusText: $status0" ;;
esac
if [ -n "$before0" ] && [ "$after0" = "$before0" ] && [ -n "$answer" ]; then
        pass "the old process goes on" "instance 0 is still pid $before0, and the port answers"
else
        fail "the old process goes on" "instance 0's app was $before0, now '$after0'; answer: $answer"
fi
rl_deploy rl $PORT "instances: 2, listen_timeout: 2000," "APP_VERSION: 'v21'"
rl_reload rl@0.service
rc_good=$RL_RC
sleep 0.5
rl_load_stop "$L-bad"
info "load: $(rl_load_line "$L-bad")"
if [ "$(rl_sum "$L-bad" 's["failed"]')" = 0 ] && [ "$(rl_sum "$L-bad" 's["ok"]')" -gt 0 ]; then
        pass "no failed request during the failed reloads" "$(rl_load_line "$L-bad")"
else
        fail "no failed request during the failed reloads" "$(rl_load_line "$L-bad"); $(rl_sum "$L-bad" 's["examples"][:5]')"
fi
if [ "$rc_good" = 0 ] && [ "$(rl_child rl 0)" != "$before0" ]; then
        pass "a good version reloads after that" "rl@0 now runs pid $(rl_child rl 0)"
else
        fail "a good version reloads after that" "systemctl reload exit $rc_good"
fi

heading "stop"
sandbox_exec timeout 60 systemctl stop rl.target || fail "stop" "systemctl stop rl.target failed"
# systemd may reap the last exited process a moment after the stop job is done: allow 5 s.
none_left() {
        left=$(sandbox_exec ps -e -o pid=,stat=,comm= | awk '$3 == "node" || $3 == "pmgen-shim"')
        [ -z "$left" ]
}
if wait_until 5 none_left; then pass "stop" "no node, no pmgen-shim left"; else fail "stop" "left: $left"; fi

t_finish
