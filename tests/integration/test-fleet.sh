#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# Many hosts: the pmgen.pmgen Ansible collection (contrib/ansible/) rolling `pmgen apply` over three sandbox
# systemd hosts (fleet1-3), driven by ansible-playbook through community.docker.nsenter (each host is the
# PID of its box's systemd):
#   - the collection: ansible-lint clean (with contrib/ansible/site.yml), `ansible-galaxy collection build`
#     packages it, `ansible-doc` renders both modules;
#   - site.yml (code into releases/<commit> + `current`, the templated declaration applied host by host, a
#     health gate) converges every host; a second run reports changed=0 everywhere;
#   - --check with a changed declaration reports the change (the module itself too, with its diff) and
#     restarts nothing, writes nothing;
#   - a rolling update of the app's environment under a connection-per-request load on the port the three
#     hosts share (ReusePort: one group across hosts, like a load balancer): zero failed requests, and the
#     hosts restarted one after the other;
#   - a broken declaration fails on the first host with file:line in the task's message; with
#     max_fail_percentage: 0 the other hosts are not touched, and the first keeps running what it ran;
#   - `pmgen deploy-export` of an ecosystem file with a deploy section gives a play that ansible-lint passes
#     and that runs green here,
#     and a second commit rolled by it reloads the app (new processes, same declaration);
#   - pmgen.pmgen.apply with state=absent deletes the file's apps on one host, then reports no change.
#   - the health gate fails on fleet1 (its health URL is refused there): the roll stops on fleet1, fleet2
#     and fleet3 untouched;
#   - --check --diff of a controller-side change: the role renders the templates into a scratch directory and
#     the dry run shows the units and the plan the change would bring (on the hosts nothing changes);
#   - pmgen.pmgen.apply with prune=true removes an app no longer declared; with user=true it applies into a
#     user manager (root's user@0 on fleet3), not the system manager.
# Ports 18710-18713.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=apply-lib.sh
. "$here/apply-lib.sh"

WEB=18710 API=18711 REFUSED=18712 UWEB=18713
HOSTS=(fleet1 fleet2 fleet3)
ANS=$SANDBOX_REPO/contrib/ansible
COLL=$ANS/ansible_collections/pmgen/pmgen
DIAG_UNITS="web.target web@* api@*"
LOADS=()

for tool in ansible-playbook ansible-lint ansible-galaxy ansible-doc git; do
        command -v "$tool" >/dev/null || { echo "test-fleet: $tool not found (tests/deps.sh installs it)" >&2; exit 1; }
done
require_free_ports "$WEB" "$API" "$REFUSED" "$UWEB"
t_init fleet

loads_end() {
        local p
        for p in "${LOADS[@]}"; do
                kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || :
                wait "$p" 2>/dev/null || :
        done
        LOADS=()
}
# shellcheck disable=SC2034 # read by tests/sandbox/lib.sh's traps
SANDBOX_ON_EXIT='loads_end; restore_migrate_req'
sandbox_trap

export ANSIBLE_COLLECTIONS_PATH=$ANS ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False \
        ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$T_WORK/ansible-tmp ANSIBLE_HOME=$T_WORK/ansible-home \
        ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3

heading "the collection: lint, build, docs"
t0=$SECONDS
if (cd "$ANS" && ansible-lint -p --offline site.yml ansible_collections/pmgen/pmgen) >"$T_WORK/lint.out" 2>&1; then
        pass "ansible-lint" "$(grep -o 'Passed with .*' "$T_WORK/lint.out" | head -n 1)"
else
        fail "ansible-lint" "$(sed 's/^/   | /' "$T_WORK/lint.out" | tail -n 30)"
fi
mkdir -p "$T_WORK/galaxy"
if ansible-galaxy collection build --force --output-path "$T_WORK/galaxy" "$COLL" >"$T_WORK/build.out" 2>&1 &&
        tar tzf "$T_WORK/galaxy/pmgen-pmgen-"*.tar.gz >"$T_WORK/build.list" &&
        grep -qx plugins/modules/apply.py "$T_WORK/build.list" && grep -qx plugins/modules/info.py "$T_WORK/build.list" &&
        grep -qx roles/server/tasks/main.yml "$T_WORK/build.list" && grep -qx README.md "$T_WORK/build.list"; then
        pass "ansible-galaxy collection build" "$(basename "$T_WORK/galaxy/"*.tar.gz), $(wc -l <"$T_WORK/build.list") entries"
else
        fail "ansible-galaxy collection build" "$(cat "$T_WORK/build.out")"
fi
for m in apply info; do
        if ansible-doc "pmgen.pmgen.$m" >"$T_WORK/doc-$m.out" 2>&1 && grep -q '^OPTIONS' "$T_WORK/doc-$m.out" &&
                grep -q '^EXAMPLES' "$T_WORK/doc-$m.out" && grep -q '^RETURN VALUES' "$T_WORK/doc-$m.out"; then
                pass "ansible-doc pmgen.pmgen.$m" "OPTIONS, EXAMPLES, RETURN VALUES"
        else
                fail "ansible-doc pmgen.pmgen.$m" "$(head -n 5 "$T_WORK/doc-$m.out")"
        fi
done
info "($((SECONDS - t0)) s)"

heading "three hosts"
t0=$SECONDS
declare -A PID
for h in "${HOSTS[@]}"; do
        sandbox_boot "$h"
        PID[$h]=$SANDBOX_PID
        install_pmgen
done
info "booted, pmgen installed in each ($((SECONDS - t0)) s)"

# The code the hosts deploy: a git repository the boxes see (the tree is bind-mounted at the same path).
REPO=$T_WORK/repo.git
git init -q --bare "$REPO"
git -C "$T_WORK" init -q code
cp "$SANDBOX_REPO/contrib/examples/server.js" "$T_WORK/code/"
cat >"$T_WORK/code/ecosystem.config.js" <<EOF
// The api app, deployed by the play that \`pmgen deploy-export\` wrote from the deploy section below.
module.exports = {
        apps: [{ name: 'api', script: 'server.js', cwd: __dirname, exec_mode: 'cluster', instances: 2, port: $API,
                 env: { GREETING: 'api' }, env_production: { NODE_ENV: 'production' } }],
        deploy: {
                production: {
                        user: 'root',
                        host: ['fleet1', 'fleet2', 'fleet3'],
                        ref: 'origin/main',
                        repo: '$REPO',
                        path: '/srv/api',
                        'post-deploy': 'pm2 startOrReload ecosystem.config.js --env production && pm2 save',
                        env: { DEPLOYED_BY: 'pmgen deploy-export' },
                },
        },
};
EOF
git -C "$T_WORK/code" add -A
git -C "$T_WORK/code" -c user.name=test -c user.email=test@invalid commit -qm v1
git -C "$T_WORK/code" push -q "$REPO" HEAD:refs/heads/main
git -C "$REPO" symbolic-ref HEAD refs/heads/main

# The inventory: each host is its box's systemd, reached with nsenter.
INV=$T_WORK/hosts.ini
{
        echo "[pmgen_servers]"
        for h in "${HOSTS[@]}"; do echo "$h ansible_nsenter_pid=${PID[$h]}"; done
        echo
        echo "[all:vars]"
        echo "ansible_connection=community.docker.nsenter"
        echo "ansible_python_interpreter=/usr/bin/python3"
        # root already: there is no sudo in the boxes, and nothing to become
        echo "ansible_become=false"
} >"$INV"
# The site's variables for this group (beside the inventory: they override site.yml's group_vars/all.yml).
mkdir -p "$T_WORK/group_vars"
cat >"$T_WORK/group_vars/pmgen_servers.yml" <<EOF
app_repo: $REPO
app_port: $WEB
app_greeting: v1
pmgen_install: none
# one answer per URL is the gate here (the default is 3 in a row): each costs a round trip per host
pmgen_health_checks: 1
EOF

# play NAME ARGS…: ansible-playbook with the JSON callback; its output in $T_WORK/NAME.json, status in $?.
play() {
        local name=$1 rc=0
        shift
        local t=$SECONDS
        ANSIBLE_STDOUT_CALLBACK=json timeout 300 ansible-playbook -i "$INV" "$@" >"$T_WORK/$name.json" 2>"$T_WORK/$name.err" ||
                rc=$?
        info "(ansible-playbook $name: $((SECONDS - t)) s)"
        return "$rc"
}

# stat NAME EXPR: a Python expression over the JSON callback's output j (stats per host: j["stats"]).
jq_py() {
        python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T_WORK/$1.json" "$2"
}

# The failures of a play run, for messages.
play_failures() {
        jq_py "$1" '"; ".join("%s: %s: %s" % (h, t["task"]["name"], r.get("msg", "")[:600]) for p in j["plays"] for t in p["tasks"] for h, r in t["hosts"].items() if r.get("failed"))' 2>/dev/null ||
                tail -n 20 "$T_WORK/$1.err"
}

# in_box HOST CMD…
in_box() {
        sandbox_exec_in "$@"
}

pids_of() { # HOST APP: the MainPIDs of APP's instances 0 and 1
        in_box "$1" systemctl show -p MainPID --value "$2@0.service" "$2@1.service" | grep . | paste -sd ' ' -
}

kids_of() { # HOST APP: the app processes (the shims' children) of APP's instances 0 and 1
        # shellcheck disable=SC2016
        in_box "$1" sh -c 'for p in $(systemctl show -p MainPID --value "$1@0.service" "$1@1.service"); do
                cat /proc/"$p"/task/*/children; done' sh "$2" | tr -s ' \n' ' ' | sed 's/ *$//'
}

state_of() { # HOST: what a play must not touch: the MainPIDs and the declarations' checksums
        echo "$(pids_of "$1" web) $(in_box "$1" sh -c 'sha256sum /etc/pmgen/apps.ini /etc/pmgen/declarations/apps.ini 2>&1' | awk '{print $1}' | paste -sd ' ' -)"
}

heading "site.yml converges every host"
t0=$SECONDS
# The runs that roll nothing go to every host at once (-e pmgen_serial=3); the roll and the broken declaration
# keep site.yml's one host at a time.
if play converge "$ANS/site.yml" -e pmgen_serial=3; then
        pass "first run" "$(jq_py converge '", ".join("%s changed=%d" % (h, s["changed"]) for h, s in sorted(j["stats"].items()))') ($((SECONDS - t0)) s)"
else
        fatal "first run" "$(play_failures converge)"
fi
ok=1
for h in "${HOSTS[@]}"; do
        for i in 0 1; do
                st=$(in_box "$h" systemctl show -p ActiveState --value "web@$i.service")
                [ "$st" = active ] || { ok=0; fail "instances" "$h: web@$i is $st"; }
        done
        link=$(in_box "$h" readlink /srv/app/current)
        case $link in /srv/app/releases/[0-9a-f]*) ;; *) ok=0; fail "release" "$h: /srv/app/current -> '$link'" ;; esac
        in_box "$h" grep -q 'from /etc/pmgen/declarations/apps.ini' /etc/pmgen/apps.ini ||
                { ok=0; fail "declaration" "$h: /etc/pmgen/apps.ini does not record its source"; }
done
[ "$ok" = 1 ] && pass "every host" "web@0-1 active on ${HOSTS[*]}, current -> releases/<commit>, /etc/pmgen/apps.ini applied"
# The three hosts' sockets are one ReusePort group: the port answers from all of them (each host's journal
# has its share of the probes).
for i in $(seq 150); do curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$WEB/probe-$i"; done
shares=$(for h in "${HOSTS[@]}"; do
        in_box "$h" journalctl --no-pager -o cat -u 'web@*' | grep -c 'GET /probe-' || :
done | paste -sd ' ' -)
answer=$(get_json "$WEB" greeting)
if [ "$answer" = v1 ] && ! grep -qw 0 <<<"$shares"; then
        pass "the shared port" "greeting v1; 150 probes served by fleet1/2/3: $shares"
else
        fail "the shared port" "greeting '$answer', probes per host: $shares"
fi

heading "a second run changes nothing"
if play again "$ANS/site.yml" -e pmgen_serial=3 && [ "$(jq_py again 'sum(s["changed"] for s in j["stats"].values())')" = 0 ]; then
        pass "second run" "$(jq_py again '", ".join("%s changed=%d ok=%d" % (h, s["changed"], s["ok"]) for h, s in sorted(j["stats"].items()))')"
else
        fail "second run" "$(jq_py again 'j["stats"]' 2>/dev/null) $(play_failures again)"
fi

heading "--check with a changed declaration"
declare -A BEFORE
for h in "${HOSTS[@]}"; do BEFORE[$h]=$(state_of "$h"); done
if play check "$ANS/site.yml" -e pmgen_serial=3 --check --diff -e app_greeting=v2 -e app_instances=3; then
        applied=$(jq_py check '" ".join(sorted(h for p in j["plays"] for t in p["tasks"] if t["task"]["name"].endswith("Place the declarations") for h, r in t["hosts"].items() if r.get("changed")))')
        if [ "$applied" = "${HOSTS[*]}" ]; then
                pass "check mode reports the change" "the declaration task: changed on $applied"
        else
                fail "check mode reports the change" "changed on '$applied'"
        fi
else
        fail "check run" "$(play_failures check)"
fi
# The dry run was of the rendered declarations (a scratch directory bound over /etc/pmgen/declarations), not
# of the ones on the hosts: the plan has the new environment and the third instance, the diff the units.
plan=$(jq_py check '" ".join("%s:%s:%s:%s:%s" % (h, r.get("changed"), ",".join(c["key"] for a in r.get("apps", []) for c in a.get("changes", [])), ",".join(i for a in r.get("apps", []) for i in a.get("start", []) + a.get("restart", [])), sum(1 for d in r.get("diff", []) if d["before"] != d["after"])) for p in j["plays"] for t in p["tasks"] if t["task"]["name"].endswith("Apply the declarations") for h, r in sorted(t["hosts"].items()))')
info "check-mode plan per host (host:changed:changed keys:instances started/restarted:units diffs): $plan"
planned=0
for h in "${HOSTS[@]}"; do
        case " $plan " in *" $h:True:"*env.GREETING*web@2*) planned=$((planned + 1)) ;; esac
done
# the lines the change adds to fleet1's units
diffline=$(jq_py check '" | ".join(l for p in j["plays"] for t in p["tasks"] if t["task"]["name"].endswith("Apply the declarations") for h, r in t["hosts"].items() if h == "fleet1" for d in r.get("diff", []) for l in d["after"].splitlines() if l.strip() and l not in d["before"].splitlines())')
scratch=$(for h in "${HOSTS[@]}"; do in_box "$h" sh -c 'ls -d /tmp/pmgen-stage-* /tmp/pmgen-check-* 2>/dev/null' || :; done)
if [ "$planned" = 3 ] && [ -n "$diffline" ] && [ -z "$scratch" ]; then
        pass "--check --diff shows the units of a controller-side change" "every host: env.GREETING changed, web@2 to start; lines fleet1's diff adds: ${diffline:0:160}; no scratch left"
else
        fail "--check --diff shows the units of a controller-side change" "plan: $plan; diff line: '$diffline'; scratch left: $scratch"
fi
# The module in check mode, on a declaration changed on the host (kill_timeout: the units change).
in_box fleet1 sed -i 's/^kill_timeout = 3000/kill_timeout = 4000/' /etc/pmgen/declarations/apps.ini
BEFORE[fleet1]=$(state_of fleet1)
if ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=json timeout 120 ansible -i "$INV" fleet1 -m pmgen.pmgen.apply -a src=/etc/pmgen/declarations \
        --check --diff >"$T_WORK/check-module.json" 2>"$T_WORK/check-module.err"; then
        verdict=$(jq_py check-module '(lambda r: "%s %s %s" % (r["changed"], ",".join(r["apps"][0]["restart"]), any("--kill-timeout=4000" in d["after"] and "--kill-timeout=3000" in d["before"] for d in r["diff"])))(j["plays"][0]["tasks"][0]["hosts"]["fleet1"])')
        if [ "$verdict" = "True web@0,web@1 True" ]; then
                pass "pmgen.pmgen.apply --check" "changed=True, restart web@0,web@1, the diff shows the unit change"
        else
                fail "pmgen.pmgen.apply --check" "changed/restart/diff: $verdict"
        fi
else
        fail "pmgen.pmgen.apply --check" "$(tail -n 5 "$T_WORK/check-module.err") $(head -c 600 "$T_WORK/check-module.json")"
fi
untouched=1
for h in "${HOSTS[@]}"; do
        now=$(state_of "$h")
        [ "$now" = "${BEFORE[$h]}" ] || { untouched=0; fail "check touched nothing" "$h: before '${BEFORE[$h]}', now '$now'"; }
        [ "$(in_box "$h" systemctl show -p ActiveState --value web@2.service)" != active ] ||
                { untouched=0; fail "check touched nothing" "$h: web@2 started"; }
done
[ "$untouched" = 1 ] && pass "check touched nothing" "same MainPIDs, same declarations on every host, no web@2"
in_box fleet1 sed -i 's/^kill_timeout = 4000/kill_timeout = 3000/' /etc/pmgen/declarations/apps.ini

heading "a rolling update of the environment under load"
LOADF=$T_WORK/roll-load
rm -f "$LOADF.stop" "$LOADF.json"
setsid python3 "$SANDBOX_REPO/tests/integration/loadgen.py" --port "$WEB" --concurrency 4 --rate 200 --stop-file "$LOADF.stop" \
        --max-seconds 240 --summary "$LOADF.json" </dev/null >"$LOADF.log" 2>&1 &
LOADS+=("$!")
sleep 2
t0=$SECONDS
if play roll "$ANS/site.yml" -e app_greeting=v2; then
        pass "rolling run" "$(jq_py roll '", ".join("%s changed=%d" % (h, s["changed"]) for h, s in sorted(j["stats"].items()))') ($((SECONDS - t0)) s)"
else
        fail "rolling run" "$(play_failures roll)"
fi
# What apply --json said it did, as the module returned it, host by host.
did=$(jq_py roll '" ".join("%s:%s:%s:%s" % (h, a["action"], ",".join(a["restarted"]), ",".join(c["key"] for c in a["changes"])) for p in j["plays"] for t in p["tasks"] if t["task"]["name"].endswith("Apply the declarations") for h, r in sorted(t["hosts"].items()) for a in r.get("apps", []))')
if [ "$did" = "fleet1:updated:web@0,web@1:env.GREETING fleet2:updated:web@0,web@1:env.GREETING fleet3:updated:web@0,web@1:env.GREETING" ]; then
        pass "apply --json through the module" "each host: web updated, env.GREETING changed, restarted web@0,web@1"
else
        fail "apply --json through the module" "$did"
fi
sleep 2
touch "$LOADF.stop"
for _ in $(seq 100); do [ -s "$LOADF.json" ] && break; sleep 0.1; done
loads_end
load=$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(s["requests"], s["ok"], s["failed"], json.dumps(s["fail"]))' "$LOADF.json")
read -r total okn failed kinds <<<"$load"
if [ "$failed" = 0 ] && [ "$total" -gt 1000 ]; then
        pass "zero failed requests" "$total requests, $okn ok, 0 failed, during the roll over ${#HOSTS[@]} hosts"
else
        fail "zero failed requests" "$total requests, $okn ok, $failed failed $kinds"
fi
# One host after the other: every instance of a host started after the previous host's last one.
order=$(for h in "${HOSTS[@]}"; do
        in_box "$h" systemctl show -p ExecMainStartTimestampMonotonic --value web@0.service web@1.service | sort -n |
                paste -sd ' ' -
done | python3 -c '
import sys
rows = [list(map(int, l.split())) for l in sys.stdin]
print("ok" if all(rows[i][-1] < rows[i + 1][0] for i in range(len(rows) - 1)) else "overlap %s" % rows)')
greetings=$(for h in "${HOSTS[@]}"; do in_box "$h" grep -h '^GREETING' /etc/pmgen/apps.ini; done | sort -u | paste -sd ' ' -)
if [ "$order" = ok ] && [ "$greetings" = "GREETING = v2" ] && [ "$(get_json "$WEB" greeting)" = v2 ]; then
        pass "host by host" "fleet1's instances restarted before fleet2's, fleet2's before fleet3's; every host serves v2"
else
        fail "host by host" "order: $order; declarations: $greetings"
fi

heading "a broken declaration stops the roll on the first host"
for h in "${HOSTS[@]}"; do BEFORE[$h]=$(state_of "$h"); done
if play broken "$ANS/site.yml" -e app_greeting=v3 -e app_instances=two; then
        fail "broken declaration" "the play succeeded"
else
        msg=$(jq_py broken '" | ".join(r.get("msg", "") for p in j["plays"] for t in p["tasks"] if t["task"]["name"].endswith("Apply the declarations") for h, r in t["hosts"].items() if r.get("failed"))')
        failed_hosts=$(jq_py broken '" ".join(sorted(h for h, s in j["stats"].items() if s["failures"]))')
        if [ "$failed_hosts" = fleet1 ] && grep -Eq '^/etc/pmgen/declarations/apps\.ini:[0-9]+:[0-9]+: error: instances' <<<"$msg"; then
                pass "fails on fleet1 with file:line" "$(head -n 1 <<<"$msg")"
        else
                fail "fails on fleet1 with file:line" "failed hosts '$failed_hosts', msg: $msg"
        fi
fi
now=$(pids_of fleet1 web)
if [ "$now" = "$(cut -d' ' -f1-2 <<<"${BEFORE[fleet1]}")" ] && in_box fleet1 grep -q '^GREETING = v2' /etc/pmgen/apps.ini; then
        pass "fleet1 keeps running" "same MainPIDs ($now), /etc/pmgen/apps.ini unchanged"
else
        fail "fleet1 keeps running" "MainPIDs $now (before ${BEFORE[fleet1]})"
fi
untouched=1
for h in fleet2 fleet3; do
        now=$(state_of "$h")
        [ "$now" = "${BEFORE[$h]}" ] || { untouched=0; fail "no other host touched" "$h: before '${BEFORE[$h]}', now '$now'"; }
done
tasks_on_others=$(jq_py broken 'sum(1 for p in j["plays"] for t in p["tasks"] for h in t["hosts"] if h != "fleet1")')
[ "$tasks_on_others" = 0 ] || { untouched=0; fail "no other host touched" "$tasks_on_others task results on fleet2/fleet3"; }
[ "$untouched" = 1 ] && pass "no other host touched" "fleet2 and fleet3: no task ran, same processes and declarations"

heading "the health gate fails on fleet1"
# fleet1's health URL is a port nothing listens on; the others ask the shared port. A new greeting would
# restart every host: the roll must stop after fleet1.
for h in "${HOSTS[@]}"; do BEFORE[$h]=$(state_of "$h"); done
GATEINV=$T_WORK/gate.ini
printf '[pmgen_servers]\nfleet1 gate_url=http://127.0.0.1:%s/\n\n[pmgen_servers:vars]\ngate_url=http://127.0.0.1:%s/\n' "$REFUSED" "$WEB" >"$GATEINV"
t0=$SECONDS
if play gate "$ANS/site.yml" -i "$GATEINV" -e app_greeting=v4 \
        -e '{"pmgen_health_urls": ["{{ gate_url }}"], "pmgen_health_retries": 3, "pmgen_health_delay": 1}'; then
        fail "the gate stops the roll" "the play succeeded"
else
        failed_at=$(jq_py gate '" | ".join("%s: %s" % (h, t["task"]["name"].split(" : ")[-1]) for p in j["plays"] for t in p["tasks"] for h, r in t["hosts"].items() if r.get("failed"))')
        applied1=$(jq_py gate '" ".join("%s" % r.get("changed") for p in j["plays"] for t in p["tasks"] if t["task"]["name"].endswith("Apply the declarations") for h, r in t["hosts"].items())')
        if [ "$failed_at" = "fleet1: Wait for the first 2xx answer of each health URL" ] && [ "$applied1" = True ]; then
                pass "the gate fails on fleet1" "fleet1 applied v4, then '$failed_at' ($((SECONDS - t0)) s)"
        else
                fail "the gate fails on fleet1" "failed: '$failed_at', apply changed: '$applied1'; $(play_failures gate)"
        fi
fi
untouched=1
for h in fleet2 fleet3; do
        now=$(state_of "$h")
        [ "$now" = "${BEFORE[$h]}" ] || { untouched=0; fail "the roll stopped at fleet1" "$h: before '${BEFORE[$h]}', now '$now'"; }
done
tasks_on_others=$(jq_py gate 'sum(1 for p in j["plays"] for t in p["tasks"] for h in t["hosts"] if h != "fleet1")')
[ "$tasks_on_others" = 0 ] || { untouched=0; fail "the roll stopped at fleet1" "$tasks_on_others task results on fleet2/fleet3"; }
[ "$untouched" = 1 ] && pass "the roll stopped at fleet1" "fleet2 and fleet3: no task ran, same app MainPIDs ($(pids_of fleet2 web); $(pids_of fleet3 web)) and declarations"

heading "pmgen deploy-export: PM2's deploy section as a play"
EXP=$T_WORK/exported
rm -rf "$EXP"
# shellcheck disable=SC2016 # backquotes in a pattern
if "$SANDBOX_REPO/build/pmgen" deploy-export "$T_WORK/code/ecosystem.config.js" production -o "$EXP" >"$T_WORK/export.out" 2>&1 &&
        [ -f "$EXP/inventory-production.yml" ] && [ -f "$EXP/deploy-production.yml" ] &&
        grep -q 'not mapped: `pm2 save`' "$EXP/deploy-production.yml" && grep -q 'pmgen.pmgen.apply:' "$EXP/deploy-production.yml"; then
        pass "deploy-export" "inventory-production.yml, deploy-production.yml; $(grep -c 'warning' "$T_WORK/export.out") warning (pm2 save)"
else
        fail "deploy-export" "$(cat "$T_WORK/export.out")"
fi
if (cd "$EXP" && ansible-lint -p --offline deploy-production.yml) >"$T_WORK/lint-export.out" 2>&1; then
        pass "ansible-lint of the exported play" "$(grep -o 'Passed with .*' "$T_WORK/lint-export.out" | head -n 1)"
else
        fail "ansible-lint of the exported play" "$(tail -n 20 "$T_WORK/lint-export.out")"
fi
CONN=$T_WORK/conn.ini
{
        for h in "${HOSTS[@]}"; do echo "$h ansible_nsenter_pid=${PID[$h]}"; done
        printf '\n[all:vars]\nansible_connection=community.docker.nsenter\nansible_python_interpreter=/usr/bin/python3\n'
} >"$CONN"
xplay() { # NAME: the exported play with the connection inventory beside the exported one
        local rc=0 t=$SECONDS
        ANSIBLE_STDOUT_CALLBACK=json timeout 300 ansible-playbook -i "$EXP/inventory-production.yml" -i "$CONN" \
                "$EXP/deploy-production.yml" >"$T_WORK/$1.json" 2>"$T_WORK/$1.err" || rc=$?
        info "(ansible-playbook $1: $((SECONDS - t)) s)"
        return "$rc"
}
if xplay deploy1; then
        ok=1
        for h in "${HOSTS[@]}"; do
                for i in 0 1; do
                        st=$(in_box "$h" systemctl show -p ActiveState --value "api@$i.service")
                        [ "$st" = active ] || { ok=0; fail "exported play" "$h: api@$i is $st"; }
                done
        done
        [ "$(get_json "$API" node_env)" = production ] || { ok=0; fail "exported play" "api does not answer with production"; }
        [ "$ok" = 1 ] && pass "exported play runs green" "api@0-1 active on ${HOSTS[*]}, --env production ($(jq_py deploy1 'sum(s["changed"] for s in j["stats"].values())') changes)"
else
        fail "exported play runs green" "$(play_failures deploy1)"
fi
# A new commit: the declaration is the same, the code is not: the play reloads api (new processes).
declare -A API_PIDS
for h in "${HOSTS[@]}"; do API_PIDS[$h]=$(kids_of "$h" api); done
echo "// v2" >>"$T_WORK/code/server.js"
git -C "$T_WORK/code" -c user.name=test -c user.email=test@invalid commit -qam v2
git -C "$T_WORK/code" push -q "$REPO" HEAD:refs/heads/main
if xplay deploy2; then
        renewed=1
        for h in "${HOSTS[@]}"; do
                now=$(kids_of "$h" api)
                [ -n "$now" ] || renewed=0
                for p in ${API_PIDS[$h]}; do
                        case " $now " in *" $p "*) renewed=0 ;; esac
                done
                rel=$(in_box "$h" readlink /srv/api/current)
                [ "${rel##*/}" = "$(git -C "$T_WORK/code" rev-parse HEAD)" ] || renewed=0
        done
        if [ "$renewed" = 1 ]; then
                pass "a second release" "current -> the new commit, api reloaded on every host (new app processes, same shims)"
        else
                fail "a second release" "$(for h in "${HOSTS[@]}"; do echo "$h: ${API_PIDS[$h]} -> $(kids_of "$h" api) $(in_box "$h" readlink /srv/api/current)"; done)"
        fi
else
        fail "a second release" "$(play_failures deploy2)"
fi

heading "state=absent"
adhoc() { # NAME ARGS [ANSIBLE-OPTIONS…]: pmgen.pmgen.apply on fleet1 alone (ADHOC_HOST: another host)
        ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=json timeout 120 ansible -i "$CONN" "${ADHOC_HOST:-fleet1}" \
                -m pmgen.pmgen.apply -a "$2" "${@:3}" >"$T_WORK/$1.json" 2>"$T_WORK/$1.err"
}
one='(lambda r: "%s %s" % (r.get("changed"), ",".join(r.get("deleted", [])) or r.get("msg", "")))(j["plays"][0]["tasks"][0]["hosts"]["fleet1"])'
adhoc absent1 "src=/srv/api/current/ecosystem.config.js state=absent" || :
adhoc absent2 "src=/srv/api/current/ecosystem.config.js state=absent" || :
r1=$(jq_py absent1 "$one" 2>&1) r2=$(jq_py absent2 "$one" 2>&1)
gone=$(in_box fleet1 systemctl show -p ActiveState --value api@0.service)
kept=$(in_box fleet2 systemctl show -p ActiveState --value api@0.service)
if [ "$r1" = "True api" ] && [ "$r2" = "False " ] && [ "$gone" != active ] && [ "$kept" = active ] &&
        ! in_box fleet1 test -e /etc/pmgen/ecosystem.config.ini; then
        pass "state=absent" "fleet1: api deleted (changed), again: unchanged; fleet2 still runs it"
else
        fail "state=absent" "first: $r1; second: $r2; api@0 on fleet1: $gone, on fleet2: $kept"
fi
adhoc missing-check "src=/etc/pmgen/not-yet" --check || :
adhoc missing "src=/etc/pmgen/not-yet" || :
m1=$(jq_py missing-check '(lambda r: "%s %s" % (r.get("changed"), bool(r.get("failed"))))(j["plays"][0]["tasks"][0]["hosts"]["fleet1"])' 2>&1)
m2=$(jq_py missing '(lambda r: "%s %s" % (bool(r.get("failed")), r.get("msg")))(j["plays"][0]["tasks"][0]["hosts"]["fleet1"])' 2>&1)
if [ "$m1" = "True False" ] && [ "$m2" = "True /etc/pmgen/not-yet: no such file or directory" ]; then
        pass "a src not placed yet" "--check: changed (nothing placed in check mode); a real run: failed, '${m2#True }'"
else
        fail "a src not placed yet" "--check: $m1; real: $m2"
fi

heading "prune=true and user=true"
# fleet2 runs api (applied from /srv/api/current/ecosystem.config.js) and web (from the declarations
# directory): applying the directory with prune=true removes api there.
web2=$(pids_of fleet2 web)
ADHOC_HOST=fleet2 adhoc prune "src=/etc/pmgen/declarations prune=true" || :
pr=$(jq_py prune '(lambda r: "%s %s" % (r.get("changed"), " ".join(sorted("%s:%s" % (a["name"], a["action"]) for a in r.get("apps", []))) or r.get("msg", "")))(j["plays"][0]["tasks"][0]["hosts"]["fleet2"])' 2>&1)
load=$(in_box fleet2 systemctl show -p LoadState --value api@0.service api@1.service | grep . | paste -sd ' ' -)
if [ "$pr" = "True api:removed web:unchanged" ] && [ "$load" = "not-found not-found" ] && [ "$(pids_of fleet2 web)" = "$web2" ] &&
        ! in_box fleet2 test -e /etc/pmgen/ecosystem.config.ini; then
        pass "prune=true" "fleet2: $pr; api@0/api@1 LoadState $load; web's MainPIDs unchanged"
else
        fail "prune=true" "result: $pr; api@0/1 LoadState: $load; web $web2 -> $(pids_of fleet2 web)"
fi
# user=true: root's own user manager on fleet3 (user@0.service), the module with XDG_RUNTIME_DIR set.
if in_box fleet3 systemctl start user@0.service; then
        in_box fleet3 sh -c 'mkdir -p /root/user-apps && printf "%s\n" "$@" >/root/user-apps/uweb.ini' sh \
                '[uweb]' 'script = /srv/app/current/server.js' 'cwd = /srv/app/current' 'exec_mode = cluster' \
                'instances = 1' "port = $UWEB" '' '[uweb env]' 'GREETING = user'
        printf '%s\n' '---' '- name: Apply into the user manager' '  hosts: fleet3' '  gather_facts: false' \
                '  environment:' '    XDG_RUNTIME_DIR: /run/user/0' '  tasks:' '    - name: Apply the user declarations' \
                '      pmgen.pmgen.apply:' '        src: /root/user-apps' '        user: true' >"$T_WORK/user.yml"
        t0=$SECONDS
        if ANSIBLE_STDOUT_CALLBACK=json timeout 120 ansible-playbook -i "$CONN" "$T_WORK/user.yml" >"$T_WORK/user.json" 2>"$T_WORK/user.err"; then
                ur=$(jq_py user '(lambda r: "%s %s" % (r.get("changed"), " ".join("%s:%s" % (a["name"], a["action"]) for a in r.get("apps", []))))(j["plays"][0]["tasks"][0]["hosts"]["fleet3"])')
                ust=$(in_box fleet3 env XDG_RUNTIME_DIR=/run/user/0 systemctl --user show -p ActiveState --value uweb@0.service)
                sysl=$(in_box fleet3 systemctl show -p LoadState --value uweb@0.service)
                ans=$(get_json "$UWEB" greeting)
                if [ "$ur" = "True uweb:created" ] && [ "$ust" = active ] && [ "$sysl" = not-found ] && [ "$ans" = user ] &&
                        in_box fleet3 test -f /root/.config/pmgen/uweb.ini; then
                        pass "user=true" "fleet3: $ur in user@0 (active, answers '$ans'), ~/.config/pmgen/uweb.ini; the system manager: $sysl ($((SECONDS - t0)) s)"
                else
                        fail "user=true" "result: $ur; user manager: $ust; system manager: $sysl; answer: '$ans'"
                fi
        else
                fail "user=true" "$(play_failures user)"
        fi
else
        fail "user=true" "cannot start user@0.service on fleet3"
fi

t_finish
