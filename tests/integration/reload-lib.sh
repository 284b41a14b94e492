# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the reload tests (tests/integration/test-reload*.sh; source tests/sandbox/lib.sh and helpers.sh
# first): pmgen installed in a box, the reload test app (tests/integration/reload-app/app.js) at /srv/reload,
# one ecosystem file per app written from the test, a load generator on the host (loadgen.py: a new
# connection per request, failures by kind), and the journal as JSON.
#
# Ports: 18300-18399 (each test names its own).

RL_DIR=/srv/reload
RL_LOADS=()

rl_require_free_ports() { # PORT…
        local p
        for p in "$@"; do
                if port_in_use "$p"; then
                        echo "port $p is in use on this host: $(ss -Htlnp "sport = :$p")" >&2
                        exit 1
                fi
        done
}

# make install in the box, the app at /srv/reload (readable by a DynamicUser).
rl_install() {
        local repo=$SANDBOX_REPO
        if ! sandbox_exec make -C "$repo" install PREFIX=/usr/local >"$T_WORK/install.log" 2>&1; then
                tail -n 30 "$T_WORK/install.log" | sed 's/^/   | /'
                fatal "make install" "make -C $repo install PREFIX=/usr/local failed (log: $T_WORK/install.log)"
        fi
        # shellcheck disable=SC2016
        sandbox_exec sh -ec 'mkdir -p "$2"; cp "$1/app.js" "$2/app.js"; chmod -R u=rwX,go=rX "$2"' sh \
                "$repo/tests/integration/reload-app" "$RL_DIR" || fatal "install app" "cannot copy the app"
        pass "install" "pmgen and the reload test app"
}

# rl_deploy NAME PORT PROPS ENV: writes /srv/reload/NAME.config.js (one app NAME, cluster mode, 2 instances
# unless PROPS says otherwise; PROPS: more JS properties "k: v, …"; ENV: the env object's members), runs
# `pmgen generate` into /etc/systemd/system and daemon-reload.
rl_deploy() {
        local name=$1 port=$2 props=$3 env=$4
        sandbox_exec sh -c "cat >$RL_DIR/$name.config.js" <<EOF
module.exports = {
        apps: [{
                name: '$name',
                script: 'app.js',
                cwd: '$RL_DIR',
                exec_mode: 'cluster',
                port: $port,
                $props
                env: { $env },
        }],
};
EOF
        if ! sandbox_exec pmgen generate "$RL_DIR/$name.config.js" -o /etc/systemd/system >"$T_WORK/generate-$name.log" 2>&1; then
                sed 's/^/   | /' "$T_WORK/generate-$name.log"
                fatal "pmgen generate $name" "failed"
        fi
        sandbox_exec systemctl daemon-reload || fatal "daemon-reload" "failed"
}

# rl_start NAME N: start NAME.target, wait until its N instances are active.
rl_start() {
        local name=$1 n=$2 i st
        sandbox_exec timeout 60 systemctl start "$name.target" || fatal "start $name" "systemctl start $name.target failed"
        for ((i = 0; i < n; i++)); do
                st=$(unit_prop "$name@$i.service" ActiveState)
                [ "$st" = active ] || fatal "start $name" "$name@$i.service is $st"
        done
}

# rl_load_start FILE PORT [LOADGEN-ARGS…]: the load generator on the host; FILE.json gets its summary.
rl_load_start() {
        local file=$1 port=$2
        shift 2
        rm -f "$file.stop" "$file.json"
        setsid python3 "$SANDBOX_REPO/tests/integration/loadgen.py" --port "$port" --stop-file "$file.stop" \
                --max-seconds 240 --summary "$file.json" "$@" </dev/null >"$file.log" 2>&1 &
        RL_LOADS+=("$!")
}

rl_load_stop() { # FILE: stop the load and wait for its summary
        local i
        touch "$1.stop"
        for ((i = 0; i < 300; i++)); do
                [ -s "$1.json" ] && return 0
                sleep 0.1
        done
        echo "load generator did not write $1.json: $(cat "$1.log")" >&2
        return 1
}

rl_loads_kill() { # from the exit trap: every load generator this test started, by PID
        local p
        for p in "${RL_LOADS[@]}"; do
                kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || :
                wait "$p" 2>/dev/null || :
        done
        RL_LOADS=()
}
# shellcheck disable=SC2034 # read by tests/sandbox/lib.sh's traps
SANDBOX_ON_EXIT=rl_loads_kill

# rl_sum FILE EXPR: evaluates the Python expression EXPR over the summary s (FILE.json), prints the result.
rl_sum() {
        python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1.json" "$2"
}

# rl_load_line FILE: one line about a load summary.
rl_load_line() {
        rl_sum "$1" '"%d requests, %d ok, failed %s %s" % (s["requests"], s["ok"], s["fail"], s["status"] or "")'
}

# rl_pids FILE INSTANCE: the PIDs that answered for INSTANCE, in the order they first answered.
rl_pids() {
        rl_sum "$1" '" ".join(p for p, e in sorted(s["by_pid"].items(), key=lambda x: x[1]["first"]) if e["instance"] == "'"$2"'")'
}

# rl_journal NAME: the journal of NAME's instances and their ExecReload= as JSON lines in $T_WORK/NAME.journal.
rl_journal() {
        sandbox_exec journalctl --no-pager -o json --output-fields=MESSAGE,_PID,SYSLOG_IDENTIFIER -u "$1@*" \
                >"$T_WORK/$1.journal" 2>/dev/null || :
}

# rl_ts NAME REGEX [N]: the journal time (µs) of the N-th (default first) message of NAME matching REGEX
# (after rl_journal), or nothing.
rl_ts() {
        python3 - "$T_WORK/$1.journal" "$2" "${3:-1}" <<'EOF'
import json, re, sys
n = 0
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    m = e.get("MESSAGE")
    if isinstance(m, str) and re.search(sys.argv[2], m):
        n += 1
        if n == int(sys.argv[3]):
            print(e["__REALTIME_TIMESTAMP"])
            break
EOF
}

# rl_msg NAME REGEX: the first message of NAME matching REGEX (after rl_journal).
rl_msg() {
        python3 - "$T_WORK/$1.journal" "$2" <<'EOF'
import json, re, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    m = e.get("MESSAGE")
    if isinstance(m, str) and re.search(sys.argv[2], m):
        print(m)
        break
EOF
}

# rl_child NAME I: the PID (in the box) of instance I's app: the shim's one child.
rl_child() {
        local main
        main=$(unit_prop "$1@$2.service" MainPID)
        box_children "$main"
}

# rl_reload UNIT…: systemctl reload, timed; RL_RC its status, RL_MS how long it took, RL_OUT its output.
rl_reload() {
        local t0 t1
        t0=$(date +%s%3N)
        RL_RC=0
        RL_OUT=$(sandbox_exec timeout 60 systemctl reload "$@" 2>&1) || RL_RC=$?
        t1=$(date +%s%3N)
        RL_MS=$((t1 - t0))
}

# rl_check_spread NAME PORT FILE: 2 s of load on PORT; passes when instances 0 and 1 both answered and no
# request failed. The load summary stays in FILE.json.
rl_check_spread() {
        local name=$1 port=$2 file=$3
        rl_load_start "$file" "$port" --concurrency 4
        sleep 2
        rl_load_stop "$file"
        if [ "$(rl_sum "$file" 'sorted({e["instance"] for e in s["by_pid"].values()})')" = "['0', '1']" ] &&
                [ "$(rl_sum "$file" 's["failed"]')" = 0 ]; then
                pass "$name: both instances answer on $port" "$(rl_load_line "$file")"
        else
                fail "$name: both instances answer on $port" "$(rl_load_line "$file"); by pid: $(rl_sum "$file" 's["by_pid"]')"
        fi
}

# rl_reload_rounds NAME PORT ROUNDS FILE: reloads NAME@0 and NAME@1 ROUNDS times each under a new-connection
# load on PORT; passes when every reload exited 0 and no request failed (at least 200 served). RL_BEFORE
# and RL_AFTER: the instances' app PIDs before and after.
rl_reload_rounds() {
        local name=$1 port=$2 rounds=$3 file=$4 bad='' round i
        RL_BEFORE="$(rl_child "$name" 0) $(rl_child "$name" 1)"
        rl_load_start "$file" "$port" --concurrency 4
        sleep 1
        for round in $(seq 1 "$rounds"); do
                for i in 0 1; do
                        rl_reload "$name@$i.service"
                        [ "$RL_RC" = 0 ] || bad="$bad $name@$i(round $round: $RL_OUT)"
                done
        done
        sleep 1
        rl_load_stop "$file"
        RL_AFTER="$(rl_child "$name" 0) $(rl_child "$name" 1)"
        local what="$name: $((2 * rounds)) reloads under load, no failed request"
        if [ -z "$bad" ] && [ "$(rl_sum "$file" 's["failed"]')" = 0 ] && [ "$(rl_sum "$file" 's["ok"]')" -ge 200 ] &&
                [ "$RL_BEFORE" != "$RL_AFTER" ]; then
                pass "$what" "$(rl_load_line "$file"); app pids $RL_BEFORE → $RL_AFTER"
        else
                fail "$what" "reloads that failed:${bad:- none}; $(rl_load_line "$file"); $(rl_sum "$file" 's["examples"][:5]'); app pids $RL_BEFORE → $RL_AFTER"
        fi
}
