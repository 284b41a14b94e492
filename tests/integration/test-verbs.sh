#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# PM2's verbs against a real systemd, each checked against what systemd and journald report:
#   ls (--json: pids, restarts, states, memory, port vs `systemctl show`), logs (records, prefixes, --lines,
#   --json, --err, -f), describe (declaration, units, masked env, sockets, recent exits), scale (N, +N, -N, the
#   declaration keeps the count), reload (rolling; refused clearly while units have no ExecReload=), restart
#   (--update-env), stop/start, delete, unknown apps (exit 5), and import of a real PM2 dump made by PM2 from
#   npm in the box.
# Ports 18225-18229.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=apply-lib.sh
. "$here/apply-lib.sh"

WEB=18225 API=18226 WORKER=18227 P2WEB=18228 P2JOB=18229
DIAG_UNITS="web@* worker@* p2web@*"
DECL=/etc/pmgen/ecosystem.config.ini
SRC=/srv/apps/ecosystem.config.js
require_free_ports "$WEB" "$API" "$WORKER" "$P2WEB" "$P2JOB"
t_init verbs

# PM2 from npm, for the dump (cached in build/pm2).
PM2_DIR=$SANDBOX_REPO/build/pm2
if [ ! -x "$PM2_DIR/node_modules/.bin/pm2" ]; then
        info "\$ npm install --prefix $PM2_DIR pm2"
        npm install --prefix "$PM2_DIR" --no-audit --no-fund --loglevel=error pm2 >"$T_WORK/npm.log" 2>&1 ||
                echo "npm install pm2 failed (log: $T_WORK/npm.log)" >&2
fi

sandbox_trap
sandbox_boot verbs
install_pmgen
install_apps
sandbox_exec sed -i -e "s/18220/$WEB/" -e "s/18221/$API/" -e "s/18222/$WORKER/" "$SRC"
pm apply apply "$SRC" --env production || { show apply; fatal "apply" "failed"; }
instances_are web 2 && instances_are worker 1 || fatal "apply" "instances not active"

heading "ls"
t0=$(date +%s%N)
pm ls ls || fail "ls" "exit $?"
ls_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
show ls
if [ "$(head -n 1 "$T_WORK/ls.out" | tr -s ' ')" = "app id pid uptime restarts status cpu memory port" ] &&
        [ "$(grep -c ' online ' "$T_WORK/ls.out")" = 5 ]; then
        pass "table" "5 instances online (${ls_ms} ms with nsenter)"
else
        fail "table" "unexpected table"
fi
sandbox_exec pmgen ls --json >"$T_WORK/ls.json"
check_ls() { # compares every row with systemctl show (MainPID, NRestarts, ActiveState, MemoryCurrent)
        local rows
        rows=$(python3 -c 'import json,sys; [print(r["app"], r["instance"], r["status"], r["main_pid"], r["pid"], r["restarts"], r["memory_bytes"], r["cpu_nsec"], r["port"]) for r in json.load(open(sys.argv[1]))]' "$T_WORK/ls.json")
        [ "$(echo "$rows" | grep -c .)" = 5 ] || { echo "rows: $rows"; return 1; }
        local app i st main pid restarts mem cpu port u
        while read -r app i st main pid restarts mem cpu port; do
                u=$app@$i.service
                [ "$st" = online ] && [ "$(unit_prop "$u" ActiveState)" = active ] || { echo "$u: $st"; return 1; }
                [ "$main" = "$(unit_prop "$u" MainPID)" ] || { echo "$u: main pid $main"; return 1; }
                [ "$pid" = "$(box_children "$main")" ] || { echo "$u: pid $pid, the shim's child is $(box_children "$main")"; return 1; }
                [ "$restarts" = "$(unit_prop "$u" NRestarts)" ] || { echo "$u: restarts $restarts"; return 1; }
                local cur
                cur=$(unit_prop "$u" MemoryCurrent)
                python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if 0.5*b <= a <= 2*b else 1)' \
                        "$mem" "$cur" || { echo "$u: memory $mem vs MemoryCurrent $cur"; return 1; }
                [ "$cpu" != None ] && [ "$cpu" -gt 0 ] || { echo "$u: cpu $cpu"; return 1; }
                case $app in web) [ "$port" = "$WEB" ] ;; api) [ "$port" = "$API" ] ;; worker) [ "$port" = "$WORKER" ] ;; esac ||
                        { echo "$u: port $port"; return 1; }
        done <<<"$rows"
}
if why=$(check_ls); then
        pass "ls --json = systemctl show" "status, main pid, the shim's child, NRestarts, memory ±2×, cpu, port for 5 instances"
else
        fail "ls --json = systemctl show" "$why"
fi
main=$(unit_prop worker@0.service MainPID)
sandbox_exec kill -KILL "$main"
restarted() { [ "$(unit_prop worker@0.service NRestarts)" = 1 ] && [ "$(unit_prop worker@0.service ActiveState)" = active ]; }
if wait_until 20 restarted && [ "$(ls_field worker 0 restarts)" = 1 ] && [ "$(ls_field worker 0 status)" = online ]; then
        pass "restarts" "SIGKILL to worker@0's shim: NRestarts 1 in systemd and in pmgen ls"
else
        fail "restarts" "NRestarts $(unit_prop worker@0.service NRestarts), ls says $(ls_field worker 0 restarts)"
fi

heading "logs"
marker=m$RANDOM$RANDOM
for k in 1 2 3; do curl -sS --max-time 5 "http://127.0.0.1:$WEB/$marker-$k" >/dev/null; done
got_logs() {
        sandbox_exec pmgen logs web --lines 40 >"$T_WORK/logs.txt" 2>&1 && [ "$(grep -c "GET /$marker-" "$T_WORK/logs.txt")" = 3 ]
}
jcount() { sandbox_exec journalctl --no-pager -o cat -u 'web@*' | grep -c "GET /$marker-" || :; }
if wait_until 10 got_logs && [ "$(jcount)" = 3 ] &&
        grep -Eq "^[01]\|web +\| GET /$marker-1 200 \(instance [01], pid [0-9]+\)$" "$T_WORK/logs.txt"; then
        pass "logs web" "3 of 3 requests, as in journalctl -u 'web@*': $(grep -m1 "$marker-1" "$T_WORK/logs.txt")"
else
        fail "logs web" "$(grep -c "$marker" "$T_WORK/logs.txt" || :) lines, journal $(jcount): $(tail -n 5 "$T_WORK/logs.txt")"
fi
n=$(sandbox_exec pmgen logs web --lines 2 | grep -c . || :)
[ "$n" = 2 ] && pass "--lines 2" "2 records" || fail "--lines 2" "$n records"
sandbox_exec pmgen logs web --lines 10 --json >"$T_WORK/logs.json"
if python3 - "$T_WORK/logs.json" "$marker" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["app"] == "web" and e["instance"] in ("0", "1") and e["time"].endswith("Z"), e
    if sys.argv[2] in e["message"]:
        assert ("instance %s," % e["instance"]) in e["message"], e
        n += 1
sys.exit(0 if n == 3 else 1)
EOF
then
        pass "--json" "one object a line; each record's instance matches the app's own line"
else
        fail "--json" "$(head -n 3 "$T_WORK/logs.json")"
fi
# Records of a unit tagged as web's: "<3>" makes one of them priority err (SyslogLevelPrefix=).
sandbox_exec systemd-run -q --wait -p LogExtraFields=PMGEN_APP=web -p LogExtraFields=PMGEN_INSTANCE=9 \
        sh -c "echo '<3>err-e$marker'; echo 'info-e$marker'" >/dev/null 2>&1 || :
errs=$(sandbox_exec pmgen logs web --err --lines 5 | grep -c "e$marker" || :)
alls=$(sandbox_exec pmgen logs web --lines 5 | grep -c "e$marker" || :)
if [ "$errs" = 1 ] && [ "$alls" = 2 ] && sandbox_exec pmgen logs web --err --lines 5 | grep -q "^9|web *| err-e$marker"; then
        pass "--err" "only the record at priority err"
else
        fail "--err" "--err shows $errs, all show $alls"
fi
sandbox_exec timeout 6 pmgen logs web -f --lines 0 >"$T_WORK/follow.txt" 2>&1 &
fpid=$!
sleep 2
curl -sS --max-time 5 "http://127.0.0.1:$WEB/follow-$marker" >/dev/null
wait "$fpid" || :
if grep -q "GET /follow-$marker" "$T_WORK/follow.txt" && ! grep -q "GET /$marker-" "$T_WORK/follow.txt"; then
        pass "-f" "a new request appears while following; nothing older with --lines 0"
else
        fail "-f" "$(cat "$T_WORK/follow.txt")"
fi

heading "describe"
pm describe describe web || fail "describe" "exit $?"
show describe
frag=$(unit_prop web@0.service FragmentPath)
if grep -q "^declaration *$DECL (applied from $SRC with --env production)" "$T_WORK/describe.out" &&
        grep -q "^units *$frag" "$T_WORK/describe.out" && grep -q "API_KEY=\*\*\*\*" "$T_WORK/describe.out" &&
        grep -q "NODE_ENV=production" "$T_WORK/describe.out" && ! grep -q secret-web-key "$T_WORK/describe.out" &&
        grep -q "web@0.socket: active Stream \[::\]:$WEB" "$T_WORK/describe.out" && grep -q "^restart *always" "$T_WORK/describe.out"; then
        pass "describe web" "declaration, $frag, API_KEY masked, socket, restart policy"
else
        fail "describe web" "missing lines"
fi
pm describe2 describe worker || :
if grep -q "^recent exits .* worker@0.service: Main process exited, code=killed, status=9/KILL" "$T_WORK/describe2.out"; then
        pass "recent exits" "$(grep -m1 '^recent exits' "$T_WORK/describe2.out" | sed 's/^recent exits *//')"
else
        show describe2
        fail "recent exits" "no SIGKILL exit for worker@0"
fi

heading "scale"
pm scale1 scale web 3 || { show scale1; fail "scale web 3" "exit $?"; }
if instances_are web 3 && sandbox_exec grep -qx 'instances = 3' "$DECL" && [ "$(ls_field web 2 status)" = online ]; then
        pass "scale web 3" "web@2 online; $DECL says instances = 3"
else
        show scale1
        fail "scale web 3" "web@2 $(unit_prop web@2.service ActiveState)"
fi
pm scale2 scale web -1 || { show scale2; fail "scale web -1" "exit $?"; }
if instances_are web 2 && [ "$(unit_prop web@2.service ActiveState)" = inactive ] && sandbox_exec grep -qx 'instances = 2' "$DECL"; then
        pass "scale web -1" "web@2 stopped (the highest instance); instances = 2"
else
        fail "scale web -1" "web@2 $(unit_prop web@2.service ActiveState)"
fi
pm scale3 scale web +2 --dry-run || fail "scale --dry-run" "exit $?"
if grep -q 'scaled 2 → 4' "$T_WORK/scale3.out" && instances_are web 2 && sandbox_exec grep -qx 'instances = 2' "$DECL"; then
        pass "scale --dry-run" "plan 'scaled 2 → 4', nothing changed"
else
        show scale3
        fail "scale --dry-run" "unexpected"
fi
if pm scale4 scale web 0; then rc=0; else rc=$?; fi
if [ "$rc" = 2 ] && grep -q "scale web: '0' is not a count" "$T_WORK/scale4.out"; then
        pass "scale web 0" "refused, exit 2: $(head -n 1 "$T_WORK/scale4.out")"
else
        fail "scale web 0" "exit $rc: $(cat "$T_WORK/scale4.out")"
fi

heading "reload"
can=$(unit_prop web@0.service CanReload)
before=$(ls_field web 0 pid),$(ls_field web 1 pid)
loads_start "$T_WORK/load-reload.txt" "$WEB"
sleep 0.5
if pm reload reload web; then rc=0; else rc=$?; fi
sleep 0.5
loads_stop
show reload
if [ "$can" = no ]; then
        if [ "$rc" = 4 ] && grep -q "reload web: instance 0 failed: web@0.service cannot reload: its unit has no ExecReload=" "$T_WORK/reload.out" &&
                instances_are web 2; then
                pass "reload (no ExecReload= yet)" "exit 4, says which instance and why; instances still active"
        else
                fail "reload (no ExecReload= yet)" "exit $rc"
        fi
else
        after=$(ls_field web 0 pid),$(ls_field web 1 pid)
        if [ "$rc" = 0 ] && [ "$(sed -n 's/^web@\([01]\) reloaded.*/\1/p' "$T_WORK/reload.out" | tr -d '\n')" = 01 ] &&
                instances_are web 2 && [ "${before%,*}" != "${after%,*}" ] && [ "${before#*,}" != "${after#*,}" ]; then
                pass "reload (rolling)" "web@0 then web@1 reloaded; the apps' pids $before → $after"
        else
                fail "reload (rolling)" "exit $rc; the apps' pids $before → $after"
        fi
        sum=$(responses_summary "$T_WORK/load-reload.txt")
        if [ "$(field "$sum" fail)" = 0 ] && [ "$(field "$sum" ok)" -gt 0 ]; then
                pass "no failed request while reloading" "$(field "$sum" ok) requests"
        else
                fail "no failed request while reloading" "$(oneline "$sum")"
        fi
        # one instance: web@1 alone
        before=$after
        if pm reload1 reload web@1; then rc=0; else rc=$?; fi
        after=$(ls_field web 0 pid),$(ls_field web 1 pid)
        if [ "$rc" = 0 ] && grep -q '^web@1 reloaded' "$T_WORK/reload1.out" && ! grep -q '^web@0' "$T_WORK/reload1.out" &&
                [ "${before%,*}" = "${after%,*}" ] && [ "${before#*,}" != "${after#*,}" ]; then
                pass "reload web@1" "web@1's app $before → $after; web@0's kept"
        else
                show reload1
                fail "reload web@1" "exit $rc; the apps' pids $before → $after"
        fi
        if pm reload9 reload web@9; then rc=0; else rc=$?; fi
        [ "$rc" = 5 ] && grep -q 'reload web@9: web has no instance 9' "$T_WORK/reload9.out" &&
                pass "reload web@9" "exit 5: $(cat "$T_WORK/reload9.out")" || { show reload9; fail "reload web@9" "exit $rc"; }
fi

heading "restart, stop, start"
before=$(unit_prop web@0.service MainPID),$(unit_prop web@1.service MainPID)
pm restart restart web || { show restart; fail "restart" "exit $?"; }
after=$(unit_prop web@0.service MainPID),$(unit_prop web@1.service MainPID)
if [ "${before%,*}" != "${after%,*}" ] && [ "${before#*,}" != "${after#*,}" ] && instances_are web 2; then
        pass "restart web" "main pids $before → $after"
else
        fail "restart web" "main pids $before → $after"
fi
sandbox_exec sed -i 's/^GREETING = web v1$/GREETING = web edited/' "$DECL"
pm restart2 restart web || fail "restart" "exit $?"
g1=$(get_json "$WEB" greeting)
pm restart3 restart web --update-env || { show restart3; fail "restart --update-env" "exit $?"; }
g2=$(get_json "$WEB" greeting)
if [ "$g1" = "web v1" ] && [ "$g2" = "web edited" ]; then
        pass "--update-env" "without: '$g1'; with: '$g2' (the declaration edited in $DECL)"
else
        fail "--update-env" "without: '$g1'; with: '$g2'"
fi
pm stop stop web || fail "stop" "exit $?"
if [ "$(unit_prop web@0.service ActiveState)" = inactive ] && [ "$(unit_prop web@1.service ActiveState)" = inactive ] &&
        [ "$(ls_field web 0 status)" = stopped ]; then
        pass "stop web" "both instances inactive; ls says stopped"
else
        fail "stop web" "$(unit_prop web@0.service ActiveState)"
fi
pm start start web || fail "start" "exit $?"
instances_are web 2 && [ "$(get_json "$WEB" greeting)" = "web edited" ] && pass "start web" "both active, answering" ||
        fail "start web" "not active"
pm restartall restart all || fail "restart all" "exit $?"
instances_are web 2 && instances_are api 2 && instances_are worker 1 && pass "restart all" "every app's instances active" ||
        fail "restart all" "not all active"

heading "delete and unknown apps"
pm delete delete worker || { show delete; fail "delete" "exit $?"; }
if [ "$(unit_prop worker@0.service LoadState)" = not-found ] && ! sandbox_exec grep -q '^\[worker' "$DECL" &&
        ! port_in_use "$WORKER"; then
        pass "delete worker" "its units are gone, its sections left $DECL, port $WORKER closed"
else
        fail "delete worker" "worker@0 $(unit_prop worker@0.service LoadState)"
fi
rcs=
for v in "describe nope" "restart nope" "logs nope" "scale nope 2"; do
        # shellcheck disable=SC2086
        if sandbox_exec pmgen $v >"$T_WORK/nope.out" 2>&1; then rcs="$rcs 0"; else rcs="$rcs $?"; fi
done
if [ "$rcs" = " 5 5 5 5" ] && grep -q "no app 'nope' (known: api, web)" "$T_WORK/nope.out"; then
        pass "unknown app" "exit 5: $(head -n 1 "$T_WORK/nope.out")"
else
        fail "unknown app" "exits$rcs: $(cat "$T_WORK/nope.out")"
fi

heading "apply: another file, conflicts and --prune"
# shellcheck disable=SC2016
sandbox_exec sh -c 'mkdir -p /srv/other; printf "module.exports = { apps: [ { name: \"web\", script: \"/srv/apps/server.js\" } ] };\n" \
        >/srv/other/ecosystem.config.js
        printf "module.exports = { apps: [ { name: \"solo\", script: \"/srv/apps/server.js\" } ] };\n" >/srv/other/solo.config.js'
if pm conflict apply /srv/other/ecosystem.config.js; then rc=0; else rc=$?; fi
if [ "$rc" = 1 ] && grep -q "error: app 'web' is already declared in $DECL" "$T_WORK/conflict.out" &&
        ! sandbox_exec test -e /etc/pmgen/ecosystem.config-2.ini; then
        pass "same app from another file" "exit 1: $(grep -m1 -o "app 'web' is already.*" "$T_WORK/conflict.out")"
else
        show conflict
        fail "same app from another file" "exit $rc"
fi
pm prune apply --dry-run --prune /srv/other/solo.config.js || fail "--prune --dry-run" "exit $?"
if grep -q '+ solo: added' "$T_WORK/prune.out" && grep -q -- '- web: removed' "$T_WORK/prune.out" &&
        grep -q -- '- api: removed' "$T_WORK/prune.out" && grep -q '^dry run: nothing was changed' "$T_WORK/prune.out" &&
        instances_are web 2; then
        pass "--prune --dry-run" "solo added, web and api (another file) would be removed; nothing changed"
else
        show prune
        fail "--prune --dry-run" "unexpected plan"
fi

heading "an apply that fails half way says what it did"
# shellcheck disable=SC2016
sandbox_exec sh -c 'printf "#!/bin/sh\necho crashing >&2\nexit 3\n" >/srv/apps/crash.sh; chmod 755 /srv/apps/crash.sh
        printf "module.exports = { apps: [ { name: \"crash\", script: \"crash.sh\", cwd: __dirname, max_restarts: 2 } ] };\n" \
                >/srv/apps/crash.config.js'
t0=$SECONDS
if pm crash apply /srv/apps/crash.config.js; then rc=0; else rc=$?; fi
show crash
if [ "$rc" = 4 ] && grep -q '^pmgen: apply failed: .*crash@0.service' "$T_WORK/crash.out" &&
        grep -q 'the new declarations are in place and loaded' "$T_WORK/crash.out" &&
        grep -q 'see `pmgen logs crash`' "$T_WORK/crash.out" && sandbox_exec test -e /etc/pmgen/crash.config.ini; then
        pass "failed apply" "exit 4 after $((SECONDS - t0)) s; names crash@0.service and what was done"
else
        fail "failed apply" "exit $rc"
fi
pm crashdel delete crash || { show crashdel; fail "delete crash" "exit $?"; }
sandbox_exec test -e /etc/pmgen/crash.config.ini && fail "delete crash" "its file is still there" ||
        pass "delete crash" "/etc/pmgen/crash.config.ini removed with its only app"

heading "import a PM2 dump"
if [ ! -x "$PM2_DIR/node_modules/.bin/pm2" ]; then
        fail "pm2 from npm" "not installed (see $T_WORK/npm.log)"
else
        install_apps /srv/pm2apps
        # shellcheck disable=SC2016
        sandbox_exec sh -c 'cat >/srv/pm2apps/pm2.config.js <<EOF
module.exports = { apps: [
  { name: "p2web", script: "server.js", cwd: "/srv/pm2apps", exec_mode: "cluster", instances: 2,
    env: { PORT: $1, GREETING: "from pm2" }, kill_timeout: 2500, max_memory_restart: "150M" },
  { name: "p2job", script: "server.js", cwd: "/srv/pm2apps", args: ["--queue", "a b"],
    env: { PORT: $2, GREETING: "job from pm2" } },
] };
EOF' sh "$P2WEB" "$P2JOB"
        PM2="env PM2_HOME=/root/.pm2 $PM2_DIR/node_modules/.bin/pm2"
        # shellcheck disable=SC2086
        if sandbox_exec $PM2 start /srv/pm2apps/pm2.config.js >"$T_WORK/pm2.log" 2>&1 && sandbox_exec $PM2 save >>"$T_WORK/pm2.log" 2>&1 &&
                [ "$(get_json "$P2WEB" greeting)" = "from pm2" ]; then
                pass "pm2 ran the apps" "p2web (cluster, 2) and p2job; pm2 save"
        else
                tail -n 20 "$T_WORK/pm2.log" | sed 's/^/   | /'
                fail "pm2 ran the apps" "pm2 start failed"
        fi
        # shellcheck disable=SC2086
        sandbox_exec $PM2 kill >>"$T_WORK/pm2.log" 2>&1 || :
        pm import1 import /root/.pm2/dump.pm2 || { show import1; fail "import" "exit $?"; }
        sed -n '1,40p' "$T_WORK/import1.out" | sed 's/^/   | /'
        if grep -qx 'script = /srv/pm2apps/server.js' "$T_WORK/import1.out" && grep -qx 'instances = 2' "$T_WORK/import1.out" &&
                grep -qx 'exec_mode = cluster' "$T_WORK/import1.out" && grep -qx 'args = --queue "a b"' "$T_WORK/import1.out" &&
                grep -qx 'kill_timeout = 2500' "$T_WORK/import1.out" && grep -qx "PORT = $P2WEB" "$T_WORK/import1.out" &&
                ! grep -q 'PM2_HOME\|^PATH\|unique_id' "$T_WORK/import1.out"; then
                pass "import" "p2web: cluster, 2 instances, kill_timeout, PORT; p2job: args; PM2's own variables left out"
        else
                fail "import" "unexpected declaration"
        fi
        pm import2 import /root/.pm2/dump.pm2 --apply || { show import2; fail "import --apply" "exit $?"; }
        if instances_are p2web 2 && instances_are p2job 1 && [ "$(get_json "$P2WEB" greeting)" = "from pm2" ] &&
                [ "$(get_json "$P2JOB" greeting)" = "job from pm2" ] && sandbox_exec test -e /etc/pmgen/pm2-dump.ini; then
                pass "import --apply" "p2web@0-1 and p2job@0 run under systemd, answering as under PM2; /etc/pmgen/pm2-dump.ini"
        else
                show import2
                fail "import --apply" "p2web@0 $(unit_prop p2web@0.service ActiveState)"
        fi
fi

t_finish
