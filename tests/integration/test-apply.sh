#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# pmgen apply in a real systemd, then a reboot:
#   - a 3-app ecosystem file (tests/integration/apps/: web and api in cluster mode with 2 instances, a worker)
#     applied with --env production: every instance up and answering; /etc/pmgen/ecosystem.config.ini is
#     0600, names its source and profile, has the profile merged (no env_ section) and absolute paths;
#     every generated unit passes `systemd-analyze verify`;
#   - a broken file: exit 1, nothing written or touched;
#   - the same input again: "nothing to do", no file rewritten, no process restarted;
#   - web's env and instance count changed, with loads running against all three apps: only web's instances
#     restart, one at a time (each started before the next stops), web@2 starts, not one request fails;
#   - worker removed from the file: its units and processes are gone, the others untouched;
#   - reboot: a new box booted over the same /etc/pmgen (and the installed generator) brings web back with 3
#     instances and api with 2, from the generator alone.
# Ports 18220-18222.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=apply-lib.sh
. "$here/apply-lib.sh"

WEB=18220 API=18221 WORKER=18222
DIAG_UNITS="web.target web@* api@* worker@*"
DECL=/etc/pmgen/ecosystem.config.ini
SRC=/srv/apps/ecosystem.config.js
require_free_ports "$WEB" "$API" "$WORKER"
t_init apply
sandbox_trap
sandbox_boot apply
install_pmgen
install_apps

heading "apply a 3-app ecosystem file"
t0=$SECONDS
pm apply1 apply "$SRC" --env production || { show apply1; fatal "apply" "pmgen apply $SRC --env production failed"; }
show apply1
for a in web api worker; do grep -q "+ $a: added" "$T_WORK/apply1.out" || fail "plan" "no '+ $a: added' line"; done
if instances_are web 2 && instances_are api 2 && instances_are worker 1; then
        pass "instances" "web@0-1, api@0-1, worker@0 active ($((SECONDS - t0)) s)"
else
        fatal "instances" "not all active"
fi
answers=$(get_json "$WEB" greeting),$(get_json "$API" greeting),$(get_json "$WORKER" greeting),$(get_json "$WEB" node_env)
if [ "$answers" = "web v1,api v1,worker v1,production" ]; then
        pass "apps answer" "$answers"
else
        fail "apps answer" "$answers"
fi
# shellcheck disable=SC2016
meta=$(sandbox_exec stat -c '%a %U' "$DECL")
head1=$(sandbox_exec head -n 1 "$DECL")
if [ "$meta" = "600 root" ] && [ "$head1" = "; Applied by pmgen from $SRC with --env production" ] &&
        ! sandbox_exec grep -q 'env_' "$DECL" && sandbox_exec grep -qx 'cwd = /srv/apps' "$DECL" &&
        sandbox_exec grep -qx 'script = /srv/apps/server.js' "$DECL" && sandbox_exec grep -qx 'NODE_ENV = production' "$DECL"; then
        pass "the stored declaration" "$DECL: mode $meta, '$head1', profile merged, paths absolute"
else
        fail "the stored declaration" "mode '$meta', first line '$head1':"$'\n'"$(sandbox_exec cat "$DECL" | sed 's/^/   | /')"
fi
verify=$(sandbox_sh 'cd /run/systemd/generator && systemd-analyze verify --man=no *.service *.socket *.target 2>&1' || :)
if [ -z "$verify" ]; then
        pass "systemd-analyze verify" "silent on $(sandbox_sh 'cd /run/systemd/generator && ls *.service *.socket *.target' | tr '\n' ' ')"
else
        fail "systemd-analyze verify" "$verify"
fi

heading "a broken file changes nothing"
sandbox_exec sh -c "sed 's/instances: 2,/instances: \"two\",/' $SRC >/srv/apps/broken.config.js"
before=$(sandbox_exec sha256sum "$DECL")
if pm broken apply /srv/apps/broken.config.js; then
        fail "broken file" "exit 0"
elif grep -q '^/srv/apps/broken.config.js:[0-9]*:[0-9]*: error: instances' "$T_WORK/broken.out" &&
        grep -q 'nothing was changed' "$T_WORK/broken.out" && [ "$(sandbox_exec sha256sum "$DECL")" = "$before" ] &&
        ! sandbox_exec test -e /etc/pmgen/broken.config.ini; then
        pass "broken file" "exit 1, $(grep -m1 error "$T_WORK/broken.out")"
else
        show broken
        fail "broken file" "unexpected output or files changed"
fi

heading "apply the same input again"
pids_of() { # the main pids of every instance, one line
        local u out=
        for u in web@0 web@1 api@0 api@1 worker@0; do out="$out $u=$(unit_prop "$u.service" MainPID)"; done
        echo "$out"
}
pids1=$(pids_of)
mtime1=$(sandbox_exec stat -c %Y.%X "$DECL")
pm apply2 apply "$SRC" --env production || { show apply2; fail "second apply" "exit status $?"; }
if grep -qx 'nothing to do' "$T_WORK/apply2.out" && [ "$(pids_of)" = "$pids1" ] &&
        [ "$(sandbox_exec stat -c %Y.%X "$DECL")" = "$mtime1" ] && ! grep -q 'wrote\|reloaded' "$T_WORK/apply2.out"; then
        pass "nothing to do" "same pids, $DECL untouched"
else
        show apply2
        fail "nothing to do" "pids $pids1 → $(pids_of)"
fi

heading "change web's env and instance count under load"
sandbox_exec sed -i -e "s/GREETING: 'web v1'/GREETING: 'web v2'/" -e '0,/instances: 2,/s//instances: 3,/' "$SRC"
api_pids=$(unit_prop api@0.service MainPID),$(unit_prop api@1.service MainPID),$(unit_prop worker@0.service MainPID)
web_pids=$(unit_prop web@0.service MainPID),$(unit_prop web@1.service MainPID)
loads_start "$T_WORK/load-web.txt" "$WEB"
loads_start "$T_WORK/load-api.txt" "$API"
loads_start "$T_WORK/load-worker.txt" "$WORKER"
sleep 1
t_change=$(sandbox_exec date +%s.%N)
pm apply3 apply "$SRC" --env production || { show apply3; fail "apply the change" "exit status $?"; }
sleep 1
loads_stop
show apply3
if grep -q '~ web: changed, 2 instances restart one at a time' "$T_WORK/apply3.out" &&
        grep -q 'env.GREETING: changed' "$T_WORK/apply3.out" && grep -q 'instances: 2 → 3' "$T_WORK/apply3.out" &&
        grep -q '    api: unchanged' "$T_WORK/apply3.out" && ! grep -q 'web v2' "$T_WORK/apply3.out"; then
        pass "plan" "web changed (env.GREETING, no value shown; instances 2 → 3), api and worker unchanged"
else
        fail "plan" "unexpected plan"
fi
new_web=$(unit_prop web@0.service MainPID),$(unit_prop web@1.service MainPID)
now_api=$(unit_prop api@0.service MainPID),$(unit_prop api@1.service MainPID),$(unit_prop worker@0.service MainPID)
if instances_are web 3 && [ "$now_api" = "$api_pids" ] && [ "${new_web%,*}" != "${web_pids%,*}" ] &&
        [ "${new_web#*,}" != "${web_pids#*,}" ]; then
        pass "only web restarted" "web main pids $web_pids → $new_web, web@2 started; api/worker $now_api unchanged"
else
        fail "only web restarted" "web $web_pids → $new_web ($(unit_prop web@2.service ActiveState) web@2); api/worker $api_pids → $now_api"
fi
# One at a time: web@0 was started again before web@1 began to stop (systemd's own journal records).
sandbox_exec journalctl --no-pager -o json --since "@$t_change" -u web@0.service -u web@1.service >"$T_WORK/restart.json"
order=$(python3 - "$T_WORK/restart.json" <<'EOF'
import json, sys
STARTED, STOPPING = "39f53479d3a045ac8e11786248231fbf", "de5b426a63be47a7b6ac3eaac82e2f6f"
t = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    key = (e.get("UNIT"), e.get("MESSAGE_ID"))
    if key[1] in (STARTED, STOPPING) and key not in t:
        t[key] = int(e["__REALTIME_TIMESTAMP"])
s0 = t.get(("web@0.service", STOPPING)); a0 = t.get(("web@0.service", STARTED))
s1 = t.get(("web@1.service", STOPPING)); a1 = t.get(("web@1.service", STARTED))
ok = None not in (s0, a0, s1, a1) and s0 < a0 <= s1 < a1
print(("ok" if ok else "bad"), "web@0 stop", s0, "start", a0, "; web@1 stop", s1, "start", a1)
EOF
)
if [ "${order%% *}" = ok ]; then
        pass "one at a time" "web@0 was active again before web@1 stopped"
else
        fail "one at a time" "$order"
fi
for f in web api worker; do
        sum=$(responses_summary "$T_WORK/load-$f.txt")
        if [ "$(field "$sum" fail)" = 0 ] && [ "$(field "$sum" ok)" -gt 5 ]; then
                pass "no failed request ($f)" "$(field "$sum" ok) requests, 0 failed, greetings '$(field "$sum" greetings)'"
        else
                fail "no failed request ($f)" "$(oneline "$sum"): $(grep '^fail' "$T_WORK/load-$f.txt" | sort | uniq -c | head -n 3 | tr '\n' ';')"
        fi
done
g=$(for i in 1 2 3 4 5 6; do get_json "$WEB" greeting; done | sort -u | tr '\n' ' ')
[ "$g" = "web v2 " ] && pass "new env" "web answers '${g% }'" || fail "new env" "web answers '$g'"

heading "remove worker from the file"
sandbox_exec python3 - "$SRC" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"\n[ \t]*\{[ \t]*\n[ \t]*name: 'worker',.*?\n[ \t]*\},", "", s, flags=re.S)
open(p, "w").write(s)
EOF
sandbox_exec grep -q "name: 'worker'" "$SRC" && fatal "edit" "worker is still in $SRC"
kept=$(unit_prop web@0.service MainPID),$(unit_prop api@0.service MainPID)
pm apply4 apply "$SRC" --env production || { show apply4; fail "apply the removal" "exit status $?"; }
show apply4
worker_left() {
        [ "$(unit_prop worker@0.service LoadState)" = not-found ] && [ "$(unit_prop worker.target LoadState)" = not-found ] &&
                ! port_in_use "$WORKER"
}
if grep -q -- '- worker: removed' "$T_WORK/apply4.out" && wait_until 10 worker_left; then
        pass "worker removed" "worker@0.service and worker.target not-found, port $WORKER closed"
else
        fail "worker removed" "worker@0 $(unit_prop worker@0.service LoadState)/$(unit_prop worker@0.service ActiveState)"
fi
procs=$(sandbox_exec ps -e -o args= | grep -c '[a]pp=worker' || :)
[ "$procs" = 0 ] && pass "no worker process" "no shim for worker left" || fail "no worker process" "$procs left"
if [ "$(unit_prop web@0.service MainPID),$(unit_prop api@0.service MainPID)" = "$kept" ] && instances_are web 3 &&
        instances_are api 2; then
        pass "the others untouched" "web@0 and api@0 kept their pids"
else
        fail "the others untouched" "$kept → $(unit_prop web@0.service MainPID),$(unit_prop api@0.service MainPID)"
fi

heading "reboot: a new box over the same /etc/pmgen"
SEED=$T_WORK/seed
rm -rf "$SEED"
mkdir -p "$SEED"
# What the machine has on disk: pmgen installed, its declarations, the apps.
keep=()
[ "${PMGEN_TEST_PREBUILT:-0}" = 1 ] && keep=(-o build/pmgen -o build/pmgen-shim -o build/libpmgen-bind.so)
make -s -C "$SANDBOX_REPO" "${keep[@]}" install PREFIX=/usr/local DESTDIR="$SEED" >"$T_WORK/seed-install.log" 2>&1 ||
        fatal "seed" "make install DESTDIR=$SEED failed (log: $T_WORK/seed-install.log)"
sandbox_exec tar -C / -cf - etc/pmgen srv/apps | tar -C "$SEED" -xf - || fatal "seed" "cannot copy /etc/pmgen out of the box"
# It boots to multi-user.target, as a server does, the generator's multi-user.target.wants/ links being what
# starts the apps; what the host itself enabled there stays masked (postgresql would listen on the shared
# network namespace).
mkdir -p "$SEED/etc/systemd/system"
for w in /etc/systemd/system/multi-user.target.wants/* /lib/systemd/system/multi-user.target.wants/* \
        /usr/lib/systemd/system/multi-user.target.wants/*; do
        [ -e "$w" ] || [ -L "$w" ] || continue
        ln -sf /dev/null "$SEED/etc/systemd/system/${w##*/}"
done
sandbox_teardown apply
t_boot=$SECONDS
export SANDBOX_SEED=$SEED SANDBOX_UNIT=multi-user.target
sandbox_boot apply-reboot
unset SANDBOX_SEED SANDBOX_UNIT
up_again() {
        instances_are web 3 && instances_are api 2
}
if wait_until 60 up_again; then
        pass "apps back after boot" "web 3, api 2 instances active $((SECONDS - t_boot)) s after the boot began"
else
        fail "apps back after boot" "web@2 $(unit_prop web@2.service ActiveState), api@1 $(unit_prop api@1.service ActiveState)"
fi
src=$(unit_prop web@0.service SourcePath)
wanted=$(unit_prop multi-user.target Wants)
if [ "$src" = "$DECL" ] && [[ " $wanted " == *" web.target "* ]] && [[ " $wanted " == *" api.target "* ]]; then
        pass "made by the generator" "SourcePath=$src; multi-user.target wants web.target and api.target"
else
        fail "made by the generator" "SourcePath=$src; multi-user.target wants: $wanted"
fi
if [ "$(unit_prop worker.target LoadState)" = not-found ] && [ "$(get_json "$WEB" greeting)" = "web v2" ] &&
        [ "$(get_json "$API" greeting)" = "api v1" ]; then
        pass "the declared state" "no worker; web answers 'web v2', api 'api v1'"
else
        fail "the declared state" "worker.target $(unit_prop worker.target LoadState)"
fi

t_finish
