#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# PM2's habits against a real systemd, each step checked against what systemd reports:
#   - `pmgen start server.js -i 2 --name api --port P --env K=V`: a declaration in /etc/pmgen/api.ini, two
#     instances active, both answering; the same command again changes nothing;
#   - reboot: a second box booted (to multi-user.target) over the first one's /etc/pmgen and installed files
#     (SANDBOX_SEED, as test-apply does) brings api back from the generator alone;
#   - the `pm2` command (pmgen-pm2-compat's postinst makes /usr/bin/pm2 the alternative) run as a deploy
#     script runs it: startOrReload --env production, jlist read by a jq filter written for PM2's shape,
#     reload of the file (new app processes even with the file unchanged), restart --update-env, stop/start,
#     scale, sendSignal, logs --nostream, describe, the explained no-ops (save, startup, flush …), process ids
#     refused, delete of the file;
#   - `pmgen monit` in tmux (send-keys, capture-pane): both instances with their pids and memory against
#     the limit, as systemd reports them; the r key reloads; q quits;
#   - `pmgen delete api` leaves nothing: no unit, no process, no socket, no declaration, no backup;
#   - the postinst leaves a real /usr/bin/pm2 alone, and the prerm removes the alternative.
# Ports 18801-18803.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=apply-lib.sh
. "$here/apply-lib.sh"

API=18801 WEB=18802 JOBS=18803
DIAG_UNITS="api@* web@* jobs@*"
SRV=/srv/habits
require_free_ports "$API" "$WEB" "$JOBS"
for tool in jq tmux; do
        command -v "$tool" >/dev/null || { echo "test-habits: needs $tool (tests/deps.sh installs it)" >&2; exit 1; }
done
t_init habits

sandbox_trap
sandbox_boot habits
install_pmgen
# The app and a PM2-style ecosystem file with two apps, as a deploy checkout has them.
sandbox_exec sh -ec 'rm -rf "$1"; mkdir -p "$1"; cp "$2/contrib/examples/server.js" "$1/"
        cat >"$1/ecosystem.config.js" <<JS
module.exports = {
  apps: [
    { name: "web", script: "server.js", cwd: __dirname, instances: 2, exec_mode: "cluster", port: $3,
      kill_timeout: 3000, env: { GREETING: "web v1" }, env_production: { NODE_ENV: "production" } },
    { name: "jobs", script: "server.js", cwd: __dirname, port: $4, env: { GREETING: "jobs v1" } },
  ],
};
JS
        chmod -R u=rwX,go=rX "$1"' sh "$SRV" "$SANDBOX_REPO" "$WEB" "$JOBS" || fatal "setup" "cannot write $SRV"

# Greetings of the instances answering on PORT over N new connections: "INSTANCE GREETING" lines, sorted, unique.
answers() { # PORT N
        local i
        for ((i = 0; i < $2; i++)); do
                curl -sS --max-time 5 "http://127.0.0.1:$1/" 2>/dev/null |
                        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["instance"], d["greeting"], d["node_env"])' 2>/dev/null || echo fail
        done | sort -u
}
app_pids() { # APP N: the app processes (the shims' children) of instances 0..N-1
        local i
        for ((i = 0; i < $2; i++)); do box_children "$(unit_prop "$1@$i.service" MainPID)"; echo; done | paste -sd ' ' -
}

heading "pmgen start SCRIPT"
# shellcheck disable=SC2016
if sandbox_sh 'cd "$1" && pmgen start server.js -i 2 --name api --port "$2" --env GREETING=adhoc --max-memory-restart 300M' "$SRV" "$API" \
        >"$T_WORK/start.out" 2>&1; then
        show start
else
        show start
        fatal "pmgen start server.js -i 2 --name api" "exit status not 0"
fi
decl=$(sandbox_exec cat /etc/pmgen/api.ini 2>/dev/null || :)
if [[ $decl == "; Applied by pmgen from /etc/pmgen/api.ini"* ]] && grep -qx "script = $SRV/server.js" <<<"$decl" &&
        grep -qx "instances = 2" <<<"$decl" && grep -qx "exec_mode = cluster" <<<"$decl" && grep -qx "GREETING = adhoc" <<<"$decl" &&
        [ "$(sandbox_exec stat -c %a /etc/pmgen/api.ini)" = 600 ]; then
        pass "declaration" "/etc/pmgen/api.ini (0600): script, instances 2, cluster, [api env]"
else
        fail "declaration" "$decl"
fi
if wait_until 20 instances_are api 2 && [ "$(unit_prop api@0.service SourcePath)" = /etc/pmgen/api.ini ] &&
        [ "$(unit_prop api@1.socket Listen)" = "[::]:$API (Stream)" ]; then
        pass "systemd runs it" "api@0 and api@1 active, made from /etc/pmgen/api.ini, sockets on $API"
else
        fail "systemd runs it" "api@0 $(unit_prop api@0.service ActiveState), api@1 $(unit_prop api@1.service ActiveState), socket $(unit_prop api@1.socket Listen)"
fi
got=$(answers "$API" 30 | paste -sd , -)
[ "$got" = "0 adhoc None,1 adhoc None" ] && pass "both instances answer" "$got" || fail "both instances answer" "$got"
pids=$(app_pids api 2)
# shellcheck disable=SC2016
sandbox_sh 'cd "$1" && pmgen start server.js -i 2 --name api --port "$2" --env GREETING=adhoc --max-memory-restart 300M' "$SRV" "$API" >"$T_WORK/again.out" 2>&1 || :
if grep -q "nothing to do" "$T_WORK/again.out" && [ "$(app_pids api 2)" = "$pids" ]; then
        pass "the same start again" "nothing to do; the app processes kept ($pids)"
else
        show again
        fail "the same start again" "pids $pids → $(app_pids api 2)"
fi
# A name taken by another source is refused, nothing changed.
sandbox_exec sh -ec 'printf "[other]\nscript = /srv/habits/server.js\n" >/etc/pmgen/taken.ini'
rc=0
sandbox_exec pmgen start "$SRV/server.js" --name taken >"$T_WORK/taken.out" 2>&1 || rc=$?
if [ "$rc" = 1 ] && grep -q "written by hand" "$T_WORK/taken.out" && [ "$(sandbox_exec cat /etc/pmgen/taken.ini)" = "$(printf '[other]\nscript = /srv/habits/server.js')" ]; then
        pass "a name that is not start's" "exit 1, the hand-written taken.ini untouched"
else
        show taken
        fail "a name that is not start's" "exit $rc"
fi
sandbox_exec rm -f /etc/pmgen/taken.ini
rc=0
sandbox_exec pmgen start "$SRV/server.js" --no-daemon >"$T_WORK/nodaemon.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "pmgen logs NAME -f" "$T_WORK/nodaemon.out" && pass "--no-daemon refused" "$(head -n 1 "$T_WORK/nodaemon.out")" ||
        fail "--no-daemon refused" "exit $rc: $(cat "$T_WORK/nodaemon.out")"

heading "reboot: a second box over the first one's files"
SEED=$T_WORK/seed
rm -rf "$SEED"
mkdir -p "$SEED"
keep=()
[ "${PMGEN_TEST_PREBUILT:-0}" = 1 ] && keep=(-o build/pmgen -o build/pmgen-shim -o build/libpmgen-bind.so)
make -s -C "$SANDBOX_REPO" "${keep[@]}" install PREFIX=/usr/local DESTDIR="$SEED" >"$T_WORK/seed-install.log" 2>&1 ||
        fatal "seed" "make install DESTDIR=$SEED failed (log: $T_WORK/seed-install.log)"
sandbox_exec tar -C / -cf - etc/pmgen srv/habits | tar -C "$SEED" -xf - || fatal "seed" "cannot copy /etc/pmgen out of the box"
mkdir -p "$SEED/etc/systemd/system"
for w in /etc/systemd/system/multi-user.target.wants/* /lib/systemd/system/multi-user.target.wants/* \
        /usr/lib/systemd/system/multi-user.target.wants/*; do
        [ -e "$w" ] || [ -L "$w" ] || continue
        ln -sf /dev/null "$SEED/etc/systemd/system/${w##*/}"
done
sandbox_teardown habits
t_boot=$SECONDS
export SANDBOX_SEED=$SEED SANDBOX_UNIT=multi-user.target
sandbox_boot habits-reboot
unset SANDBOX_SEED SANDBOX_UNIT
if wait_until 60 instances_are api 2 && [ "$(unit_prop api@0.service SourcePath)" = /etc/pmgen/api.ini ] &&
        [[ " $(unit_prop multi-user.target Wants) " == *" api.target "* ]]; then
        pass "api back after boot" "2 instances active $((SECONDS - t_boot)) s after the boot began; multi-user.target wants api.target"
else
        fail "api back after boot" "api@0 $(unit_prop api@0.service ActiveState), api@1 $(unit_prop api@1.service ActiveState)"
fi
got=$(answers "$API" 30 | paste -sd , -)
[ "$got" = "0 adhoc None,1 adhoc None" ] && pass "answers after boot" "$got" || fail "answers after boot" "$got"

heading "the pm2 command, as a deploy script runs it"
# What pmgen-pm2-compat installs: /usr/bin/pmgen-pm2 (→ pmgen) and its postinst.
sandbox_exec ln -sf /usr/local/bin/pmgen /usr/bin/pmgen-pm2
sandbox_exec sh "$SANDBOX_REPO/pkg/deb/pmgen-pm2-compat.postinst" configure >"$T_WORK/postinst.out" 2>&1 ||
        { show postinst; fatal "postinst" "failed"; }
if [ "$(sandbox_exec readlink -f /usr/bin/pm2)" = /usr/local/bin/pmgen ] && [ "$(sandbox_exec pm2 -v)" = "$(sandbox_exec pmgen --version | cut -d' ' -f2)" ]; then
        pass "pm2 is the alternative" "/usr/bin/pm2 → /etc/alternatives/pm2 → /usr/bin/pmgen-pm2; pm2 -v $(sandbox_exec pm2 -v)"
else
        fail "pm2 is the alternative" "$(sandbox_exec ls -l /usr/bin/pm2 2>&1)"
fi
p2() { # NAME ARG…: pm2 run from the checkout, as a deploy hook does; output in $T_WORK/NAME.out
        local name=$1 rc=0
        shift
        # shellcheck disable=SC2016
        sandbox_sh 'cd "$1"; shift; exec pm2 "$@"' "$SRV" "$@" >"$T_WORK/$name.out" 2>&1 || rc=$?
        return "$rc"
}
# --only: just the apps named; a later start of the whole file keeps what --only applied.
p2 only start ecosystem.config.js --only jobs --env production || { show only; fail "start --only jobs" "exit $?"; }
if wait_until 20 instances_are jobs 1 && [ "$(unit_prop web.target LoadState)" = not-found ] &&
        grep -qx "\[jobs\]" <<<"$(sandbox_exec cat /etc/pmgen/ecosystem.config.ini)" &&
        ! grep -qx "\[web\]" <<<"$(sandbox_exec cat /etc/pmgen/ecosystem.config.ini)"; then
        pass "start ecosystem.config.js --only jobs" "jobs@0 active; web not declared"
else
        show only
        fail "start --only jobs" "jobs@0 $(unit_prop jobs@0.service ActiveState), web.target $(unit_prop web.target LoadState)"
fi
p2 deploy1 startOrReload ecosystem.config.js --env production || { show deploy1; fail "startOrReload" "exit $?"; }
if wait_until 20 instances_are web 2 && instances_are jobs 1; then
        pass "startOrReload ecosystem.config.js --env production" "web 2 and jobs 1 active"
else
        show deploy1
        fail "startOrReload" "web@0 $(unit_prop web@0.service ActiveState), jobs@0 $(unit_prop jobs@0.service ActiveState)"
fi
got=$(answers "$WEB" 20 | paste -sd , -)
[ "$got" = "0 web v1 production,1 web v1 production" ] && pass "env_production applied" "$got" || fail "env_production applied" "$got"

# jlist read the way scripts written for PM2 read it.
sandbox_exec pm2 jlist >"$T_WORK/jlist.json" || fail "jlist" "exit $?"
jq_rows=$(jq -r '.[] | select(.name == "web" or .name == "jobs") |
        "\(.name) \(.pm2_env.NODE_APP_INSTANCE) \(.pm_id) \(.pid) \(.pm2_env.status) \(.pm2_env.restart_time) \(.pm2_env.pm_uptime) \(.monit.memory) \(.monit.cpu)"' \
        "$T_WORK/jlist.json" 2>&1) || jq_rows="jq failed: $jq_rows"
check_jlist() {
        local name inst id pid st rt up mem cpu u now n=0 ids=""
        now=$(date +%s%3N)
        while read -r name inst id pid st rt up mem cpu; do
                u=$name@$inst.service
                n=$((n + 1))
                ids="$ids $id"
                [ "$st" = online ] && [ "$(unit_prop "$u" ActiveState)" = active ] || { echo "$u: status $st"; return 1; }
                [ "$pid" = "$(box_children "$(unit_prop "$u" MainPID)")" ] || { echo "$u: pid $pid"; return 1; }
                [ "$rt" = "$(unit_prop "$u" NRestarts)" ] || { echo "$u: restart_time $rt"; return 1; }
                [ "$up" -gt $((now - 300000)) ] && [ "$up" -le "$now" ] || { echo "$u: pm_uptime $up (now $now)"; return 1; }
                [ "$mem" -gt 1000000 ] || { echo "$u: memory $mem"; return 1; }
                [[ $cpu =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "$u: cpu $cpu"; return 1; }
        done <<<"$jq_rows"
        [ "$n" = 3 ] || { echo "$n rows: $jq_rows"; return 1; }
        [ "$(jq 'map(.pm_id) | unique | length' "$T_WORK/jlist.json")" = "$(jq length "$T_WORK/jlist.json")" ] ||
                { echo "pm_id not unique:$ids"; return 1; }
}
if why=$(check_jlist); then
        pass "pm2 jlist | jq" "name, pm_id, pid, pm2_env.status/restart_time/pm_uptime, monit.memory/cpu = systemctl show, for 3 instances"
else
        fail "pm2 jlist | jq" "$why"
fi
online=$(sandbox_exec pm2 jlist | jq -r '[.[] | select(.pm2_env.status == "online")] | length')
[ "$online" = 5 ] && pass "a health check's filter" "5 online (api 2, web 2, jobs 1)" || fail "a health check's filter" "$online online"
sandbox_exec pm2 prettylist >"$T_WORK/pretty.json"
if jq -e 'length == 5' "$T_WORK/pretty.json" >/dev/null && grep -q '^    "pm2_env": {' "$T_WORK/pretty.json"; then
        pass "prettylist" "indented, the same 5 rows"
else
        fail "prettylist" "$(head -n 5 "$T_WORK/pretty.json")"
fi

# A deploy of new code with the same ecosystem file: reload replaces the processes, one at a time.
before=$(app_pids web 2)
p2 reload reload ecosystem.config.js --env production || { show reload; fail "reload FILE" "exit $?"; }
after=$(app_pids web 2)
if instances_are web 2 && [ -n "$after" ] && ! grep -qw -F -e "${before%% *}" -e "${before##* }" <<<"$after"; then
        pass "reload ecosystem.config.js (unchanged file)" "web's app processes replaced: $before → $after"
else
        show reload
        fail "reload ecosystem.config.js" "$before → $after"
fi
# A changed environment in the file: reload with --env applies it.
sandbox_exec sed -i 's/web v1/web v2/' "$SRV/ecosystem.config.js"
p2 reload2 reload ecosystem.config.js --env production || { show reload2; fail "reload FILE (changed)" "exit $?"; }
got=$(answers "$WEB" 20 | paste -sd , -)
[ "$got" = "0 web v2 production,1 web v2 production" ] && pass "reload with a changed env" "$got" || fail "reload with a changed env" "$got"
m0=$(unit_prop web@0.service MainPID) m1=$(unit_prop web@1.service MainPID) mj=$(unit_prop jobs@0.service MainPID)
p2 sor startOrRestart ecosystem.config.js --env production || { show sor; fail "startOrRestart" "exit $?"; }
n0=$(unit_prop web@0.service MainPID) n1=$(unit_prop web@1.service MainPID) nj=$(unit_prop jobs@0.service MainPID)
if instances_are web 2 && instances_are jobs 1 && [ "$n0" != "$m0" ] && [ "$n1" != "$m1" ] && [ "$nj" != "$mj" ]; then
        pass "startOrRestart ecosystem.config.js" "MainPIDs web@0 $m0 → $n0, web@1 $m1 → $n1, jobs@0 $mj → $nj"
else
        show sor
        fail "startOrRestart ecosystem.config.js" "MainPIDs web@0 $m0 → $n0, web@1 $m1 → $n1, jobs@0 $mj → $nj"
fi
before=$(app_pids web 2)
p2 sogr startOrGracefulReload ecosystem.config.js --env production || { show sogr; fail "startOrGracefulReload" "exit $?"; }
after=$(app_pids web 2)
if instances_are web 2 && [ -n "$after" ] && ! grep -qw -F -e "${before%% *}" -e "${before##* }" <<<"$after"; then
        pass "startOrGracefulReload ecosystem.config.js" "web's app processes replaced: $before → $after"
else
        show sogr
        fail "startOrGracefulReload ecosystem.config.js" "$before → $after"
fi

# --only: web's processes replaced, jobs untouched (its declaration kept as it was).
jobs_main=$(unit_prop jobs@0.service MainPID) jobs_pid=$(app_pids jobs 1)
before=$(app_pids web 2)
p2 onlyreload reload ecosystem.config.js --only web --env production || { show onlyreload; fail "reload --only web" "exit $?"; }
after=$(app_pids web 2)
if instances_are web 2 && ! grep -qw -F -e "${before%% *}" -e "${before##* }" <<<"$after" &&
        [ "$(unit_prop jobs@0.service MainPID)" = "$jobs_main" ] && [ "$(app_pids jobs 1)" = "$jobs_pid" ] &&
        grep -qx "\[jobs\]" <<<"$(sandbox_exec cat /etc/pmgen/ecosystem.config.ini)"; then
        pass "reload ecosystem.config.js --only web" "web $before → $after; jobs kept its process $jobs_pid and its declaration"
else
        show onlyreload
        fail "reload --only web" "web $before → $after; jobs $jobs_main/$jobs_pid → $(unit_prop jobs@0.service MainPID)/$(app_pids jobs 1)"
fi
main0=$(unit_prop jobs@0.service MainPID)
p2 restart restart jobs --update-env || fail "restart jobs" "exit $?"
[ "$(unit_prop jobs@0.service ActiveState)" = active ] && [ "$(unit_prop jobs@0.service MainPID)" != "$main0" ] &&
        pass "restart jobs --update-env" "jobs@0 MainPID $main0 → $(unit_prop jobs@0.service MainPID)" ||
        fail "restart jobs --update-env" "MainPID $main0 → $(unit_prop jobs@0.service MainPID)"
p2 stop stop jobs || fail "stop jobs" "exit $?"
st=$(unit_prop jobs@0.service ActiveState)
p2 start start jobs || fail "start jobs" "exit $?"
[ "$st" = inactive ] && [ "$(unit_prop jobs@0.service ActiveState)" = active ] && pass "stop / start jobs" "inactive, then active" ||
        fail "stop / start jobs" "$st, then $(unit_prop jobs@0.service ActiveState)"
p2 scale scale web 3 || fail "scale web 3" "exit $?"
wait_until 20 instances_are web 3 && grep -qx "instances = 3" <<<"$(sandbox_exec cat /etc/pmgen/ecosystem.config.ini)" &&
        pass "scale web 3" "web@2 active, the declaration says 3" || { show scale; fail "scale web 3" "$(unit_prop web@2.service ActiveState)"; }
# sendSignal reaches the app processes (the shims' children): server.js stops on SIGINT, systemd restarts it.
w0=$(box_children "$(unit_prop web@0.service MainPID)")
r0=$(unit_prop web@0.service NRestarts)
p2 signal sendSignal SIGINT web || fail "sendSignal" "exit $?"
# (journald may file the app's last line a moment after systemd restarted the unit: wait for both)
restarted() {
        [ "$(unit_prop web@0.service NRestarts)" -gt "$r0" ] && [ "$(unit_prop web@0.service ActiveState)" = active ] &&
                sandbox_exec journalctl --no-pager -o cat -u 'web@0.service' | grep -q "stopping on SIGINT, instance 0, pid $w0"
}
if wait_until 20 restarted; then
        pass "sendSignal SIGINT web" "pid $w0 got SIGINT (its journal says so), NRestarts $r0 → $(unit_prop web@0.service NRestarts)"
else
        show signal
        fail "sendSignal SIGINT web" "NRestarts $(unit_prop web@0.service NRestarts)"
fi
p2 logs logs web --lines 5 --nostream || fail "logs --nostream" "exit $?"
[ "$(grep -c '|web' "$T_WORK/logs.out")" -ge 1 ] && pass "logs web --lines 5 --nostream" "$(grep -c . "$T_WORK/logs.out") lines, returns" ||
        { show logs; fail "logs --nostream" "no line of web"; }
p2 describe describe web || fail "describe" "exit $?"
grep -q "web@0" "$T_WORK/describe.out" && pass "describe web" "names its units" || { show describe; fail "describe web" "no unit"; }
for c in list status; do
        if p2 "$c" "$c" && grep -qw web "$T_WORK/$c.out" && grep -qw jobs "$T_WORK/$c.out" && grep -qw api "$T_WORK/$c.out" &&
                instances_are web 3 && instances_are jobs 1 && instances_are api 2; then
                pass "pm2 $c" "exit 0; names web, jobs and api, whose instances systemd runs"
        else
                show "$c"
                fail "pm2 $c" "no row of web, jobs or api"
        fi
done
wp=$(box_children "$(unit_prop web@0.service MainPID)")
p2 env env web || fail "pm2 env web" "exit $?"
if [ -n "$wp" ] && grep -q "^web@0.service, pid $wp " "$T_WORK/env.out" && grep -q "^NODE_APP_INSTANCE=0 " "$T_WORK/env.out" &&
        grep -q "^GREETING=\*\*\*\* *declared" "$T_WORK/env.out" &&
        sandbox_sh 'tr "\0" "\n" </proc/"$1"/environ' "$wp" | grep -qx "NODE_APP_INSTANCE=0" &&
        sandbox_sh 'tr "\0" "\n" </proc/"$1"/environ' "$wp" | grep -qx "GREETING=web v2"; then
        pass "pm2 env web" "web@0's app (pid $wp, the shim's child): NODE_APP_INSTANCE=0 and GREETING (masked, declared), as its /proc environ has them"
else
        show env
        fail "pm2 env web" "app pid $wp"
fi
want=$(sandbox_exec pm2 jlist | jq -r '[.[] | select(.name == "web") | .pm_id] | "[ " + (map(tostring) | join(", ")) + " ]"')
p2 id id web || fail "pm2 id web" "exit $?"
[ "$(cat "$T_WORK/id.out")" = "$want" ] && [ "$want" != "[  ]" ] && pass "pm2 id web" "$want, the pm_ids jlist gives web's rows" ||
        { show id; fail "pm2 id web" "want $want"; }
p2 pid pid web || fail "pm2 pid web" "exit $?"
want=$(app_pids web 3)
[ "$(paste -sd ' ' "$T_WORK/pid.out")" = "$want" ] && [[ $want =~ ^[0-9]+\ [0-9]+\ [0-9]+$ ]] &&
        pass "pm2 pid web" "$want: the children of web@0..2's MainPIDs (systemctl show)" ||
        { show pid; fail "pm2 pid web" "want $want"; }
for c in save resurrect "startup systemd" unstartup update flush reloadLogs; do
        # shellcheck disable=SC2086
        if p2 note $c && grep -q "^pm2 ${c%% *}: " "$T_WORK/note.out"; then
                pass "pm2 $c" "exit 0: $(head -c 70 "$T_WORK/note.out")…"
        else
                fail "pm2 $c" "$(cat "$T_WORK/note.out")"
        fi
done
# pm_ids: a script takes one process's id from jlist and acts on that process alone.
id=$(sandbox_exec pm2 jlist | jq -r '.[] | select(.name == "web" and .pm2_env.NODE_APP_INSTANCE == 1) | .pm_id')
m0=$(unit_prop web@0.service MainPID) m1=$(unit_prop web@1.service MainPID) m2=$(unit_prop web@2.service MainPID)
p2 idrestart restart "$id" || { show idrestart; fail "pm2 restart ID" "exit $?"; }
if [ -n "$id" ] && [ "$(unit_prop web@1.service ActiveState)" = active ] && [ "$(unit_prop web@1.service MainPID)" != "$m1" ] &&
        [ "$(unit_prop web@0.service MainPID)" = "$m0" ] && [ "$(unit_prop web@2.service MainPID)" = "$m2" ]; then
        pass "pm2 restart $id (web instance 1's pm_id from jlist)" "web@1 MainPID $m1 → $(unit_prop web@1.service MainPID); web@0 and web@2 kept theirs"
else
        show idrestart
        fail "pm2 restart ID" "id '$id'; MainPIDs $m0 $m1 $m2 → $(unit_prop web@0.service MainPID) $(unit_prop web@1.service MainPID) $(unit_prop web@2.service MainPID)"
fi
p2 idstop stop "$id" || fail "pm2 stop ID" "exit $?"
st1=$(unit_prop web@1.service ActiveState) st0=$(unit_prop web@0.service ActiveState)
idnow=$(sandbox_exec pm2 jlist | jq -r ".[] | select(.pm_id == $id) | \"\(.name) \(.pm2_env.NODE_APP_INSTANCE) \(.pm2_env.status)\"")
p2 idstart start "$id" || fail "pm2 start ID" "exit $?"
if [ "$st1" = inactive ] && [ "$st0" = active ] && [ "$idnow" = "web 1 stopped" ] &&
        [ "$(unit_prop web@1.service ActiveState)" = active ]; then
        pass "pm2 stop $id / pm2 start $id" "web@1 inactive while web@0 served, jlist kept pm_id $id for it ($idnow); then active"
else
        show idstop
        show idstart
        fail "pm2 stop / start ID" "web@1 $st1, web@0 $st0, jlist '$idnow', then web@1 $(unit_prop web@1.service ActiveState)"
fi
p2 idlogs logs "$id" --lines 30 --nostream || fail "pm2 logs ID" "exit $?"
if [ "$(grep -c '^1|web' "$T_WORK/idlogs.out")" -ge 1 ] && ! grep -v '^1|web' "$T_WORK/idlogs.out" | grep -q '|web'; then
        pass "pm2 logs $id --nostream" "$(grep -c '^1|web' "$T_WORK/idlogs.out") lines, all of web@1"
else
        show idlogs
        fail "pm2 logs ID" "lines of other instances, or none"
fi
rc=0
p2 idnone restart 999 || rc=$?
[ "$rc" = 5 ] && grep -q "no process with pm_id 999" "$T_WORK/idnone.out" && pass "pm2 restart 999" "exit 5: no such pm_id" ||
        { show idnone; fail "pm2 restart 999" "exit $rc"; }
rc=0
p2 unknown deploy production update || rc=$?
[ "$rc" = 2 ] && grep -q "deploy tool" "$T_WORK/unknown.out" && pass "pm2 deploy" "exit 2, names the way: $(cat "$T_WORK/unknown.out")" ||
        fail "pm2 deploy" "exit $rc"
p2 deljobs delete jobs || { show deljobs; fail "pm2 delete jobs" "exit $?"; }
if [ "$(unit_prop jobs@0.service LoadState)" = not-found ] && [ "$(unit_prop jobs.target LoadState)" = not-found ] &&
        ! grep -qx "\[jobs\]" <<<"$(sandbox_exec cat /etc/pmgen/ecosystem.config.ini)" && instances_are web 3; then
        pass "pm2 delete jobs" "jobs@0 and jobs.target not-found, [jobs] gone from the declaration; web still runs"
else
        show deljobs
        fail "pm2 delete jobs" "jobs@0 $(unit_prop jobs@0.service LoadState), jobs.target $(unit_prop jobs.target LoadState)"
fi
p2 kill kill || { show kill; fail "pm2 kill" "exit $?"; }
all_down() {
        local u
        for u in web@0 web@1 web@2 api@0 api@1; do
                [ "$(unit_prop "$u.service" ActiveState)" = inactive ] || return 1
        done
}
if all_down; then
        pass "pm2 kill" "web@0..2 and api@0..1 inactive"
else
        show kill
        fail "pm2 kill" "web@0 $(unit_prop web@0.service ActiveState), api@0 $(unit_prop api@0.service ActiveState)"
fi
p2 startall start all || { show startall; fail "pm2 start all" "exit $?"; }
wait_until 20 instances_are api 2 && instances_are web 3 && pass "pm2 start all" "api 2 and web 3 active again" ||
        { show startall; fail "pm2 start all" "api@0 $(unit_prop api@0.service ActiveState)"; }
p2 delete delete ecosystem.config.js || { show delete; fail "delete FILE" "exit $?"; }
gone() { [ "$(unit_prop web@0.service LoadState)" = not-found ] && [ "$(unit_prop jobs@0.service LoadState)" = not-found ]; }
if gone && ! sandbox_exec test -e /etc/pmgen/ecosystem.config.ini && instances_are api 2; then
        pass "delete ecosystem.config.js" "web and jobs gone, their declaration removed, api untouched"
else
        show delete
        fail "delete ecosystem.config.js" "web@0 $(unit_prop web@0.service LoadState), jobs@0 $(unit_prop jobs@0.service LoadState)"
fi

heading "pmgen monit, driven in tmux"
TMUX_SOCK=pmgen-habits-$$
rm -f "$T_WORK/monit.rc"
# shellcheck disable=SC2034 # read by tests/sandbox/lib.sh's traps
SANDBOX_ON_EXIT="$SANDBOX_ON_EXIT; tmux -L $TMUX_SOCK kill-server 2>/dev/null || :"
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s monit -x 150 -y 40 \; set-option -g remain-on-exit on \; \
        respawn-pane -k -t monit "nsenter -t $SANDBOX_PID -a env -i PATH=$SANDBOX_PATH HOME=/root LANG=C.UTF-8 TERM=screen \
                pmgen monit; echo \$? >$T_WORK/monit.rc" ||
        fatal "tmux" "cannot start pmgen monit in tmux"
screen_() { tmux -L "$TMUX_SOCK" capture-pane -p -t monit 2>/dev/null | tee "$T_WORK/monit.screen"; }
# A row of the screen: "> api 0 PID online UPTIME RESTARTS CPU MEM / LIMIT [bar]"
monit_row() { # INSTANCE → "PID MEMORY LIMIT" of api's row
        screen_ | sed -n "s/^[> ] api  *$1  *\([0-9][0-9]*\)  *online  *[^ ]*  *[0-9]*  *[0-9.]*%  *\([^ ]*\) \/ \([^ ]*\).*/\1 \2 \3/p"
}
both_shown() { [ -n "$(monit_row 0)" ] && [ -n "$(monit_row 1)" ] && screen_ | grep -q "^-- journal: api"; }
to_bytes() { python3 -c 'import sys; v=sys.argv[1]; u={"b":1,"kb":1024,"mb":1024**2,"gb":1024**3};
import re; m=re.fullmatch(r"([0-9.]+)(b|kb|mb|gb)", v); print(int(float(m.group(1))*u[m.group(2)]) if m else -1)' "$1"; }
check_monit() {
        local i pid mem lim cur
        for i in 0 1; do
                read -r pid mem lim <<<"$(monit_row "$i")"
                [ "$pid" = "$(box_children "$(unit_prop "api@$i.service" MainPID)")" ] || { echo "api@$i: pid $pid"; return 1; }
                cur=$(unit_prop "api@$i.service" MemoryCurrent)
                mem=$(to_bytes "$mem")
                python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if 0.5*b <= a <= 2*b else 1)' \
                        "$mem" "$cur" || { echo "api@$i: memory $mem vs MemoryCurrent $cur"; return 1; }
                [ "$lim" = 300.0mb ] || { echo "api@$i: limit $lim"; return 1; }
        done
}
if wait_until 15 both_shown && why=$(check_monit); then
        pass "the screen" "api 0 and 1: pids = the shims' children, memory = MemoryCurrent ±2×, limit 300.0mb; the journal of api"
else
        sed 's/^/   | /' "$T_WORK/monit.screen"
        fail "the screen" "${why:-not both instances}"
fi
before=$(app_pids api 2)
tmux -L "$TMUX_SOCK" send-keys -t monit r
reloaded() { screen_ | grep -q "reload api: done"; }
if wait_until 30 reloaded && after=$(app_pids api 2) && instances_are api 2 &&
        ! grep -qw -F -e "${before%% *}" -e "${before##* }" <<<"$after"; then
        pass "r reloads" "'reload api: done'; api's app processes $before → $after"
else
        sed 's/^/   | /' "$T_WORK/monit.screen"
        fail "r reloads" "app processes $before → $(app_pids api 2)"
fi
tmux -L "$TMUX_SOCK" send-keys -t monit q
quit_() { [ -s "$T_WORK/monit.rc" ]; }
if wait_until 10 quit_ && [ "$(cat "$T_WORK/monit.rc")" = 0 ] && ! sandbox_exec pgrep -x pmgen >/dev/null; then
        pass "q quits" "exit status 0, no pmgen left running"
else
        fail "q quits" "exit status $(cat "$T_WORK/monit.rc" 2>/dev/null || echo none)"
fi
tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || :

heading "pmgen delete api"
main0=$(unit_prop api@0.service MainPID)
pm delete delete api || { show delete; fail "pmgen delete api" "exit $?"; }
left=$(sandbox_sh 'ls -d /etc/pmgen/api.ini* /run/systemd/generator/api@* /run/systemd/generator/api.* \
        /run/systemd/generator/*/api.* /run/systemd/generator/*/api@* 2>/dev/null || :')
procs=$(sandbox_sh 'pgrep -f "^/usr/local/libexec/pmgen/pmgen-shim.*api" | wc -l')
if [ "$(unit_prop api@0.service LoadState)" = not-found ] && [ "$(unit_prop api@1.socket LoadState)" = not-found ] &&
        [ -z "$left" ] && [ "$procs" = 0 ] && ! sandbox_exec test -d "/proc/$main0" && ! port_in_use "$API"; then
        pass "nothing left" "units not-found, no declaration or backup, no generated file, no process, port $API closed"
else
        show delete
        fail "nothing left" "left: $left; $procs processes; api@0 $(unit_prop api@0.service LoadState); port in use: $(port_in_use "$API" && echo yes || echo no)"
fi

heading "the package's maintainer scripts"
sandbox_exec sh "$SANDBOX_REPO/pkg/deb/pmgen-pm2-compat.prerm" remove >"$T_WORK/prerm.out" 2>&1 || fail "prerm" "$(cat "$T_WORK/prerm.out")"
if ! sandbox_exec test -e /usr/bin/pm2 && ! sandbox_exec test -L /usr/bin/pm2; then
        pass "prerm remove" "/usr/bin/pm2 gone with the alternative"
else
        fail "prerm remove" "$(sandbox_exec ls -l /usr/bin/pm2 2>&1)"
fi
sandbox_exec sh -ec 'printf "#!/bin/sh\necho real pm2\n" >/usr/bin/pm2; chmod 755 /usr/bin/pm2'
sandbox_exec sh "$SANDBOX_REPO/pkg/deb/pmgen-pm2-compat.postinst" configure >"$T_WORK/postinst2.out" 2>&1 || fail "postinst over a real pm2" "exit $?"
if [ "$(sandbox_exec pm2)" = "real pm2" ] && grep -q "left as it is" "$T_WORK/postinst2.out"; then
        pass "a real PM2 is never shadowed" "postinst left /usr/bin/pm2 as it was: $(cat "$T_WORK/postinst2.out")"
else
        fail "a real PM2 is never shadowed" "pm2 says $(sandbox_exec pm2 2>&1 | head -n 1)"
fi

t_finish
