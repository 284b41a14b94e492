#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# Health checks (issue 11, item 2), in a real systemd:
#   - liveness: an app that stops answering but stays alive (GET /hang blocks its event loop) is restarted by
#     systemd's watchdog, because the shim stops pinging once its health check failed `retries` times in a
#     row; its neighbour instance on the same port (ReusePort=) is not touched, its checks reach only its
#     own process; the same app without `health` is left hung (what PM2 does: it cannot see it);
#   - readiness: a reload whose new process never passes the check (its /healthz answers 503, though it
#     serves every other path) is given up after start_period, the old process keeps serving, and no request
#     of a load running meanwhile fails; with the check passing again the next reload succeeds.
#   - with hardening strict (no netlink sockets, so answers cannot be attributed) a single instance still
#     starts on its check.
# Ports 18900-18903. Runs as root in its own sandbox; run it through tests/integration/run.sh.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=reload-lib.sh
. "$here/reload-lib.sh"

DIAG_UNITS="hh@* hn@* hr@* hs@*"
rl_require_free_ports 18900 18901 18902 18903
sandbox_trap
sandbox_boot health
t_init health

heading "install"
rl_install

box_get() { # PORT PATH: the body, or nothing (1 s at most)
        sandbox_exec curl -sf -m 1 "http://127.0.0.1:$1$2" 2>/dev/null || :
}

heading "liveness: a hung app is restarted by the watchdog"
# two instances behind ReusePort=: the checks of each must reach its own process, so only the hung one is
# restarted
HEALTH="health: { url: '/healthz', interval: 1000, timeout: 500, retries: 2 },"
rl_deploy hh 18900 "instances: 2, $HEALTH" ""
rl_deploy hn 18901 "instances: 1," ""
rl_start hh 2
rl_start hn 1
wd=$(unit_prop hh@0.service WatchdogUSec)
wd_none=$(unit_prop hn@0.service WatchdogUSec)
if [ "$wd" = 4.500000s ] || [ "$wd" = 4.5s ]; then
        pass "hh: WatchdogSec from interval x retries + timeout + 2 s" "WatchdogUSec=$wd (without health: $wd_none)"
else
        fail "hh: WatchdogSec from interval x retries + timeout + 2 s" "WatchdogUSec='$wd'"
fi
sleep 3 # a few checks of both: none may fail
rl_journal hh
early=$(rl_msg hh "health check of child")
[ -z "$early" ] && pass "hh: healthy instances pass" "no failed check in 3 s" || fail "hh: healthy instances pass" "$early"
hn_old=$(rl_child hn 0)
t0=$(date +%s%3N)
hung=$(box_get 18900 /hang)
hung_pid=${hung#hanging }
if [ "$hung_pid" = "$(rl_child hh 0)" ]; then hi=0; oi=1; elif [ "$hung_pid" = "$(rl_child hh 1)" ]; then hi=1; oi=0; else hi=; fi
[ -n "$hi" ] || fatal "hh: GET /hang" "answer '$hung' from none of hh's instances ($(rl_child hh 0) $(rl_child hh 1))"
other_pid=$(rl_child hh "$oi")
[ "$(box_get 18901 /hang)" != "" ] || fail "hn: GET /hang" "no answer"
sleep 0.5
if sandbox_exec test -e "/proc/$hung_pid" && [ "$(sandbox_sh 'grep -c . /proc/"$1"/status' "$hung_pid")" -gt 0 ]; then
        pass "hh@$hi: hung" "app $hung_pid lives and does not answer"
else
        fail "hh@$hi: hung" "app $hung_pid is gone"
fi
restarted() { [ "$(unit_prop "hh@$hi.service" NRestarts)" -ge 1 ] && [ "$(rl_child hh "$hi")" != "$hung_pid" ] && [ -n "$(box_get 18900 /)" ]; }
if wait_until 40 restarted; then
        t1=$(date +%s%3N)
        rl_journal hh
        unhealthy=$(rl_msg hh "^pmgen-shim: child $hung_pid is unhealthy")
        wdmsg=$(sandbox_exec journalctl --no-pager -o cat -u "hh@$hi.service" | grep -m1 -i "watchdog timeout" || :)
        if [ -n "$unhealthy" ] && [ -n "$wdmsg" ]; then
                pass "hh@$hi: restarted by the watchdog" "$((t1 - t0)) ms from the hang to the restart; $unhealthy; systemd: $wdmsg; app $hung_pid → $(rl_child hh "$hi")"
        else
                fail "hh@$hi: restarted by the watchdog" "journal: '$unhealthy' '$wdmsg'; app $hung_pid → $(rl_child hh "$hi")"
        fi
else
        fail "hh@$hi: restarted by the watchdog" "NRestarts=$(unit_prop "hh@$hi.service" NRestarts) after 40 s; $(sandbox_exec journalctl --no-pager -o cat -u "hh@$hi.service" | tail -n 8 | paste -sd '|' -)"
fi
sleep 2 # (the checks of the neighbour while the hung instance restarts: some go to its socket)
rl_journal hh
neighbour=$(rl_msg hh "^pmgen-shim: health check of child $other_pid ")
if [ "$(unit_prop "hh@$oi.service" NRestarts)" = 0 ] && [ "$(rl_child hh "$oi")" = "$other_pid" ] && [ -z "$neighbour" ]; then
        pass "hh@$oi: the healthy neighbour is left alone" "app $other_pid, NRestarts=0, no failed check"
else
        fail "hh@$oi: the healthy neighbour is left alone" "NRestarts=$(unit_prop "hh@$oi.service" NRestarts), app $other_pid → $(rl_child hh "$oi"); $neighbour"
fi
# the same app without a health check: still hung, never restarted
if [ "$(unit_prop hn@0.service NRestarts)" = 0 ] && [ "$(rl_child hn 0)" = "$hn_old" ] && [ -z "$(box_get 18901 /)" ]; then
        pass "hn: without health the hung app stays hung" "app $hn_old, NRestarts=0, $(((t1 - t0) / 1000)) s later"
else
        fail "hn: without health the hung app stays hung" "NRestarts=$(unit_prop hn@0.service NRestarts), app $hn_old → $(rl_child hn 0)"
fi
sandbox_exec timeout 60 systemctl stop hn.target hh.target || :

heading "readiness: a reload whose new process never passes is given up"
HEALTH="health: { url: '/healthz', interval: 1000, timeout: 500, retries: 2, start_period: 3000 },"
rl_deploy hr 18902 "instances: 1, kill_timeout: 3000, $HEALTH" "HEALTH: 'ok'"
rl_start hr 1
old=$(rl_child hr 0)
rl_load_start "$T_WORK/hr" 18902 --concurrency 4
sleep 1
rl_deploy hr 18902 "instances: 1, kill_timeout: 3000, $HEALTH" "HEALTH: 'fail'" # the next process fails
rl_reload hr@0.service
sleep 1
rl_load_stop "$T_WORK/hr"
rl_journal hr
given_up=$(rl_msg hr "^pmgen-shim: reload: new child [0-9]+ did not pass its health check within 3000 ms")
new=$(rl_msg hr "^pmgen-shim: reload: starting child" | awk '{ print $5 }')
if [ "$RL_RC" != 0 ] && [ "$RL_MS" -ge 3000 ] && [ -n "$given_up" ] && [ "$(rl_child hr 0)" = "$old" ] &&
        [ "$(unit_prop hr@0.service ActiveState)" = active ]; then
        pass "hr: the reload is given up, the old process serves on" "systemctl reload: exit $RL_RC after $RL_MS ms; $given_up"
else
        fail "hr: the reload is given up, the old process serves on" "exit $RL_RC after $RL_MS ms: $RL_OUT; journal '$given_up'; app $old → $(rl_child hr 0)"
fi
served_new=$(rl_sum "$T_WORK/hr" 's["by_pid"].get("'"${new:-0}"'", {}).get("count", 0)')
if [ "$(rl_sum "$T_WORK/hr" 's["failed"]')" = 0 ] && [ "$(rl_sum "$T_WORK/hr" 's["ok"]')" -gt 100 ]; then
        pass "hr: no failed request under load" "$(rl_load_line "$T_WORK/hr"); the given-up process $new answered $served_new of them"
else
        fail "hr: no failed request under load" "$(rl_load_line "$T_WORK/hr"); $(rl_sum "$T_WORK/hr" 's["examples"][:5]')"
fi
rl_deploy hr 18902 "instances: 1, kill_timeout: 3000, $HEALTH" "HEALTH: 'ok'"
rl_reload hr@0.service
rl_journal hr
passed=$(rl_msg hr "^pmgen-shim: reload: child [0-9]+ is ready \(its health check passed\)")
if [ "$RL_RC" = 0 ] && [ -n "$passed" ] && [ "$(rl_child hr 0)" != "$old" ]; then
        pass "hr: a new process that passes replaces the old one" "reload took $RL_MS ms; $passed"
else
        fail "hr: a new process that passes replaces the old one" "exit $RL_RC after $RL_MS ms: $RL_OUT; app $old → $(rl_child hr 0)"
fi

heading "hardening strict: no NETLINK_SOCK_DIAG"
rl_deploy hs 18903 "instances: 1, hardening: 'strict', $HEALTH" ""
rl_start hs 1
rl_journal hs
warned=$(rl_msg hs "^pmgen-shim: warning: health check: no NETLINK_SOCK_DIAG")
ready=$(rl_msg hs "^pmgen-shim: child [0-9]+ is ready \(its health check passed\)")
if [ -n "$warned" ] && [ -n "$ready" ] && [ -n "$(box_get 18903 /)" ]; then
        pass "hs: starts on its check without attribution" "$warned; $ready"
else
        fail "hs: starts on its check without attribution" "journal: '$warned' '$ready'"
fi

t_finish
