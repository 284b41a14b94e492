# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Helpers for the integration tests and the demo (bash; source tests/sandbox/lib.sh first): named
# assertions that dump the units' state on failure, HTTP requests and a background load, and the setup of
# contrib/examples inside a box.
#
# Settings (environment)
#   PMGEN_TEST_PORT      the example's port (default 18080); must be free on the host (the box shares its
#                        network namespace)
#   PMGEN_TEST_STANDIN   1: use the hand-written units of tests/integration/standin/ instead of
#                        `make install` + `pmgen generate` (checks the harness without pmgen)

PMGEN_TEST_PORT=${PMGEN_TEST_PORT:-18080}
PMGEN_TEST_STANDIN=${PMGEN_TEST_STANDIN:-0}
# Units whose status and journal a failure shows.
DIAG_UNITS=${DIAG_UNITS:-hello.target hello@*}

T_FAILURES=0
T_CHECKS=0
T_WORK= # a host directory for this test's files (responses, logs), below SANDBOX_LOG_DIR

t_init() { # NAME: a test's start: its work dir
        T_WORK=$SANDBOX_LOG_DIR/$1
        rm -rf "$T_WORK"
        mkdir -p "$T_WORK"
}

heading() {
        printf '\n== %s\n' "$*"
}

info() {
        printf '   %s\n' "$*"
}

# Show what the units are doing (on failure).
dump_units() {
        local units u jargs=()
        read -r -a units <<<"$DIAG_UNITS"
        for u in "${units[@]}"; do jargs+=(-u "$u"); done
        echo "   --- systemctl status ${units[*]}"
        { sandbox_exec systemctl status --no-pager -l -n 0 "${units[@]}" 2>&1 || :; } | head -n 80 | sed 's/^/   | /'
        echo "   --- journalctl -n 50 ${jargs[*]}"
        { sandbox_exec journalctl --no-pager -n 50 "${jargs[@]}" 2>&1 || :; } | sed 's/^/   | /'
}

pass() { # NAME [DETAIL]
        T_CHECKS=$((T_CHECKS + 1))
        printf '   ok   %s%s\n' "$1" "${2:+ ($2)}"
}

fail() { # NAME MESSAGE…: record a failed assertion, show the units, go on
        local name=$1
        shift
        T_CHECKS=$((T_CHECKS + 1))
        T_FAILURES=$((T_FAILURES + 1))
        printf '   FAIL %s: %s\n' "$name" "$*"
        dump_units
}

fatal() { # NAME MESSAGE…: a failed step the rest depends on
        fail "$@"
        echo "   (stopping here: the remaining checks depend on this one)"
        exit 1
}

# The end of a test: its verdict as the exit status.
t_finish() {
        if [ "$T_FAILURES" -gt 0 ]; then
                echo "   $T_FAILURES of $T_CHECKS checks failed"
                return 1
        fi
        echo "   all $T_CHECKS checks passed"
}

port_in_use() { # PORT
        [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

require_free_port() {
        if port_in_use "$PMGEN_TEST_PORT"; then
                echo "port $PMGEN_TEST_PORT is in use on this host:" >&2
                ss -Htlnp "sport = :$PMGEN_TEST_PORT" >&2 || :
                echo "pick another with PMGEN_TEST_PORT=…" >&2
                exit 1
        fi
}

# One request on a new connection; the body on stdout. curl's status is the function's.
http_get() { # [PATH]
        curl -sS --max-time 10 "http://127.0.0.1:$PMGEN_TEST_PORT${1:-/}"
}

# N requests, one JSON body per line to FILE ("fail CODE" for a failed one).
http_many() { # N FILE
        local i out rc
        : >"$2"
        for ((i = 0; i < $1; i++)); do
                if out=$(http_get "/req-$i" 2>/dev/null); then
                        printf '%s\n' "$out" >>"$2"
                else
                        rc=$?
                        echo "fail $rc" >>"$2"
                fi
        done
}

# A background load: new connection per request until load_stop (or 120 s, or this shell is gone). Lines
# "ok JSON" or "fail CURL_EXIT MESSAGE" in FILE. It runs in a session of its own, so that load_kill can end it
# and every curl it started with one signal to its process group, and a ^C to ours does not count as a
# failed request.
LOAD_PID=
load_start() { # FILE
        rm -f "$1.stop"
        : >"$1"
        # shellcheck disable=SC2016
        setsid bash -c '
                file=$1 port=$2 owner=$3 deadline=$((SECONDS + 120)) n=0
                while [ ! -e "$file.stop" ] && [ "$SECONDS" -lt "$deadline" ] && kill -0 "$owner" 2>/dev/null; do
                        n=$((n + 1))
                        if out=$(curl -sS --max-time 10 "http://127.0.0.1:$port/load-$n" 2>&1); then
                                printf "ok %s\n" "$out"
                        else
                                rc=$?
                                printf "fail %s %s\n" "$rc" "$(echo "$out" | head -n 1)"
                        fi
                done >>"$file"' load "$1" "$PMGEN_TEST_PORT" "$$" </dev/null &
        LOAD_PID=$!
}

# End the load at once (from the exit trap): its process group, by id.
load_kill() {
        [ -n "$LOAD_PID" ] || return 0
        kill -KILL -- "-$LOAD_PID" 2>/dev/null || :
        wait "$LOAD_PID" 2>/dev/null || :
        LOAD_PID=
}
# shellcheck disable=SC2034 # read by tests/sandbox/lib.sh's traps
SANDBOX_ON_EXIT=load_kill

load_stop() { # FILE
        local i
        touch "$1.stop"
        for ((i = 0; i < 150; i++)); do
                kill -0 "$LOAD_PID" 2>/dev/null || break
                sleep 0.1
        done
        load_kill
}

# Summaries of response files (JSON lines, optionally "ok "-prefixed; "fail …" lines counted).
#   responses_summary FILE → lines total=N ok=N fail=N pids=P1,P2 instances=0,1 greetings=G1|G2 node_envs=…
# (read one with `field "$summary" KEY`, show it with `oneline "$summary"`)
responses_summary() {
        python3 - "$1" <<'EOF'
import json, sys
total = ok = fail = 0
pids, inst, greet, envs = set(), set(), set(), set()
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    total += 1
    if line.startswith("fail"):
        fail += 1
        continue
    if line.startswith("ok "):
        line = line[3:]
    try:
        d = json.loads(line)
    except ValueError:
        fail += 1
        continue
    ok += 1
    pids.add(str(d.get("pid")))
    inst.add(str(d.get("instance")))
    greet.add(str(d.get("greeting")))
    envs.add(str(d.get("node_env")))
j = lambda s: ",".join(sorted(s))
print(f"total={total}\nok={ok}\nfail={fail}\npids={j(pids)}\ninstances={j(inst)}\n"
      f"greetings={'|'.join(sorted(greet))}\nnode_envs={j(envs)}")
EOF
}

# The pid that answered for INSTANCE, from a response file: the last one seen, or nothing.
responses_pid_of() { # FILE INSTANCE
        python3 - "$1" "$2" <<'EOF'
import json, sys
pid = ""
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("ok "):
        line = line[3:]
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if str(d.get("instance")) == sys.argv[2]:
        pid = str(d.get("pid"))
print(pid)
EOF
}

# The value of KEY in "KEY=VALUE" lines.
field() { # SUMMARY KEY
        printf '%s\n' "$1" | sed -n "s/^$2=//p"
}

oneline() { # SUMMARY
        printf '%s\n' "$1" | paste -sd ' ' -
}

# `systemctl show -p PROP --value UNIT` inside the box.
unit_prop() { # UNIT PROP
        sandbox_exec systemctl show -p "$2" --value "$1" 2>/dev/null || :
}

# The children of PID inside the box (PIDs as the box sees them).
box_children() { # PID
        # shellcheck disable=SC2016
        sandbox_sh 'cat /proc/"$1"/task/*/children 2>/dev/null || :' "$1" | tr -s ' \n' ' ' | sed 's/ *$//'
}

box_comm() { # PID
        sandbox_exec cat "/proc/$1/comm" 2>/dev/null || :
}

# Poll CMD… every 0.2 s until it succeeds or SECONDS pass. The status is CMD's last.
wait_until() { # SECONDS CMD…
        local end=$((SECONDS + $1))
        shift
        while :; do
                "$@" && return 0
                [ "$SECONDS" -ge "$end" ] && return 1
                sleep 0.2
        done
}

# Put contrib/examples at /srv/hello in the box (readable by a DynamicUser) and its units in
# /etc/systemd/system: by `make install` + `pmgen generate --env production`, or (PMGEN_TEST_STANDIN=1) the
# hand-written stand-ins. Then daemon-reload. Logs of the steps go to $T_WORK.
setup_hello() {
        local repo=$SANDBOX_REPO
        # shellcheck disable=SC2016
        sandbox_exec sh -ec 'rm -rf /srv/hello; mkdir -p /srv; cp -rT "$1/contrib/examples" /srv/hello;
                chmod -R u=rwX,go=rX /srv/hello' sh "$repo" ||
                fatal "copy example" "could not copy contrib/examples to /srv/hello"
        if [ "$PMGEN_TEST_STANDIN" = 1 ]; then
                info "PMGEN_TEST_STANDIN=1: hand-written stand-in units instead of pmgen's"
                # shellcheck disable=SC2016
                sandbox_exec sh -ec '
                        d=/usr/local/lib/pmgen-standin; mkdir -p "$d"; cp "$1/fd3-preload.cjs" "$d/"
                        for f in hello@.service hello@.socket hello.target hello.env; do
                                sed -e "s|@PORT@|$2|g" -e "s|@NODE@|$(command -v node)|g" \
                                    -e "s|@PRELOAD@|$d/fd3-preload.cjs|g" "$1/$f" >"/etc/systemd/system/$f"
                        done
                        chmod 600 /etc/systemd/system/hello.env' sh "$repo/tests/integration/standin" \
                        "$PMGEN_TEST_PORT" || fatal "install stand-in units" "could not write them"
        else
                info "\$ make -C $repo install PREFIX=/usr/local"
                if ! sandbox_exec make -C "$repo" install PREFIX=/usr/local >"$T_WORK/install.log" 2>&1; then
                        tail -n 30 "$T_WORK/install.log" | sed 's/^/   | /'
                        fatal "make install" "make -C $repo install PREFIX=/usr/local failed (log: $T_WORK/install.log)"
                fi
                local f missing=
                for f in /usr/local/bin/pmgen /usr/local/libexec/pmgen/pmgen-shim \
                        /usr/local/share/pmgen/node-preload.cjs /lib/systemd/system/pmgen.target; do
                        sandbox_exec test -e "$f" || missing="$missing $f"
                done
                [ -z "$missing" ] || fatal "make install" "did not install:$missing"
                pass "make install" "pmgen, pmgen-shim, node-preload.cjs, pmgen.target"
                info "\$ HELLO_PORT=$PMGEN_TEST_PORT pmgen generate /srv/hello/ecosystem.config.js --env production -o /etc/systemd/system"
                if ! sandbox_exec env HELLO_PORT="$PMGEN_TEST_PORT" pmgen generate /srv/hello/ecosystem.config.js \
                        --env production -o /etc/systemd/system >"$T_WORK/generate.log" 2>&1; then
                        sed 's/^/   | /' "$T_WORK/generate.log"
                        fatal "pmgen generate" "HELLO_PORT=$PMGEN_TEST_PORT pmgen generate /srv/hello/ecosystem.config.js" \
                                "--env production -o /etc/systemd/system failed"
                fi
                if [ -s "$T_WORK/generate.log" ]; then sed 's/^/   | /' "$T_WORK/generate.log"; fi
        fi
        info "\$ systemctl daemon-reload"
        sandbox_exec systemctl daemon-reload || fatal "daemon-reload" "systemctl daemon-reload failed"
}
