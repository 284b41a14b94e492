# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the apply, verbs, generator and user integration tests (source tests/sandbox/lib.sh and helpers.sh
# first): pmgen installed in a box, the three-app fixture (tests/integration/apps/) at /srv/apps, several
# background loads at once, and the host's net.ipv4.tcp_migrate_req put back afterwards (the boxes share the
# host's network namespace, and `pmgen apply` turns it on before it retires a socket).
#
# Ports: 18220-18249 (the apply and verbs tests) and 18250-18269 (user mode, import); see each test.

APPS_SRC=$SANDBOX_REPO/tests/integration/apps
MIGRATE_REQ=/proc/sys/net/ipv4/tcp_migrate_req
MIGRATE_REQ_WAS=$(cat "$MIGRATE_REQ" 2>/dev/null || :)

restore_migrate_req() {
        if [ -n "$MIGRATE_REQ_WAS" ] && [ "$(cat "$MIGRATE_REQ" 2>/dev/null)" != "$MIGRATE_REQ_WAS" ]; then
                echo "$MIGRATE_REQ_WAS" >"$MIGRATE_REQ" 2>/dev/null || :
        fi
}

# ---- several loads ------------------------------------------------------------------------------------------
LOAD_PIDS=()
LOAD_FILES=()

# A load on PORT: new connection per request until loads_stop (or 150 s). Lines "ok JSON" / "fail RC MSG".
loads_start() { # FILE PORT
        rm -f "$1.stop"
        : >"$1"
        # shellcheck disable=SC2016
        setsid bash -c '
                file=$1 port=$2 owner=$3 deadline=$((SECONDS + 150)) n=0
                while [ ! -e "$file.stop" ] && [ "$SECONDS" -lt "$deadline" ] && kill -0 "$owner" 2>/dev/null; do
                        n=$((n + 1))
                        if out=$(curl -sS --max-time 10 "http://127.0.0.1:$port/load-$n" 2>&1); then
                                printf "ok %s\n" "$out"
                        else
                                rc=$?
                                printf "fail %s %s\n" "$rc" "$(echo "$out" | head -n 1)"
                        fi
                done >>"$file"' load "$1" "$2" "$$" </dev/null &
        LOAD_PIDS+=("$!")
        LOAD_FILES+=("$1")
}

loads_kill() {
        local p
        for p in "${LOAD_PIDS[@]}"; do
                kill -KILL -- "-$p" 2>/dev/null || :
                wait "$p" 2>/dev/null || :
        done
        LOAD_PIDS=()
}

loads_stop() {
        local f i
        for f in "${LOAD_FILES[@]}"; do touch "$f.stop"; done
        for ((i = 0; i < 150; i++)); do
                local alive=0 p
                for p in "${LOAD_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
                [ "$alive" = 0 ] && break
                sleep 0.1
        done
        loads_kill
        LOAD_FILES=()
}

# shellcheck disable=SC2034 # read by tests/sandbox/lib.sh's traps
SANDBOX_ON_EXIT='loads_kill; load_kill; restore_migrate_req'

# ---- the box ------------------------------------------------------------------------------------------------

require_free_ports() { # PORT…
        local p
        for p in "$@"; do
                if port_in_use "$p"; then
                        echo "port $p is in use on this host:" >&2
                        ss -Htlnp "sport = :$p" >&2 || :
                        exit 1
                fi
        done
}

# make install in the box, and the fixture apps at /srv/apps (readable by dynamic users).
# PMGEN_TEST_PREBUILT=1 installs build/ as it is, without remaking it (make -o), for working on these tests
# while another part of the tree is half edited.
install_pmgen() {
        local keep=()
        if [ "${PMGEN_TEST_PREBUILT:-0}" = 1 ]; then
                keep=(-o build/pmgen -o build/pmgen-shim -o build/libpmgen-bind.so)
        fi
        if ! sandbox_exec make -C "$SANDBOX_REPO" "${keep[@]}" install PREFIX=/usr/local >"$T_WORK/install.log" 2>&1; then
                tail -n 30 "$T_WORK/install.log" | sed 's/^/   | /'
                fatal "make install" "make -C $SANDBOX_REPO install PREFIX=/usr/local failed (log: $T_WORK/install.log)"
        fi
        local f missing=
        for f in /usr/local/bin/pmgen /lib/systemd/system-generators/pmgen-generator \
                /usr/lib/systemd/user-generators/pmgen-user-generator /usr/local/libexec/pmgen/pmgen-shim; do
                sandbox_exec test -e "$f" || missing="$missing $f"
        done
        [ -z "$missing" ] || fatal "make install" "did not install:$missing"
}

install_apps() { # [DIR in the box]
        local dir=${1:-/srv/apps}
        # shellcheck disable=SC2016
        sandbox_exec sh -ec 'rm -rf "$3"; mkdir -p "$3"; cp "$1"/* "$3"/; cp "$2/contrib/examples/server.js" "$3"/;
                chmod -R u=rwX,go=rX "$3"' sh "$APPS_SRC" "$SANDBOX_REPO" "$dir" || fatal "copy apps" "cannot copy the fixture"
}

# `pmgen …` in the box; its output (stdout and stderr) in $T_WORK/NAME.out, its status in $?.
pm() { # NAME ARG…
        local name=$1 rc=0
        shift
        sandbox_exec pmgen "$@" >"$T_WORK/$name.out" 2>&1 || rc=$?
        return "$rc"
}

show() { # NAME: a pm output, indented
        sed 's/^/   | /' "$T_WORK/$1.out"
}

# A field of `pmgen ls --json` for APP INSTANCE, as the box sees it now.
ls_field() { # APP INSTANCE FIELD
        sandbox_exec pmgen ls --json 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["app"] == sys.argv[1] and r["instance"] == sys.argv[2]:
        print(r[sys.argv[3]])' "$@"
}

# The answer of PORT: one request's JSON body.
get_json() { # PORT [FIELD]
        local body
        body=$(curl -sS --max-time 5 "http://127.0.0.1:$1/") || return 1
        if [ -n "${2:-}" ]; then
                printf '%s' "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1]))' "$2"
        else
                printf '%s\n' "$body"
        fi
}

# Every instance of APP active, COUNT of them (the units NAME@0..COUNT-1), and no other running.
instances_are() { # APP COUNT
        local i st n
        for ((i = 0; i < $2; i++)); do
                st=$(unit_prop "$1@$i.service" ActiveState)
                [ "$st" = active ] || return 1
        done
        n=$(sandbox_exec systemctl list-units --plain --no-legend --state=active "$1@*.service" | grep -c . || :)
        [ "$n" = "$2" ]
}
