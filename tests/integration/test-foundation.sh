#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# The foundation acceptance test: contrib/examples compiled by pmgen and run by a real systemd.
#
#   make install → pmgen generate --env production → systemctl start hello.target, then:
#   - 40 requests on new connections are answered by exactly 2 pids, instances "0" and "1";
#   - the production profile reached the app (greeting, NODE_ENV);
#   - SIGKILL to instance 0's app (the child of the shim, hello@0's main process): under a continuous load
#     only the requests in flight at the kill fail (at most 2), and instance 0 answers again from a new pid within 30 s;
#   - the app's stdout is in the journal under SYSLOG_IDENTIFIER=hello;
#   - `systemd-analyze verify` says nothing about the generated units;
#   - `systemctl stop hello.target` leaves no process and no listener.
#
# Runs as root in its own sandbox (tests/sandbox/lib.sh); run it through tests/integration/run.sh.
# PMGEN_TEST_PORT (default 18080) picks the port, PMGEN_TEST_STANDIN=1 checks the harness with
# hand-written units instead of pmgen's.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"

PORT=$PMGEN_TEST_PORT
require_free_port
sandbox_trap
sandbox_boot foundation
t_init foundation
UNITDIR=/etc/systemd/system

heading "install and generate"
setup_hello
if [ "$PMGEN_TEST_STANDIN" != 1 ]; then
        missing=
        for f in hello@.service hello@.socket hello.target hello.env; do
                sandbox_exec test -f "$UNITDIR/$f" || missing="$missing $f"
        done
        if [ -n "$missing" ]; then
                fatal "pmgen generate" "did not write:$missing (it wrote: $(sandbox_exec ls "$UNITDIR" | tr '\n' ' '))"
        fi
        pass "pmgen generate" "hello@.service hello@.socket hello.target hello.env"
fi

verify_rc=0
verify_out=$(sandbox_exec systemd-analyze verify --man=no "$UNITDIR/hello@.service" "$UNITDIR/hello@.socket" \
        "$UNITDIR/hello.target" 2>&1) || verify_rc=$?
if [ -z "$verify_out" ] && [ "$verify_rc" = 0 ]; then
        pass "systemd-analyze verify" "silent on hello@.service hello@.socket hello.target"
else
        fail "systemd-analyze verify" "exit $verify_rc, output:"$'\n'"$(printf '%s\n' "$verify_out" | sed 's/^/   | /')"
fi

heading "start hello.target"
if ! sandbox_exec timeout 60 systemctl start hello.target; then
        fatal "start" "systemctl start hello.target failed"
fi
for i in 0 1; do
        st=$(unit_prop "hello@$i.service" ActiveState)
        [ "$st" = active ] || fatal "start" "hello@$i.service is $st after systemctl start hello.target"
done
pass "start" "hello@0.service and hello@1.service active"

heading "requests are spread over both instances"
http_many 40 "$T_WORK/spread.txt"
sum=$(responses_summary "$T_WORK/spread.txt")
info "$(oneline "$sum")"
pids=$(field "$sum" pids)
npids=$(echo "$pids" | tr , '\n' | grep -c . || :)
if [ "$(field "$sum" fail)" = 0 ] && [ "$npids" = 2 ] && [ "$(field "$sum" instances)" = 0,1 ]; then
        pass "two instances answer" "pids $pids, instances 0 and 1"
else
        fail "two instances answer" "expected 40 answers from 2 pids with instances 0 and 1; got $(oneline "$sum")"
fi

heading "the production profile reached the app"
if [ "$(field "$sum" greetings)" = "hello from production" ] && [ "$(field "$sum" node_envs)" = production ]; then
        pass "--env production" "greeting 'hello from production', NODE_ENV=production"
else
        fail "--env production" "expected greeting 'hello from production' and node_env production;" \
                "got greetings '$(field "$sum" greetings)' node_envs '$(field "$sum" node_envs)'"
fi

heading "SIGKILL to instance 0's app under load"
main0=$(unit_prop hello@0.service MainPID)
if [ -z "$main0" ] || [ "$main0" = 0 ]; then
        fatal "find instance 0" "hello@0.service has no main PID"
fi
restarts0=$(unit_prop hello@0.service NRestarts)
if [ "$PMGEN_TEST_STANDIN" = 1 ]; then
        app0=$main0 # no shim: the app is the main process
else
        comm=$(box_comm "$main0")
        [ "$comm" = pmgen-shim ] || fail "shim is the main process" "main PID $main0 of hello@0.service is '$comm'"
        kids=$(box_children "$main0")
        read -r -a kid <<<"$kids"
        [ "${#kid[@]}" = 1 ] || fatal "find instance 0's app" "the shim (pid $main0) has children '$kids', expected one"
        app0=${kid[0]}
        pass "shim is the main process" "hello@0.service: pmgen-shim $main0, app $app0 ($(box_comm "$app0"))"
fi
answered0=$(responses_pid_of "$T_WORK/spread.txt" 0)
if [ "$answered0" = "$app0" ]; then
        pass "instance 0's app is the one answering" "pid $app0"
else
        fail "instance 0's app is the one answering" "responses for instance 0 came from pid '$answered0', the app is $app0"
fi

load_start "$T_WORK/load.txt"
sleep 1
info "kill -KILL $app0 (instance 0's app) with requests in flight"
sandbox_exec kill -KILL "$app0" || fatal "kill" "could not kill $app0"
new_pid_for_0() {
        local p
        p=$(responses_pid_of "$T_WORK/load.txt" 0)
        [ -n "$p" ] && [ "$p" != "$app0" ] && new0=$p
}
new0=
t_kill=$SECONDS
if wait_until 30 new_pid_for_0; then
        took=$((SECONDS - t_kill))
        sleep 1 # and a little more load on the new instance
else
        took=
fi
load_stop "$T_WORK/load.txt"
lsum=$(responses_summary "$T_WORK/load.txt")
info "load: $(oneline "$lsum")"
if [ -n "$took" ]; then
        pass "instance 0 comes back" "new pid $new0 answers for instance 0 within ${took}s"
else
        fail "instance 0 comes back" "no answer from a new pid for instance 0 within 30 s of killing $app0"
fi
# A request the killed process had already accepted dies with it (kill -9 gives it no chance to answer);
# the load sends one request at a time per client, so at most a couple can be in flight at the kill.
# Everything queued on the socket that systemd holds must be answered by the new child.
if [ "$(field "$lsum" fail)" -le 2 ] && [ "$(field "$lsum" ok)" -gt 0 ]; then
        pass "no failed request while it restarts" "$(field "$lsum" ok) requests ok, $(field "$lsum" fail) failed (in flight at the kill)"
else
        fail "no failed request while it restarts" "$(field "$lsum" fail) of $(field "$lsum" total) requests failed:" \
                "$(grep '^fail' "$T_WORK/load.txt" | sort | uniq -c | head -n 5 | tr '\n' ';')"
fi
main0b=$(unit_prop hello@0.service MainPID)
restarts0b=$(unit_prop hello@0.service NRestarts)
if [ "${restarts0b:-0}" -gt "${restarts0:-0}" ]; then
        pass "restart accounted" "systemd restarted hello@0.service (NRestarts $restarts0 → $restarts0b)"
elif [ "$PMGEN_TEST_STANDIN" != 1 ] && [ "$main0b" = "$main0" ] && [ -n "$new0" ]; then
        pass "restart accounted" "the shim (pid $main0) restarted its app: $app0 → $new0"
else
        fail "restart accounted" "NRestarts $restarts0 → $restarts0b, main PID $main0 → $main0b"
fi

heading "the app's output is in the journal"
journal_has_app_lines() {
        sandbox_exec journalctl --no-pager -u 'hello@*' -o json --output-fields=SYSLOG_IDENTIFIER,MESSAGE \
                >"$T_WORK/journal.json" 2>/dev/null || return 1
        python3 - "$T_WORK/journal.json" "$PORT" >"$T_WORK/journal.check" <<'EOF'
import json, re, sys
port = sys.argv[2]
listening, requests, other_ident = set(), 0, set()
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    msg = e.get("MESSAGE")
    if not isinstance(msg, str):
        continue
    ident = e.get("SYSLOG_IDENTIFIER")
    m = re.match(r"hello listening on (\d+), instance (\S+), pid (\d+)", msg)
    if m:
        if ident != "hello":
            other_ident.add(str(ident))
        elif m.group(1) == port:
            listening.add(m.group(2))
    elif re.match(r"GET /\S* 200 \(instance", msg):
        if ident != "hello":
            other_ident.add(str(ident))
        else:
            requests += 1
print(f"listening_instances={','.join(sorted(listening))} request_lines={requests} "
      f"wrong_identifiers={','.join(sorted(other_ident)) or '-'}")
ok = listening >= {"0", "1"} and requests > 0 and not other_ident
sys.exit(0 if ok else 1)
EOF
}
if wait_until 10 journal_has_app_lines; then
        pass "journal" "$(cat "$T_WORK/journal.check")"
else
        fail "journal" "expected 'hello listening on $PORT' for instances 0 and 1 and request lines," \
                "all with SYSLOG_IDENTIFIER=hello; got $(cat "$T_WORK/journal.check" 2>/dev/null)"
fi

heading "stop hello.target"
if sandbox_exec timeout 60 systemctl stop hello.target; then
        pass "stop" "systemctl stop hello.target"
else
        fail "stop" "systemctl stop hello.target failed"
fi
# (systemd may reap the last exited process a moment after the stop job is done: allow zombies 5 s to go)
app_processes() {
        left=$(sandbox_exec ps -e -o pid=,stat=,comm=,args= | awk '$3 == "node" || $3 == "pmgen-shim"')
        [ -z "$left" ]
}
if wait_until 5 app_processes; then
        pass "no process left" "no node, no pmgen-shim in the box"
else
        fail "no process left" "still there: $left"
fi
mains=$(unit_prop hello@0.service MainPID),$(unit_prop hello@1.service MainPID)
if [ "$mains" = 0,0 ]; then
        pass "no main PID" "MainPID=0 for hello@0 and hello@1"
else
        fail "no main PID" "MainPID of hello@0,hello@1: $mains"
fi
if out=$(curl -sS --max-time 3 "http://127.0.0.1:$PORT/" 2>&1); then
        fail "port closed" "127.0.0.1:$PORT still answers: $out"
elif port_in_use "$PORT"; then
        fail "port closed" "something still listens on $PORT: $(ss -Htln "sport = :$PORT")"
else
        pass "port closed" "nothing listens on $PORT"
fi

t_finish
