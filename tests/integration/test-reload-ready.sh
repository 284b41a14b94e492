#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# Readiness and the end of the old process in a reload (issue 3), in a real systemd, under a new-connection
# load (but for the SIGINT-ignoring app):
#   - a wait_ready app (process.send('ready') 1.5 s after it listens) and an sd_notify app (it listens at
#     once and says READY=1 with systemd-notify 1.5 s later; no wait_ready: the shim learns it from the
#     first process): the old process is stopped only after the new one said it was ready, asserted from
#     the journal's timestamps ("sending ready" < the shim's "stopping child OLD" < the old "got SIGINT");
#   - an app that ignores SIGINT is SIGKILLed kill_timeout (1 s) after the stop signal, and the reload ends
#     then (without load: what such an app accepted and did not answer before the SIGKILL is lost);
#   - an app that starts grandchildren (one in its process group, one detached in a session of its own)
#     leaves none behind: not after a reload, not after a stop.
# Ports 18310-18313. Runs as root in its own sandbox; run it through tests/integration/run.sh.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=reload-lib.sh
. "$here/reload-lib.sh"

DIAG_UNITS="wr@* nt@* ig@* gk@*"
rl_require_free_ports 18310 18311 18312 18313
sandbox_trap
sandbox_boot reload-ready
t_init reload-ready

heading "install"
rl_install

# ordering NAME WORD: after one reload of NAME@0, the new process's "sending WORD" came before the shim
# stopped the old one, which came before the old one's "got SIGINT".
ordering() {
        local name=$1 word=$2 old=$3 new t_ready t_stop t_int
        new=$(rl_child "$name" 0)
        rl_journal "$name"
        t_ready=$(rl_ts "$name" "^app $new sending $word\$")
        t_stop=$(rl_ts "$name" "^pmgen-shim: reload: stopping child $old ")
        t_int=$(rl_ts "$name" "^app $old got SIGINT")
        if [ -n "$t_ready" ] && [ -n "$t_stop" ] && [ -n "$t_int" ] && [ "$t_ready" -le "$t_stop" ] && [ "$t_stop" -le "$t_int" ]; then
                pass "$name: old stopped after the new one was ready" "new $new said $word at +0, the shim stopped $old at +$(((t_stop - t_ready) / 1000)) ms, $old got SIGINT at +$(((t_int - t_ready) / 1000)) ms"
        else
                fail "$name: old stopped after the new one was ready" "journal times (µs): $new sending $word '${t_ready}', stopping $old '${t_stop}', $old got SIGINT '${t_int}'"
        fi
}

no_failures() { # NAME FILE
        if [ "$(rl_sum "$2" 's["failed"]')" = 0 ] && [ "$(rl_sum "$2" 's["ok"]')" -gt 0 ]; then
                pass "$1: no failed request" "$(rl_load_line "$2")"
        else
                fail "$1: no failed request" "$(rl_load_line "$2"); $(rl_sum "$2" 's["examples"][:5]')"
        fi
}

heading "wait_ready: process.send('ready') 1.5 s after listening"
rl_deploy wr 18310 "instances: 1, wait_ready: true, listen_timeout: 10000," "MODE: 'wait_ready', READY_DELAY: '1500'"
rl_start wr 1
rl_load_start "$T_WORK/wr" 18310 --concurrency 2
old=$(rl_child wr 0)
rl_reload wr@0.service
sleep 0.3
rl_load_stop "$T_WORK/wr"
if [ "$RL_RC" = 0 ] && [ "$RL_MS" -ge 1500 ]; then
        pass "wr: reload waits for 'ready'" "systemctl reload took $RL_MS ms"
else
        fail "wr: reload waits for 'ready'" "exit $RL_RC after $RL_MS ms: $RL_OUT"
fi
ordering wr ready "$old"
no_failures wr "$T_WORK/wr"

heading "sd_notify: READY=1 1.5 s after listening (no wait_ready)"
rl_deploy nt 18311 "instances: 1, listen_timeout: 10000," "MODE: 'notify', READY_DELAY: '1500'"
rl_start nt 1
learned() { rl_journal nt; [ -n "$(rl_msg nt 'speaks sd_notify')" ]; }
if wait_until 15 learned; then
        pass "nt: the shim learns READY=1" "$(rl_msg nt 'speaks sd_notify')"
else
        fail "nt: the shim learns READY=1" "no 'speaks sd_notify' in the journal"
fi
rl_load_start "$T_WORK/nt" 18311 --concurrency 2
old=$(rl_child nt 0)
rl_reload nt@0.service
sleep 0.3
rl_load_stop "$T_WORK/nt"
if [ "$RL_RC" = 0 ] && [ "$RL_MS" -ge 1500 ]; then
        pass "nt: reload waits for READY=1" "systemctl reload took $RL_MS ms"
else
        fail "nt: reload waits for READY=1" "exit $RL_RC after $RL_MS ms: $RL_OUT"
fi
ordering nt READY=1 "$old"
no_failures nt "$T_WORK/nt"

heading "an app that ignores SIGINT"
# (no load here: an app that ignores its stop signal keeps accepting until the SIGKILL, and what it has
# accepted but not answered by then is lost; pmgen cannot take a socket back from a process)
rl_deploy ig 18312 "instances: 1, kill_timeout: 1000," "IGNORE_SIGINT: '1'"
rl_start ig 1
old=$(rl_child ig 0)
rl_reload ig@0.service
rl_journal ig
killed=$(rl_msg ig "^pmgen-shim: child $old still running 1000 ms after SIGINT, sending SIGKILL\$")
sig=$(rl_msg ig "^pmgen-shim: child $old killed by signal SIGKILL\$")
gone=$(sandbox_exec sh -c "test -e /proc/$old && echo present || echo gone")
if [ "$RL_RC" = 0 ] && [ "$RL_MS" -ge 1000 ] && [ -n "$killed" ] && [ -n "$sig" ] && [ "$gone" = gone ]; then
        pass "ig: SIGKILL after kill_timeout" "reload took $RL_MS ms; journal: $killed"
else
        fail "ig: SIGKILL after kill_timeout" "exit $RL_RC after $RL_MS ms; journal: '$killed' '$sig'; old $old $gone"
fi

heading "an app that leaves grandchildren"
rl_deploy gk 18313 "instances: 1," "GRANDKIDS: '1'"
rl_start gk 1
old=$(rl_child gk 0)
kids_of() { rl_journal gk; rl_msg gk "^app $1 grandkids " | awk '{ print $4, $5 }'; }
wait_until 10 test -n "$(kids_of "$old")" || :
read -r k1 k2 <<<"$(kids_of "$old")"
rl_load_start "$T_WORK/gk" 18313 --concurrency 2
rl_reload gk@0.service
sleep 0.3
rl_load_stop "$T_WORK/gk"
new=$(rl_child gk 0)
wait_until 10 test -n "$(kids_of "$new")" || :
read -r n1 n2 <<<"$(kids_of "$new")"
alive() { sandbox_exec sh -c 'for p; do if [ -e /proc/$p ] && ! grep -q "^State:.*Z" /proc/$p/status; then echo $p; fi; done' sh "$@" | tr '\n' ' '; }
left=$(alive "${k1:-0}" "${k2:-0}")
if [ "$RL_RC" = 0 ] && [ -n "${k1:-}" ] && [ -z "$left" ] && [ "$(alive "${n1:-0}" "${n2:-0}" | wc -w)" = 2 ]; then
        pass "gk: the old app's grandchildren are gone after a reload" "$old's $k1 (its group) and $k2 (detached) ended; $new's $n1 $n2 run"
else
        fail "gk: the old app's grandchildren are gone after a reload" "reload exit $RL_RC; old grandchildren '$k1 $k2', left: '$left'; new '$n1 $n2'"
fi
no_failures gk "$T_WORK/gk"
sandbox_exec timeout 60 systemctl stop gk.target || fail "gk: stop" "systemctl stop gk.target failed"
# (systemd may reap a process its final SIGKILL ended a moment after the stop job is done: zombies get 5 s)
no_sleep() { sleeping=$(sandbox_exec ps -e -o pid=,stat=,comm= | awk '$3 == "sleep"'); [ -z "$sleeping" ]; }
if wait_until 5 no_sleep; then
        pass "gk: none left after a stop" "no sleep process in the box"
else
        fail "gk: none left after a stop" "left: $sleeping"
fi

t_finish
