#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/run.sh SHIM — behaviour tests for pmgen-shim (and src/node/node-preload.cjs).
#
# Builds its helpers (child.c, notify-listen.c, test-backoff.c, test-memory.c, test-ipc.c, test-envfile.c,
# test-proc.c) into a temporary directory, runs every case once natively and the core ones again under valgrind, prints one line per case
# and a summary, and exits non-zero when any case failed. Needs gcc, valgrind, systemd-socket-activate, node, curl, ss.
# Every process it starts is tracked by PID and ended by PID; every wait is bounded.
# SHIM_CASES="wait_ready max_memory" runs only those cases (natively, and under valgrind when core).
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
        echo "usage: $0 PATH/TO/pmgen-shim" >&2
        exit 2
fi
SHIM=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PRELOAD=$ROOT/src/node/node-preload.cjs
BINDLIB=$(dirname "$SHIM")/libpmgen-bind.so
T=$(mktemp -d /tmp/pmgen-shim-test.XXXXXX); [ -n "${SHIM_KEEP:-}" ] && echo "shim tests: files in $T"
PASS=0
FAIL=0
FAILED=()
STARTED=()
# free_port runs in $(...), so the ports it handed out are kept in a file, not a variable.
: >"$T/used-ports"
VALGRIND=0

cleanup() {
        local n pid i
        for n in "${STARTED[@]}"; do
                [ -s "$T/$n.rc" ] && continue
                pid=$(cat "$T/$n.pid" 2>/dev/null) || continue
                kill -TERM "$pid" 2>/dev/null
        done
        for n in "${STARTED[@]}"; do
                [ -s "$T/$n.rc" ] && continue
                pid=$(cat "$T/$n.pid" 2>/dev/null) || continue
                for i in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
                kill -KILL "$pid" 2>/dev/null
        done
        [ -n "${SHIM_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM PIPE

# ---- helpers ----

CFLAGS_T="-std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE"
gcc $CFLAGS_T -o "$T/child" "$HERE/child.c" &&
gcc $CFLAGS_T -o "$T/notify-listen" "$HERE/notify-listen.c" &&
gcc $CFLAGS_T -shared -fPIC -o "$T/no-netlink.so" "$HERE/no-netlink.c" -ldl &&
gcc $CFLAGS_T -I"$ROOT/src" -o "$T/test-backoff" "$HERE/test-backoff.c" "$ROOT/src/shim/backoff.c" &&
gcc $CFLAGS_T -I"$ROOT/src" -o "$T/test-memory" "$HERE/test-memory.c" "$ROOT/src/shim/memory.c" \
        "$ROOT/src/shim/proctree.c" &&
gcc $CFLAGS_T -I"$ROOT/src" -o "$T/test-ipc" "$HERE/test-ipc.c" "$ROOT/src/shim/ipc.c" &&
gcc $CFLAGS_T -I"$ROOT/src" -o "$T/test-envfile" "$HERE/test-envfile.c" "$ROOT/src/shim/envfile.c" \
        "$ROOT/src/shim/control.c" "$ROOT/src/shim/notify.c" &&
gcc $CFLAGS_T -I"$ROOT/src" -o "$T/test-proc" "$HERE/test-proc.c" "$ROOT/src/shim/proctree.c" \
        "$ROOT/src/shim/serving.c" "$ROOT/src/shim/sockets.c" || {
        echo "FAIL cannot build the test helpers"
        exit 1
}
CHILD=$T/child

ok() { echo "ok   $CASE"; PASS=$((PASS + 1)); }
bad() {
        echo "FAIL $CASE: $*"
        FAIL=$((FAIL + 1))
        FAILED+=("$CASE")
}

# start NAME CMD... — runs CMD in the background under notify-listen (NOTIFY_SOCKET=$T/NAME.notify.sock);
# CMD's PID lands in $T/NAME.pid, its stdout/stderr in $T/NAME.out/.err, its exit status in $T/NAME.rc.
start() {
        local n=$1
        shift
        rm -f "$T/$n".{pid,rc,out,err,notify}
        (
                "$T/notify-listen" "$T/$n.notify" "$T/$n.pid" -- "$@" >"$T/$n.out" 2>"$T/$n.err"
                echo $? >"$T/$n.rc"
        ) &
        STARTED+=("$n")
}

# finish NAME SECS — waits for NAME to exit; sets RC (or RC=timeout after ending it).
finish() {
        local n=$1 i pid
        for ((i = 0; i < $2 * 20; i++)); do
                if [ -s "$T/$n.rc" ]; then
                        RC=$(cat "$T/$n.rc")
                        return 0
                fi
                sleep 0.05
        done
        pid=$(cat "$T/$n.pid" 2>/dev/null) && kill -KILL "$pid" 2>/dev/null
        RC=timeout
        return 1
}

# run NAME CMD... — start and finish within 30 s.
run() {
        start "$@"
        finish "$1" 30
}

# wait_file PATH SECS — until PATH exists and is not empty.
wait_file() {
        local i
        for ((i = 0; i < $2 * 20; i++)); do
                [ -s "$1" ] && return 0
                sleep 0.05
        done
        return 1
}

# pid_of NAME — the PID start recorded (waits for it).
pid_of() {
        wait_file "$T/$1.pid" 10 && cat "$T/$1.pid"
}

# free_port — a TCP port in 29100-29999 (below the ephemeral range, so no client socket holds it)
# that nobody listens on and this run has not used yet.
free_port() {
        local p taken
        taken=" $(ss -Htan | awk '{print $4}' | sed 's/.*://' | sort -u | tr '\n' ' ') $(tr '\n' ' ' <"$T/used-ports") "
        for ((p = 29100 + RANDOM % 400; p < 30000; p++)); do
                case "$taken" in *" $p "*) continue ;; esac
                echo "$p" >>"$T/used-ports"
                echo "$p"
                return 0
        done
        return 1
}

# wait_listen PORT SECS — until something listens on 127.0.0.1:PORT.
wait_listen() {
        local i
        for ((i = 0; i < $2 * 20; i++)); do
                [ -n "$(ss -Hltn "sport = :$1")" ] && return 0
                sleep 0.05
        done
        return 1
}

# poke PORT — open and close one connection (wakes systemd-socket-activate up).
poke() {
        (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

now_ms() { date +%s%3N; }

# The shim command line: plain, or under valgrind with one log per process.
shim() {
        if [ "$VALGRIND" = 1 ]; then
                echo valgrind --error-exitcode=99 --leak-check=full --track-fds=yes "--log-file=$T/vg.%p.log" "$SHIM"
        else
                echo "$SHIM"
        fi
}

# vg_check NAME — judges the valgrind log of NAME's shim process (not the logs of its forked children):
# no errors, no leaks, no fd left open that the shim opened itself.
vg_check() {
        local n=$1 pid log
        [ "$VALGRIND" = 1 ] || return 0
        pid=$(cat "$T/$n.pid" 2>/dev/null)
        log=$T/vg.$pid.log
        if [ ! -s "$log" ]; then
                bad "no valgrind log for $n"
                return 1
        fi
        if ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
                bad "valgrind errors: $(grep -m1 'ERROR SUMMARY' "$log")"
                return 1
        fi
        # An "Open ..." entry must be followed by "<inherited from parent>".
        if awk '/Open .*(descriptor|socket) [0-9]+/ { want = 1; what = $0; next }
                want && /<inherited from parent>/ { want = 0; next }
                want { print what; bad = 1; want = 0 }
                END { exit bad ? 0 : 1 }' "$log" >"$T/vg.fds"; then
                bad "shim left fds open at exit: $(tr '\n' ' ' <"$T/vg.fds")"
                return 1
        fi
        return 0
}

# begin NAME — a case's file prefix; clears what an earlier run of it left.
begin() {
        N=$1
        rm -f "$T/$N".* "$T/$N".*.*
}

# expect_rc WANT — compares RC.
expect_rc() {
        [ "$RC" = "$1" ] && return 0
        bad "exit status $RC, want $1 (stderr: $(tr '\n' '|' <"$T/$N.err" | head -c 400))"
        return 1
}

# ---- cases ----
# Each case sets N (its file prefix), runs, and calls ok or bad exactly once.

case_exit_0() {
        begin exit0
        run $N $(shim) -- true
        expect_rc 0 && vg_check $N || return
        grep -Eq '^pmgen-shim: child [0-9]+ exited with status 0$' "$T/$N.err" || { bad "stderr: $(cat "$T/$N.err")"; return; }
        ok
}

case_exit_3() {
        begin exit3
        run $N $(shim) -- sh -c 'exit 3'
        expect_rc 3 && vg_check $N && ok
}

case_signal() {
        begin signal
        run $N $(shim) -- sh -c 'kill -KILL $$'
        expect_rc 137 && vg_check $N || return
        grep -Eq '^pmgen-shim: child [0-9]+ killed by signal SIGKILL$' "$T/$N.err" ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        run $N $(shim) -- sh -c 'kill -TERM $$'
        expect_rc 143 && ok
}

case_exec_enoent() {
        begin enoent
        run $N $(shim) -- "$T/does-not-exist" arg
        expect_rc 127 && vg_check $N || return
        [ "$(grep -v '^==' "$T/$N.err")" = "pmgen-shim: cannot execute '$T/does-not-exist': No such file or directory" ] ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        run $N $(shim) -- pmgen-no-such-command-here
        expect_rc 127 || return
        [ "$(cat "$T/$N.err")" = "pmgen-shim: cannot execute 'pmgen-no-such-command-here': No such file or directory" ] ||
                { bad "PATH search stderr: $(cat "$T/$N.err")"; return; }
        ok
}

case_exec_eacces() {
        begin eacces
        printf '#!/bin/sh\nexit 0\n' >"$T/not-executable"
        chmod 644 "$T/not-executable"
        run $N $(shim) -- "$T/not-executable"
        expect_rc 126 && vg_check $N || return
        [ "$(grep -v '^==' "$T/$N.err")" = "pmgen-shim: cannot execute '$T/not-executable': Permission denied" ] ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        printf 'no interpreter line\n' >"$T/no-shebang"
        chmod 755 "$T/no-shebang"
        run $N $(shim) -- "$T/no-shebang"
        expect_rc 126 || return
        [ "$(cat "$T/$N.err")" = "pmgen-shim: cannot execute '$T/no-shebang': Exec format error" ] ||
                { bad "ENOEXEC stderr: $(cat "$T/$N.err")"; return; }
        ok
}

case_exec_path_search() {
        begin pathsearch
        # execvp semantics: a non-executable candidate earlier in PATH is skipped.
        mkdir -p "$T/noexec"
        printf '#!/bin/sh\nexit 9\n' >"$T/noexec/true"
        chmod 644 "$T/noexec/true"
        run $N env PATH="$T/noexec:$PATH" "$SHIM" -- true
        expect_rc 0 || return
        # ...and when it is the only one, the error is EACCES.
        run $N env PATH="$T/noexec" "$SHIM" -- true
        expect_rc 126 || return
        grep -q "cannot execute 'true': Permission denied" "$T/$N.err" || { bad "stderr: $(cat "$T/$N.err")"; return; }
        ok
}

case_usage() {
        begin usage
        local args want
        while IFS='|' read -r args want; do
                # shellcheck disable=SC2086
                run $N "$SHIM" $args
                if [ "$RC" != 2 ] || [ "$(wc -l <"$T/$N.err")" != 1 ] || ! grep -q -- "$want" "$T/$N.err" ||
                        grep -q Usage "$T/$N.err"; then
                        bad "'$args': status $RC, stderr: $(cat "$T/$N.err")"
                        return
                fi
        done <<'EOF'
--port=abc -- true|--port: invalid value 'abc'
--port=70000 -- true|--port: invalid value '70000' (out of range)
--instance=-1 -- true|--instance: invalid value '-1'
--kill-timeout=1.5 -- true|--kill-timeout: invalid value '1.5'
--stop-signal=SIGBOGUS -- true|--stop-signal: invalid value 'SIGBOGUS'
--exp-backoff=0 -- true|--exp-backoff: invalid value '0'
--backlog= -- true|--backlog: invalid value ''
--instance-var=A=B -- true|--instance-var: 'A=B' is not a valid variable name
--bogus=1 -- true|unknown option '--bogus=1'
-x -- true|unknown option '-x'
--port|option '--port' needs a value
--port=80|missing COMMAND
--increment-var=X -- true|--increment-var needs --instance
--listen-timeout=abc -- true|--listen-timeout: invalid value 'abc'
--max-memory-restart=0 -- true|--max-memory-restart: invalid value '0' (out of range)
--max-memory-restart=1.5G -- true|--max-memory-restart: invalid value '1.5G'
--memory-interval=0 -- true|--memory-interval: invalid value '0' (out of range)
--memory-source=bogus -- true|--memory-source: invalid value 'bogus'
--memory-source=rss -- true|--memory-source: invalid value 'rss'
--sticky=ip -- true|--sticky=ip needs --group-size
--sticky=cookie --group-size=2 -- true|--sticky: invalid value 'cookie'
--group-size=0 -- true|--group-size: invalid value '0' (out of range)
--reload -- true|--reload takes no COMMAND, found 'true'
--env-file=/x -- true|--env-file needs --reload
--control= --reload|--control: empty path
--bind-preload= -- true|--bind-preload: empty path
--cgroup-root= -- true|--cgroup-root: empty path
--wait-ready=1 -- true|option '--wait-ready' takes no value
--health-url=healthz -- true|--health-url: invalid value 'healthz'
--health-url=http://example.com/ -- true|--health-url: invalid value 'http://example.com/'
--health-tcp=6379 -- true|--health-tcp: invalid value '6379'
--health-cmd= -- true|--health-cmd: invalid value ''
--health-url=/a --health-tcp=socket -- true|give one of --health-url, --health-tcp and --health-cmd
--health-retries=0 -- true|--health-retries: invalid value '0' (out of range)
--health-interval=5 -- true|--health-interval: invalid value '5' (out of range)
--wait-ready|missing COMMAND
EOF
        run $N "$SHIM" --help
        expect_rc 0 && grep -q '^Usage: pmgen-shim' "$T/$N.out" || { bad "--help: $(cat "$T/$N.out")"; return; }
        for want in --wait-ready --listen-timeout=MS --shutdown-with-message --max-memory-restart=SIZE \
                --memory-interval=MS ' 75 after stopping' --sticky=ip --group-size=N --reload --env-file=PATH \
                --control=PATH 'default 1000' --bind-preload=PATH --health-url=URL --health-tcp=ADDR --health-cmd=CMD \
                --health-interval=MS --health-timeout=MS --health-retries=N --health-start-period=MS; do
                grep -q -- "$want" "$T/$N.out" || { bad "--help does not mention $want"; return; }
        done
        grep -Eq -- '--(memory-source|cgroup-root|proc-cgroup)' "$T/$N.out" && { bad "--help shows a hidden option"; return; }
        run $N "$SHIM" --version
        expect_rc 0 && [ "$(cat "$T/$N.out")" = "pmgen-shim 0.1.0" ] || { bad "--version: $(cat "$T/$N.out")"; return; }
        ok
}

case_env() {
        begin env
        local out
        run $N env BASE=100 NODE_OPTIONS=--max-old-space-size=100 WATCHDOG_USEC=1000 WATCHDOG_PID=1 LISTEN_FDS=1 \
                LISTEN_PID=1 LISTEN_FDNAMES=x $(shim) --port=39999 --instance=3 --increment-var=BASE \
                --node-preload=/opt/p.cjs --backlog=64 -- env
        expect_rc 0 && vg_check $N || return
        out=$(cat "$T/$N.out")
        for want in PORT=39999 NODE_APP_INSTANCE=3 BASE=103 PMGEN_BACKLOG=64 PMGEN_PORT=39999 PMGEN_DRAIN=SIGINT,1200 \
                "NODE_OPTIONS=--max-old-space-size=100 --require /opt/p.cjs"; do
                grep -Fqx -- "$want" <<<"$out" || { bad "missing $want in: $(tr '\n' ' ' <<<"$out")"; return; }
        done
        for unwanted in LISTEN_FDS LISTEN_PID LISTEN_FDNAMES WATCHDOG_USEC WATCHDOG_PID; do
                grep -q "^$unwanted=" <<<"$out" && { bad "$unwanted passed to the child"; return; }
        done
        # the child's NOTIFY_SOCKET is its own (no RUNTIME_DIRECTORY here: an abstract name), never the shim's
        grep -Eqx "NOTIFY_SOCKET=@pmgen-shim/[0-9]+/0" <<<"$out" ||
                { bad "child's NOTIFY_SOCKET: $(grep NOTIFY_SOCKET <<<"$out")"; return; }
        # custom instance variable, preload path with a space, default backlog, no PORT without --port
        run $N "$SHIM" --instance=0 --instance-var=INST --node-preload='/a b/p"q.cjs' -- env
        out=$(cat "$T/$N.out")
        for want in INST=0 'NODE_OPTIONS=--require "/a b/p\"q.cjs"' PMGEN_BACKLOG=511; do
                grep -Fqx -- "$want" <<<"$out" || { bad "missing $want"; return; }
        done
        grep -Eq '^(PORT|PMGEN_PORT|NODE_APP_INSTANCE)=' <<<"$out" && { bad "unexpected PORT/instance vars"; return; }
        # the preload drains on the stop signal within 3/4 of the kill timeout; not when stopped by a message,
        # and an inherited PMGEN_DRAIN never reaches a child without the preload
        run $N "$SHIM" --node-preload=/opt/p.cjs --stop-signal=SIGTERM --kill-timeout=4000 -- env
        grep -Fqx PMGEN_DRAIN=SIGTERM,3000 "$T/$N.out" || { bad "drain: $(grep PMGEN_DRAIN "$T/$N.out")"; return; }
        run $N env PMGEN_DRAIN=SIGINT,1 "$SHIM" --node-preload=/opt/p.cjs --shutdown-with-message -- env
        grep -q '^PMGEN_DRAIN=' "$T/$N.out" && { bad "PMGEN_DRAIN with --shutdown-with-message"; return; }
        run $N env PMGEN_DRAIN=SIGINT,1 "$SHIM" -- env
        grep -q '^PMGEN_DRAIN=' "$T/$N.out" && { bad "inherited PMGEN_DRAIN passed on"; return; }
        # a Node channel the shim inherited is not the child's; its own comes with --wait-ready
        run $N env NODE_CHANNEL_FD=9 NODE_CHANNEL_SERIALIZATION_MODE=advanced "$SHIM" -- env
        grep -q '^NODE_CHANNEL' "$T/$N.out" && { bad "inherited NODE_CHANNEL_* passed on"; return; }
        run $N env NODE_CHANNEL_FD=9 "$SHIM" --wait-ready --listen-timeout=0 -- env
        out=$(cat "$T/$N.out")
        grep -qx NODE_CHANNEL_FD=3 <<<"$out" && grep -qx NODE_CHANNEL_SERIALIZATION_MODE=json <<<"$out" ||
                { bad "--wait-ready env: $(grep NODE_CHANNEL <<<"$out" | tr '\n' ' ')"; return; }
        # a bad increment variable is a start-up error
        run $N "$SHIM" --instance=1 --increment-var=NOPE_NOT_SET -- true
        expect_rc 2 && grep -q 'NOPE_NOT_SET is not set' "$T/$N.err" || { bad "unset increment var: $(cat "$T/$N.err")"; return; }
        run $N env BASE=12x "$SHIM" --instance=1 --increment-var=BASE -- true
        expect_rc 2 && grep -q "'12x' is not a number" "$T/$N.err" || { bad "bad increment var: $(cat "$T/$N.err")"; return; }
        # the child's environment, fds and signal state without sockets
        (trap '' INT QUIT; run $N $(shim) -- "$CHILD" check-plain)
        RC=$(cat "$T/$N.rc")
        expect_rc 0 && ok
}

case_sigpipe() {
        begin sigpipe
        # the child gets SIGPIPE as the shim found it...
        run $N $(shim) -- "$CHILD" sigpipe
        expect_rc 0 && vg_check $N || return
        [ "$(cat "$T/$N.out")" = default ] || { bad "SIGPIPE in the child: $(cat "$T/$N.out"), want default"; return; }
        (trap '' PIPE; run $N "$SHIM" -- "$CHILD" sigpipe)
        [ "$(cat "$T/$N.out")" = ignored ] || { bad "SIGPIPE in the child: $(cat "$T/$N.out"), want ignored"; return; }
        # ...while a closed stderr does not kill the shim itself
        (timeout -s KILL 10 "$SHIM" -- sh -c 'sleep 0.3; exit 4' 2>&1 >/dev/null; echo $? >"$T/$N.rc2") | true
        [ "$(cat "$T/$N.rc2")" = 4 ] || { bad "with stderr closed: exit status $(cat "$T/$N.rc2"), want 4"; return; }
        ok
}

case_stop() {
        begin stop
        local shim_pid child_pid t0 t1
        start $N $(shim) -- "$CHILD" wait-signal INT 0 "$T/$N.child"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.child" 20 || { bad "child did not start"; return; }
        child_pid=$(cat "$T/$N.child")
        t0=$(now_ms)
        kill -TERM "$shim_pid"
        finish $N 20
        t1=$(now_ms)
        expect_rc 0 && vg_check $N || return
        grep -qx 'got INT' "$T/$N.out" || { bad "child did not get SIGINT"; return; }
        [ $((t1 - t0)) -lt 1500 ] || { bad "stop took $((t1 - t0)) ms"; return; }
        # sd_notify: READY=1 with the child's PID, STATUS=stopping, never MAINPID
        grep -qx 'READY=1' "$T/$N.notify" && grep -qx "STATUS=running pid $child_pid" "$T/$N.notify" &&
                grep -qx 'STATUS=stopping' "$T/$N.notify" && ! grep -q MAINPID "$T/$N.notify" ||
                { bad "notifications: $(tr '\n' ' ' <"$T/$N.notify")"; return; }
        # --stop-signal=SIGTERM, and SIGQUIT to the shim as the stop request; the child's code comes back
        start $N $(shim) --stop-signal=SIGTERM -- "$CHILD" wait-signal TERM 7 "$T/$N.child2"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.child2" 20 || { bad "second child did not start"; return; }
        kill -QUIT "$shim_pid"
        finish $N 20
        expect_rc 7 && grep -qx 'got TERM' "$T/$N.out" && ok
}

case_kill_timeout() {
        begin killtimeout
        local shim_pid t0 t1
        start $N $(shim) --kill-timeout=500 -- "$CHILD" ignore INT "$T/$N.child"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.child" 20 || { bad "child did not start"; return; }
        t0=$(now_ms)
        kill -TERM "$shim_pid"
        finish $N 20
        t1=$(now_ms)
        expect_rc 137 && vg_check $N || return
        [ $((t1 - t0)) -ge 450 ] && [ $((t1 - t0)) -lt 5000 ] || { bad "SIGKILL after $((t1 - t0)) ms, want ~500"; return; }
        grep -q 'still running 500 ms after SIGINT, sending SIGKILL' "$T/$N.err" || { bad "stderr: $(cat "$T/$N.err")"; return; }
        ok
}

case_forward() {
        begin forward
        local shim_pid s
        start $N $(shim) -- "$CHILD" record "$T/$N.child"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.child" 20 || { bad "child did not start"; return; }
        for s in HUP USR1 USR2; do
                kill -"$s" "$shim_pid"
                for _ in $(seq 100); do grep -qx "got $s" "$T/$N.out" && break; sleep 0.05; done
        done
        kill -INT "$shim_pid"
        finish $N 20
        expect_rc 0 && vg_check $N || return
        [ "$(tr '\n' ' ' <"$T/$N.out")" = "got HUP got USR1 got USR2 " ] || { bad "child saw: $(cat "$T/$N.out")"; return; }
        ok
}

case_orphans() {
        begin orphans
        local shim_pid g gppid i
        start $N $(shim) -- "$CHILD" orphan "$T/$N.child" "$T/$N.grand"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.grand" 20 || { bad "no grandchild"; return; }
        read -r g gppid <"$T/$N.grand"
        [ "$gppid" = "$shim_pid" ] || { bad "orphan's parent is $gppid, not the shim $shim_pid"; return; }
        # it exits 200 ms later and must be reaped (no zombie) while the shim still runs
        for ((i = 0; i < 30; i++)); do [ -e "/proc/$g" ] || break; sleep 0.05; done
        [ -e "/proc/$g" ] && { bad "orphan $g not reaped: $(grep State "/proc/$g/status")"; return; }
        [ -s "$T/$N.rc" ] && { bad "shim exited before its child"; return; }
        finish $N 20
        expect_rc 5 && vg_check $N && ok
}

case_listen_fds() {
        begin listen
        local port
        port=$(free_port)
        start $N systemd-socket-activate -l "127.0.0.1:$port" --fdname=web -E NOTIFY_SOCKET \
                $(shim) --port="$port" -- "$CHILD" check-listen web
        wait_listen "$port" 10 || { bad "socket-activate does not listen"; return; }
        poke "$port"
        # READY=1 once the child is seen waiting in accept() on the socket (it accepted the first connection)
        wait_notify $N READY=1 20 || { stop_named $N; bad "no READY=1 through socket activation: $(cat "$T/$N.err")"; return; }
        poke "$port"
        finish $N 30
        expect_rc 0 && vg_check $N || return
        grep -Eq '^pmgen-shim: child [0-9]+ is ready \(serving its socket\) after [0-9]+ ms$' "$T/$N.err" ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        ok
}

# node_run NAME PORT SHIM-OPTIONS... -- NODE-ARGS...: a Node app under socket activation + shim.
node_run() {
        local n=$1 port=$2
        shift 2
        start "$n" systemd-socket-activate -l "127.0.0.1:$port" --fdname=web -E NOTIFY_SOCKET "$SHIM" \
                --port="$port" "$@"
        wait_listen "$port" 10
}

# stop_named NAME — SIGTERM its shim and wait for it.
stop_named() {
        local pid
        pid=$(cat "$T/$1.pid" 2>/dev/null) && kill -TERM "$pid" 2>/dev/null
        finish "$1" 20
}

case_node_preload() {
        begin node
        local port body
        port=$(free_port)
        cat >"$T/app.js" <<'EOF'
const http = require('http');
const server = http.createServer((req, res) => {
  res.end(JSON.stringify({ address: server.address(), fds: process.env.LISTEN_FDS || null }) + '\n');
});
server.listen(process.env.PORT);
setTimeout(() => process.exit(1), 30000).unref();
EOF
        node_run $N "$port" --node-preload="$PRELOAD" -- node "$T/app.js" || { bad "no listener"; return; }
        body=$(curl -sS -m 10 "http://127.0.0.1:$port/" 2>&1)
        stop_named $N
        [ "$body" = "{\"address\":{\"address\":\"127.0.0.1\",\"family\":\"IPv4\",\"port\":$port},\"fds\":null}" ] ||
                { bad "response: $body (stderr: $(tail -3 "$T/$N.err" | tr '\n' '|'))"; return; }
        # the shim's stop signal is SIGINT and the app has no handler: 128+2
        [ "$RC" = 130 ] || { bad "stop status $RC, want 130"; return; }
        ok
}

# An app with no signal handler of its own: on the stop signal the preload finishes the request in flight
# before the child dies by that signal; an app with its own handler is left to it.
case_node_drain() {
        begin nodedrain
        local port body t0 t1
        port=$(free_port)
        cat >"$T/drain.js" <<'EOF'
const http = require('http');
http.createServer((req, res) => setTimeout(() => res.end('done\n'), 800))
  .listen(process.env.PORT, () => require('fs').writeFileSync(process.argv[3], 'up'));
if (process.argv[2] === 'own') process.on('SIGINT', () => { console.log('own handler'); process.exit(7); });
setTimeout(() => process.exit(1), 30000).unref();
EOF
        rm -f "$T/$N.up"
        node_run $N "$port" --node-preload="$PRELOAD" -- node "$T/drain.js" plain "$T/$N.up" && poke "$port" &&
                wait_file "$T/$N.up" 10 || { bad "no listener"; return; }
        curl -sS -m 10 "http://127.0.0.1:$port/" >"$T/$N.body" 2>&1 &
        sleep 0.3
        t0=$(now_ms)
        stop_named $N
        t1=$(now_ms)
        wait $!
        body=$(cat "$T/$N.body")
        [ "$body" = done ] || { bad "the request in flight got: $body"; return; }
        [ "$RC" = 130 ] || { bad "stop status $RC, want 130 (ended by SIGINT)"; return; }
        [ $((t1 - t0)) -lt 1500 ] || { bad "the drain took $((t1 - t0)) ms"; return; }
        rm -f "$T/$N.up"
        node_run $N "$port" --node-preload="$PRELOAD" -- node "$T/drain.js" own "$T/$N.up" && poke "$port" &&
                wait_file "$T/$N.up" 10 || { bad "no listener (own)"; return; }
        stop_named $N
        [ "$RC" = 7 ] && grep -qx 'own handler' "$T/$N.out" ||
                { bad "the app's own handler: status $RC, out $(cat "$T/$N.out")"; return; }
        ok
}

case_node_forms() {
        begin nodeforms
        local port form body
        cat >"$T/forms.js" <<'EOF'
const http = require('http');
const net = require('net');
const [form, other] = process.argv.slice(2);
const P = process.env.PORT;
const reply = (tag) => (req, res) => res.end(tag + ' ' + JSON.stringify(req.socket.server.address().port) + '\n');
const s = http.createServer(reply(form));
const cb = () => {};
switch (form) {
  case 'number': s.listen(Number(P)); break;
  case 'string': s.listen(P); break;
  case 'host': s.listen(P, '0.0.0.0'); break;
  case 'host-backlog-cb': s.listen(Number(P), '::', 7, cb); break;
  case 'cb': s.listen(P, cb); break;
  case 'options': s.listen({ port: Number(P), host: 'localhost', backlog: 5 }, cb); break;
  case 'options-string': s.listen({ port: P }); break;
  case 'fd3': s.listen({ fd: 3 }); break;                      // an app that uses LISTEN_FDS itself
  case 'second': {                                              // a second server on the same port
    s.listen(P);
    const t = http.createServer(reply('B'));
    t.on('error', (e) => { console.error('second: ' + e.code); });
    t.listen(P);
    break;
  }
  case 'other': {                                               // another port is left alone
    s.listen(P);
    const o = http.createServer(reply('other'));
    o.on('error', (e) => { console.error('other: ' + e.code); process.exit(1); });
    o.listen(Number(other), '127.0.0.1');
    break;
  }
}
setTimeout(() => process.exit(1), 30000).unref();
EOF
        for form in number string host host-backlog-cb cb options options-string fd3 second other; do
                port=$(free_port)
                local other=""
                [ $form = other ] && other=$(free_port)
                node_run $N "$port" --node-preload="$PRELOAD" -- node "$T/forms.js" $form $other ||
                        { bad "$form: no listener"; return; }
                body=$(curl -sS -m 10 "http://127.0.0.1:$port/" 2>&1)
                if [ "$body" != "$form $port" ]; then
                        stop_named $N
                        bad "$form (port $port${other:+, other $other}): response '$body' (stderr: $(grep -v '^ *at \|^$' "$T/$N.err" | tail -6 | tr '\n' '|'))"
                        return
                fi
                if [ $form = other ]; then
                        body=$(curl -sS -m 10 "http://127.0.0.1:$other/" 2>&1)
                        [ "$body" = "other $other" ] || { stop_named $N; bad "other port: '$body'"; return; }
                fi
                stop_named $N
                if [ $form = second ] && ! grep -qx 'second: EADDRINUSE' "$T/$N.err"; then
                        bad "second server: $(tail -3 "$T/$N.err" | tr '\n' '|')"
                        return
                fi
        done
        ok
}

case_node_backlog() {
        begin nodebacklog
        local port q
        port=$(free_port)
        node_run $N "$port" --backlog=77 --node-preload="$PRELOAD" -- node "$T/app.js" || { bad "no listener"; return; }
        curl -sS -m 10 -o /dev/null "http://127.0.0.1:$port/" || { stop_named $N; bad "no response"; return; }
        q=$(ss -Hltn "sport = :$port" | awk '{print $3}')
        stop_named $N
        [ "$q" = 77 ] || { bad "listen backlog $q, want 77"; return; }
        ok
}

case_node_preload_path_with_space() {
        begin nodespace
        local port body
        port=$(free_port)
        mkdir -p "$T/dir with space"
        cp "$PRELOAD" "$T/dir with space/pre load.cjs"
        node_run $N "$port" --node-preload="$T/dir with space/pre load.cjs" -- node "$T/app.js" ||
                { bad "no listener"; return; }
        body=$(curl -sS -m 10 "http://127.0.0.1:$port/" 2>&1)
        stop_named $N
        grep -q "\"port\":$port" <<<"$body" || { bad "response: $body; $(tail -3 "$T/$N.err" | tr '\n' '|')"; return; }
        ok
}

case_node_preload_inactive() {
        begin nodeplain
        local port body
        # no sockets: the app binds the port itself, and the preload changes nothing
        port=$(free_port)
        start $N "$SHIM" --port="$port" --node-preload="$PRELOAD" -- node "$T/app.js"
        wait_listen "$port" 10 || { stop_named $N; bad "app did not listen by itself"; return; }
        body=$(curl -sS -m 10 "http://127.0.0.1:$port/" 2>&1)
        stop_named $N
        grep -q "\"port\":$port" <<<"$body" || { bad "response: $body"; return; }
        # sockets meant for another PID: untouched, and LISTEN_* stay in the environment
        out=$(LISTEN_FDS=1 LISTEN_PID=1 PMGEN_PORT=1 node --require "$PRELOAD" -e \
                'process.stdout.write(process.env.LISTEN_FDS + " " + (require("net").Server.prototype.listen.name === "pmgenListen"))')
        [ "$out" = "1 false" ] || { bad "preload active for another PID: $out"; return; }
        ok
}

# backoff_file — the state file's content, one line.
backoff_file() { cat "$T/rt/backoff" 2>/dev/null; }

uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

case_backoff_unit() {
        begin backoffunit
        mkdir -p "$T/bu"
        if "$T/test-backoff" "$T/bu" >"$T/$N.out" 2>&1; then ok; else bad "$(cat "$T/$N.out")"; fi
}

case_backoff() {
        begin backoff
        local t0 t1 d s now shim_pid
        rm -rf "$T/rt"
        mkdir -p "$T/rt"
        # first quick failure: the next start waits the base delay
        run $N env RUNTIME_DIRECTORY="$T/rt" $(shim) --exp-backoff=300 -- false
        expect_rc 1 && vg_check $N || return
        read -r d s <<<"$(backoff_file)"
        now=$(uptime_ms)
        [ "$d" = 300 ] && [ $((now - s)) -ge 0 ] && [ $((now - s)) -lt 10000 ] ||
                { bad "state after first run: '$(backoff_file)' (uptime $now)"; return; }
        grep -q STATUS=backing "$T/$N.notify" && { bad "first start backed off"; return; }
        # second: waits 300 ms (announced, start timeout extended), then 450
        t0=$(now_ms)
        run $N env RUNTIME_DIRECTORY="$T/rt" $(shim) --exp-backoff=300 -- false
        t1=$(now_ms)
        expect_rc 1 && vg_check $N || return
        [ $((t1 - t0)) -ge 300 ] || { bad "second start did not wait ($((t1 - t0)) ms)"; return; }
        grep -qx 'STATUS=backing off for 300 ms' "$T/$N.notify" && grep -qx 'EXTEND_TIMEOUT_USEC=5300000' "$T/$N.notify" ||
                { bad "notifications: $(tr '\n' ' ' <"$T/$N.notify")"; return; }
        [ "$(backoff_file | cut -d' ' -f1)" = 450 ] || { bad "after second run: '$(backoff_file)'"; return; }
        # a stop during the back-off: exit 0 at once, the app never starts, the delay resets
        echo "5000 1" >"$T/rt/backoff"
        start $N env RUNTIME_DIRECTORY="$T/rt" $(shim) --exp-backoff=300 -- "$CHILD" wait-signal INT 0 "$T/$N.child"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.notify" 10 || { bad "no back-off notification"; return; }
        sleep 0.2
        kill -TERM "$shim_pid"
        finish $N 10
        expect_rc 0 && vg_check $N || return
        [ -e "$T/$N.child" ] && { bad "the app started during the back-off"; return; }
        [ "$(backoff_file | cut -d' ' -f1)" = 0 ] || { bad "after stop in back-off: '$(backoff_file)'"; return; }
        # a requested stop is not a crash: the delay resets
        echo "200 1" >"$T/rt/backoff"
        start $N env RUNTIME_DIRECTORY="$T/rt" $(shim) --exp-backoff=300 -- "$CHILD" wait-signal INT 0 "$T/$N.child"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.child" 20 || { bad "child did not start"; return; }
        kill -TERM "$shim_pid"
        finish $N 10
        expect_rc 0 || return
        [ "$(backoff_file | cut -d' ' -f1)" = 0 ] || { bad "after requested stop: '$(backoff_file)'"; return; }
        # garbage in the state file: warning, no delay
        echo "garbage" >"$T/rt/backoff"
        run $N env RUNTIME_DIRECTORY="$T/rt" "$SHIM" --exp-backoff=300 -- false
        grep -q 'warning: ignoring .*/backoff' "$T/$N.err" && [ "$(backoff_file | cut -d' ' -f1)" = 300 ] ||
                { bad "garbage state: $(cat "$T/$N.err"), file '$(backoff_file)'"; return; }
        # no RUNTIME_DIRECTORY: disabled with a warning
        run $N env -u RUNTIME_DIRECTORY "$SHIM" --exp-backoff=300 -- true
        expect_rc 0 && grep -q 'RUNTIME_DIRECTORY is not set, --exp-backoff is disabled' "$T/$N.err" ||
                { bad "without RUNTIME_DIRECTORY: $(cat "$T/$N.err")"; return; }
        ok
}

case_memory() {
        begin memory
        local pid kb
        start $N "$SHIM" -- "$CHILD" wait-signal INT 0 "$T/$N.child"
        pid=$(pid_of $N) && wait_file "$T/$N.child" 10 || { bad "child did not start"; return; }
        kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status")
        kill -TERM "$pid"
        finish $N 10
        echo "info pmgen-shim RssAnon with a sleeping child: $kb kB"
        [ -n "$kb" ] && [ "$kb" -le 1024 ] || { bad "RssAnon $kb kB (over 1 MiB)"; return; }
        # with the IPC channel and the memory check (from this host's cgroup, or the RSS)
        start $N "$SHIM" --wait-ready --listen-timeout=0 --shutdown-with-message --max-memory-restart=64G \
                --memory-interval=50 -- "$CHILD" wait-signal INT 0 "$T/$N.child2"
        pid=$(pid_of $N) && wait_file "$T/$N.child2" 10 || { bad "child did not start"; return; }
        sleep 0.3
        kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status")
        kill -TERM "$pid"
        finish $N 10
        echo "info pmgen-shim RssAnon with --wait-ready --shutdown-with-message --max-memory-restart: $kb kB"
        [ -n "$kb" ] && [ "$kb" -le 1024 ] || { bad "RssAnon $kb kB (over 1 MiB)"; return; }
        # with a health check that forks a command every 50 ms
        start $N "$SHIM" --health-cmd=true --health-interval=50 --health-start-period=100 -- \
                "$CHILD" wait-signal INT 0 "$T/$N.child3"
        pid=$(pid_of $N) && wait_file "$T/$N.child3" 10 || { bad "child did not start"; return; }
        sleep 1
        kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status")
        kill -TERM "$pid"
        finish $N 10
        echo "info pmgen-shim RssAnon with --health-cmd every 50 ms: $kb kB"
        [ -n "$kb" ] && [ "$kb" -le 1024 ] || { bad "RssAnon $kb kB (over 1 MiB)"; return; }
        ok
}

# ---- --wait-ready, --shutdown-with-message, --max-memory-restart ----

# notify_time NAME LINE — when the first datagram with the line LINE reached notify-listen (ms, as now_ms).
notify_time() {
        awk -v want="$2" '$0 == want { hit = 1 } /^-- at [0-9]+$/ { if (hit) { print $3; exit } }' "$T/$1.notify" 2>/dev/null
}

# wait_notify NAME LINE SECS — until a datagram with the line LINE arrived.
wait_notify() {
        local i
        for ((i = 0; i < $3 * 20; i++)); do
                [ -n "$(notify_time "$1" "$2")" ] && return 0
                sleep 0.05
        done
        return 1
}

# wait_line FILE LINE SECS — until FILE has the line LINE.
wait_line() {
        local i
        for ((i = 0; i < $3 * 20; i++)); do
                grep -qxF -- "$2" "$1" 2>/dev/null && return 0
                sleep 0.05
        done
        return 1
}

# The Node app of the IPC cases: node ipc.js MODE [MS]. It prints "started" once its handlers are in
# place, "sent ready AT", "got shutdown", "got SIGINT", "disconnected"; gives up after 30 s.
#   ready-after MS  process.send('ready') after MS; exit 0 on the message 'shutdown' or on SIGINT
#   never           never sends 'ready'; otherwise the same
#   deaf            no 'message' listener (Node drops the message); SIGINT is only printed
#   disconnect      closes the channel at once; exit 0 on SIGINT
write_ipc_app() {
        cat >"$T/ipc.js" <<'EOF'
const [mode, ms] = process.argv.slice(2);
setTimeout(() => process.exit(1), 30000).unref();
const say = (s) => process.stdout.write(s + '\n');
if (mode === 'deaf') {
  setInterval(() => {}, 1000);
  process.on('SIGINT', () => say('got SIGINT'));
} else {
  process.on('SIGINT', () => { say('got SIGINT'); process.exit(0); });
}
if (mode === 'ready-after' || mode === 'never') {
  process.on('message', (m) => { if (m === 'shutdown') { say('got shutdown'); process.exit(0); } });
  if (mode === 'ready-after') setTimeout(() => { process.send('ready'); say('sent ready ' + Date.now()); }, Number(ms));
}
if (mode === 'disconnect') {
  setInterval(() => {}, 1000);
  process.on('disconnect', () => say('disconnected'));
  process.disconnect();
}
say('started');
EOF
}

case_wait_ready() {
        begin waitready
        local t0 tr sent child_pid
        write_ipc_app
        t0=$(now_ms)
        start $N $(shim) --wait-ready --listen-timeout=10000 -- node "$T/ipc.js" ready-after 1000
        wait_notify $N READY=1 20 || { stop_named $N; bad "no READY=1: $(tr '\n' ' ' <"$T/$N.notify")"; return; }
        tr=$(notify_time $N READY=1)
        sent=$(awk '/^sent ready / { print $3 }' "$T/$N.out")
        stop_named $N
        expect_rc 0 && vg_check $N || return
        [ -n "$sent" ] && [ "$tr" -ge "$sent" ] && [ $((tr - t0)) -ge 1000 ] && [ $((tr - t0)) -lt 9000 ] ||
                { bad "READY=1 at +$((tr - t0)) ms, 'ready' sent at +$((${sent:-0} - t0)) ms"; return; }
        child_pid=$(sed -n 's/^STATUS=waiting for .ready. from pid \([0-9]*\)$/\1/p' "$T/$N.notify")
        [ -n "$child_pid" ] && [ "$(notify_time $N "STATUS=waiting for 'ready' from pid $child_pid")" -le "$tr" ] &&
                grep -qx "STATUS=running pid $child_pid" "$T/$N.notify" ||
                { bad "notifications: $(tr '\n' ' ' <"$T/$N.notify")"; return; }
        grep -q "no 'ready'" "$T/$N.err" && { bad "timed out: $(cat "$T/$N.err")"; return; }
        # the channel as the child sees it (fd, variables, flags), and the line written by a non-Node child
        start $N $(shim) --wait-ready --listen-timeout=10000 -- "$CHILD" check-ipc 3 "$T/$N.child"
        wait_notify $N READY=1 20 || { stop_named $N; bad "check-ipc: no READY=1 ($(cat "$T/$N.err"))"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        grep -q "no 'ready'" "$T/$N.err" && { bad "check-ipc timed out: $(cat "$T/$N.err")"; return; }
        ok
}

case_wait_ready_timeout() {
        begin waitreadytimeout
        local t0 tr child_pid
        write_ipc_app
        t0=$(now_ms)
        start $N $(shim) --wait-ready --listen-timeout=800 -- node "$T/ipc.js" never
        wait_notify $N READY=1 20 || { stop_named $N; bad "no READY=1: $(tr '\n' ' ' <"$T/$N.notify")"; return; }
        tr=$(notify_time $N READY=1)
        wait_line "$T/$N.out" started 20 # its SIGINT handler is in place
        stop_named $N
        expect_rc 0 && vg_check $N || return
        [ $((tr - t0)) -ge 800 ] && [ $((tr - t0)) -lt 6000 ] || { bad "READY=1 at +$((tr - t0)) ms, want ~800"; return; }
        grep -qx "pmgen-shim: no 'ready' from the app within 800 ms (wait_ready); continuing as PM2 does" "$T/$N.err" ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        child_pid=$(sed -n 's/^STATUS=waiting for .ready. from pid \([0-9]*\)$/\1/p' "$T/$N.notify")
        grep -qx "STATUS=running pid $child_pid (no 'ready' within 800 ms)" "$T/$N.notify" &&
                grep -qx EXTEND_TIMEOUT_USEC=5800000 "$T/$N.notify" ||
                { bad "notifications: $(tr '\n' ' ' <"$T/$N.notify")"; return; }
        # the channel closed before 'ready' while the child lives on: still READY=1 after the timeout
        t0=$(now_ms)
        start $N $(shim) --wait-ready --listen-timeout=600 -- sh -c \
                'eval "exec $NODE_CHANNEL_FD>&-"; exec "$0" wait-signal INT 0 "$1"' "$CHILD" "$T/$N.child"
        wait_notify $N READY=1 20 || { stop_named $N; bad "EOF, then no READY=1: $(cat "$T/$N.err")"; return; }
        tr=$(notify_time $N READY=1)
        stop_named $N
        expect_rc 0 || return
        [ $((tr - t0)) -ge 600 ] || { bad "READY=1 at +$((tr - t0)) ms after EOF, want >= 600"; return; }
        grep -q 'closed its IPC channel before sending .ready.' "$T/$N.err" || { bad "stderr: $(cat "$T/$N.err")"; return; }
        ok
}

case_wait_ready_child_exits() {
        begin waitreadyexit
        run $N $(shim) --wait-ready --listen-timeout=10000 -- node -e 'setTimeout(() => process.exit(3), 300)'
        expect_rc 3 && vg_check $N || return
        grep -qx READY=1 "$T/$N.notify" && { bad "READY=1 for a child that never was ready"; return; }
        # EOF on the channel first, then the exit: the shim waits for the exit, not the timeout
        run $N $(shim) --wait-ready --listen-timeout=20000 -- sh -c 'eval "exec $NODE_CHANNEL_FD>&-"; sleep 0.5; exit 4'
        expect_rc 4 || return
        grep -qx READY=1 "$T/$N.notify" && { bad "READY=1 after EOF"; return; }
        ok
}

case_wait_ready_lines() {
        begin waitreadylines
        local t0 tr long
        # Node's own messages, a line split across writes, a long line ending like "ready": only a whole
        # "ready" line counts
        long=$(head -c 3000 /dev/zero | tr '\0' x)
        t0=$(now_ms)
        start $N $(shim) --wait-ready --listen-timeout=20000 -- sh -c '
                fd=$NODE_CHANNEL_FD
                printf "{\"cmd\":\"NODE_X\"}\n%s\"ready\"\n\"rea" "$2" >&$fd
                sleep 0.6
                printf "dy\"\n{\"type\":\"process:msg\"}\n" >&$fd
                exec "$0" wait-signal INT 0 "$1"' "$CHILD" "$T/$N.child" "$long"
        wait_notify $N READY=1 20 || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        tr=$(notify_time $N READY=1)
        stop_named $N
        expect_rc 0 || return
        [ $((tr - t0)) -ge 600 ] || { bad "READY=1 at +$((tr - t0)) ms: before the line was complete"; return; }
        ok
}

case_wait_ready_socket() {
        begin waitreadysock
        local port body
        # with a socket at fd 3 the channel is fd 4; the app signals ready once it listens
        port=$(free_port)
        cat >"$T/ready-app.js" <<'EOF'
const http = require('http');
const s = http.createServer((req, res) => res.end('fd ' + process.env.NODE_CHANNEL_FD + ' ' + typeof process.send + '\n'));
s.listen(process.env.PORT, () => process.send('ready'));
process.on('SIGINT', () => process.exit(0));
setTimeout(() => process.exit(1), 30000).unref();
EOF
        node_run $N "$port" --wait-ready --listen-timeout=10000 --node-preload="$PRELOAD" -- node "$T/ready-app.js" ||
                { bad "no listener"; return; }
        body=$(curl -sS -m 10 "http://127.0.0.1:$port/" 2>&1) # the first connection starts the shim
        wait_notify $N READY=1 20 || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        stop_named $N
        expect_rc 0 || return
        # Node removes NODE_CHANNEL_FD from process.env once it has the channel
        [ "$body" = "fd undefined function" ] || { bad "response: $body ($(tail -3 "$T/$N.err" | tr '\n' '|'))"; return; }
        grep -q "no 'ready'" "$T/$N.err" && { bad "timed out: $(cat "$T/$N.err")"; return; }
        ok
}

case_shutdown_with_message() {
        begin shutdownmsg
        local shim_pid
        write_ipc_app
        start $N $(shim) --shutdown-with-message -- node "$T/ipc.js" ready-after 0
        shim_pid=$(pid_of $N) && wait_line "$T/$N.out" started 20 || { stop_named $N; bad "app did not start"; return; }
        kill -TERM "$shim_pid"
        finish $N 20
        expect_rc 0 && vg_check $N || return
        grep -qx 'got shutdown' "$T/$N.out" && ! grep -q 'got SIGINT' "$T/$N.out" ||
                { bad "the app saw: $(tr '\n' ' ' <"$T/$N.out")"; return; }
        grep -Eq "^pmgen-shim: SIGTERM: stopping child [0-9]+ with the message 'shutdown'$" "$T/$N.err" &&
                grep -qx 'STATUS=stopping' "$T/$N.notify" || { bad "stderr: $(cat "$T/$N.err")"; return; }
        # with --wait-ready too: one channel for both
        start $N $(shim) --wait-ready --shutdown-with-message -- node "$T/ipc.js" ready-after 100
        shim_pid=$(pid_of $N) && wait_notify $N READY=1 20 || { stop_named $N; bad "no READY=1"; return; }
        kill -INT "$shim_pid"
        finish $N 20
        expect_rc 0 && grep -qx 'got shutdown' "$T/$N.out" && ! grep -q 'got SIGINT' "$T/$N.out" ||
                { bad "with --wait-ready the app saw: $(tr '\n' ' ' <"$T/$N.out")"; return; }
        grep -q "no 'ready'" "$T/$N.err" && { bad "timed out: $(cat "$T/$N.err")"; return; }
        ok
}

case_shutdown_message_fallback() {
        begin shutdownfallback
        local shim_pid t0 t1
        write_ipc_app
        # no 'message' listener: Node drops 'shutdown'; SIGKILL after the kill timeout, never SIGINT
        start $N $(shim) --shutdown-with-message --kill-timeout=500 -- node "$T/ipc.js" deaf
        shim_pid=$(pid_of $N) && wait_line "$T/$N.out" started 20 || { stop_named $N; bad "app did not start"; return; }
        t0=$(now_ms)
        kill -TERM "$shim_pid"
        finish $N 20
        t1=$(now_ms)
        expect_rc 137 && vg_check $N || return
        [ $((t1 - t0)) -ge 450 ] && [ $((t1 - t0)) -lt 5000 ] || { bad "SIGKILL after $((t1 - t0)) ms, want ~500"; return; }
        grep -q "still running 500 ms after the message 'shutdown', sending SIGKILL" "$T/$N.err" ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        grep -q 'got SIGINT' "$T/$N.out" && { bad "the app got SIGINT"; return; }
        # the app closed the channel: the message cannot be written, the stop signal goes instead
        start $N $(shim) --shutdown-with-message -- node "$T/ipc.js" disconnect
        shim_pid=$(pid_of $N) && wait_line "$T/$N.out" disconnected 20 || { stop_named $N; bad "app did not disconnect"; return; }
        kill -TERM "$shim_pid"
        finish $N 20
        expect_rc 0 || return
        grep -qx 'got SIGINT' "$T/$N.out" || { bad "the app saw: $(tr '\n' ' ' <"$T/$N.out")"; return; }
        grep -Eq "^pmgen-shim: SIGTERM: cannot send 'shutdown' to child [0-9]+ \((Broken pipe|Connection reset by peer)\), stopping it with SIGINT$" \
                "$T/$N.err" || { bad "stderr: $(cat "$T/$N.err")"; return; }
        ok
}

case_memory_unit() {
        begin memoryunit
        mkdir -p "$T/mu"
        if "$T/test-memory" "$T/mu" >"$T/$N.out" 2>&1 && "$T/test-ipc" >>"$T/$N.out" 2>&1; then
                ok
        else
                bad "$(cat "$T/$N.out")"
        fi
}

case_parts_unit() {
        begin partsunit
        if "$T/test-envfile" >"$T/$N.out" 2>&1 && "$T/test-proc" >>"$T/$N.out" 2>&1; then
                ok
        else
                bad "$(cat "$T/$N.out")"
        fi
}

# fake_cgroup DIR PROC-LINE FILE CONTENT — a fixture: DIR/proc-cgroup holds PROC-LINE, DIR/FILE holds CONTENT.
fake_cgroup() {
        mkdir -p "$1/$(dirname "$3")"
        printf '%s\n' "$2" >"$1/proc-cgroup"
        printf '%b\n' "$4" >"$1/$3"
}

# wait_err NAME REGEX SECS — until NAME's stderr has a line matching REGEX (grep -E).
wait_err() {
        local i
        for ((i = 0; i < $3 * 20; i++)); do
                grep -Eq -- "$2" "$T/$1.err" 2>/dev/null && return 0
                sleep 0.05
        done
        return 1
}

# --max-cpu-restart: a child that keeps a CPU busy is replaced once the window has passed; an idle one is not.
# spin.js MARK spin|idle: writes its pid to MARK, then spins for a minute or sleeps
write_spin() {
        cat >"$T/spin.js" <<'EOF'
require('fs').writeFileSync(process.argv[2], String(process.pid));
if (process.argv[3] === 'spin') for (const t = Date.now(); Date.now() - t < 60000;);
setTimeout(() => {}, 60000);
EOF
}

case_max_cpu() {
        begin maxcpu
        local old new
        write_spin
        rm -f "$T/$N.mark"
        start $N $(shim) --max-cpu-restart=50 --cpu-window=2000 -- node "$T/spin.js" "$T/$N.mark" spin
        wait_file "$T/$N.mark" 20 || { stop_named $N; bad "child did not start"; return; }
        old=$(cat "$T/$N.mark")
        wait_err $N '^pmgen-shim: reload done: ' 20 || { stop_named $N; bad "not replaced: $(cat "$T/$N.err")"; return; }
        new=$(sed -n "s/^pmgen-shim: reload (max_cpu_restart): starting child \([0-9]*\) next to child $old\$/\1/p" "$T/$N.err")
        stop_named $N
        [ -n "$new" ] && grep -Eq "^pmgen-shim: cpu: child $old and its descendants used more than 50% of a CPU for [0-9]+ ms in a row" "$T/$N.err" ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        # idle: nothing happens in 4 s
        rm -f "$T/$N.mark"
        start $N $(shim) --max-cpu-restart=50 --cpu-window=2000 -- node "$T/spin.js" "$T/$N.mark" idle
        wait_file "$T/$N.mark" 20 || { stop_named $N; bad "idle child did not start"; return; }
        sleep 4
        stop_named $N
        grep -q 'cpu: child\|reload' "$T/$N.err" && { bad "an idle child was replaced: $(cat "$T/$N.err")"; return; }
        ok
}

# --cpu-source=cgroup: the cgroup's CPU time counts (a fixture cpu.stat that a loop advances by 0.8 s a second:
# an idle child is replaced), and a cgroup that uses nothing gets nothing replaced
case_max_cpu_cgroup() {
        begin maxcpucg
        local cg=$T/cgcpu usec=1000000 ticker old new
        write_spin
        rm -rf "$cg" "$T/$N.mark"
        mkdir -p "$cg/unit"
        echo "usage_usec $usec" >"$cg/unit/cpu.stat"
        echo "0::/unit" >"$cg/proc-cgroup"
        (while sleep 0.25; do usec=$((usec + 200000)); echo "usage_usec $usec" >"$cg/t"; mv "$cg/t" "$cg/unit/cpu.stat"; done) &
        ticker=$!
        start $N $(shim) --max-cpu-restart=50 --cpu-window=2000 --cpu-source=cgroup --cgroup-root="$cg" \
                --proc-cgroup="$cg/proc-cgroup" -- node "$T/spin.js" "$T/$N.mark" idle
        wait_file "$T/$N.mark" 20 || { kill "$ticker"; stop_named $N; bad "child did not start"; return; }
        old=$(cat "$T/$N.mark")
        wait_err $N '^pmgen-shim: reload done: ' 20 || { kill "$ticker"; stop_named $N; bad "not replaced: $(cat "$T/$N.err")"; return; }
        kill "$ticker"
        wait "$ticker" 2>/dev/null
        new=$(sed -n "s/^pmgen-shim: reload (max_cpu_restart): starting child \([0-9]*\) next to child $old\$/\1/p" "$T/$N.err")
        stop_named $N
        [ -n "$new" ] && grep -q "^pmgen-shim: max_cpu_restart 50% of a CPU for 2000 ms in a row, sampled every 1000 ms from $cg/unit/cpu.stat, less the shim's own\$" "$T/$N.err" &&
                grep -Eq "^pmgen-shim: cpu: the instance's cgroup \(child $old and all it started, less the shim\) used more than 50% of a CPU for [0-9]+ ms in a row" "$T/$N.err" ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        # the same cgroup standing still: nothing happens in 4 s
        rm -f "$T/$N.mark"
        start $N $(shim) --max-cpu-restart=50 --cpu-window=2000 --cpu-source=cgroup --cgroup-root="$cg" \
                --proc-cgroup="$cg/proc-cgroup" -- node "$T/spin.js" "$T/$N.mark" idle
        wait_file "$T/$N.mark" 20 || { stop_named $N; bad "second child did not start"; return; }
        sleep 4
        stop_named $N
        grep -q 'cpu: \|reload' "$T/$N.err" && { bad "replaced with a still cgroup: $(cat "$T/$N.err")"; return; }
        # no such cgroup: a warning, and the process tree is measured
        start $N $(shim) --max-cpu-restart=50 --cpu-source=cgroup --cgroup-root="$cg/none" --proc-cgroup="$cg/proc-cgroup" \
                -- "$CHILD" wait-signal INT 0 "$T/$N.child"
        wait_file "$T/$N.child" 20 || { stop_named $N; bad "third child did not start"; return; }
        stop_named $N
        grep -q "warning: --cpu-source=cgroup: no CPU figure for the cgroup in $cg/proc-cgroup (No such file or directory): the app's process tree is measured instead" "$T/$N.err" ||
                { bad "no fallback: $(cat "$T/$N.err")"; return; }
        ok
}

case_max_memory() {
        begin maxmem
        local t0 t1 shim_pid old new mb cg=$T/cg
        rm -rf "$cg" "$T/$N.mark" "$T/rt.$N"
        mkdir -p "$T/rt.$N"
        echo 2 >"$T/rt.$N/replaced" # two replacements before a restart of the instance
        # the process tree's anonymous memory, 64 MiB against 32M, every 100 ms: after 3 samples in a row the
        # child is replaced gracefully (a new one first, then the old one stopped) and the shim goes on
        t0=$(now_ms)
        start $N env RUNTIME_DIRECTORY="$T/rt.$N" $(shim) --max-memory-restart=32M --memory-interval=100 -- \
                "$CHILD" alloc-once 64 "$T/$N.child" "$T/$N.mark"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.mark" 20 || { stop_named $N; bad "child did not start"; return; }
        old=$(cat "$T/$N.mark")
        wait_err $N '^pmgen-shim: reload done: ' 20 || { stop_named $N; bad "not replaced: $(cat "$T/$N.err")"; return; }
        t1=$(now_ms)
        new=$(sed -n "s/^pmgen-shim: reload (max_memory_restart): starting child \([0-9]*\) next to child $old\$/\1/p" "$T/$N.err")
        mb=$(sed -n "s/^pmgen-shim: memory: \([0-9]*\) MB anonymous in child $old and 0 descendants, over max_memory_restart 32 MB in 3 samples in a row; replacing the child\$/\1/p" "$T/$N.err")
        [ -s "$T/$N.rc" ] && { bad "the shim exited: $(cat "$T/$N.err")"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        [ $((t1 - t0)) -lt 10000 ] || { bad "replaced after $((t1 - t0)) ms"; return; }
        [ -n "$new" ] && [ "${mb:-0}" -ge 32 ] &&
                grep -q "checked every 100 ms (3 samples in a row) from the app's process tree" "$T/$N.err" &&
                grep -qx "pmgen-shim: reload: stopping child $old with SIGINT" "$T/$N.err" &&
                grep -Eqx "pmgen-shim: reload done: child $old replaced by child $new \(started after [0-9]+ ms\)" "$T/$N.err" ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        [ "$(tr '\n' ' ' <"$T/$N.out")" = "got INT with 1 got INT with 0 " ] || { bad "the children saw: $(cat "$T/$N.out")"; return; }
        [ "$(cat "$T/rt.$N/replaced")" = 3 ] || { bad "replacements counted: $(cat "$T/rt.$N/replaced"), want 3"; return; }
        grep -qx 'RELOADING=1' "$T/$N.notify" && grep -qx "STATUS=running pid $new" "$T/$N.notify" &&
                [ "$(notify_time $N RELOADING=1)" -le "$(notify_time $N "STATUS=running pid $new")" ] ||
                { bad "notifications: $(tr '\n' ' ' <"$T/$N.notify")"; return; }
        # under the limit nothing happens
        start $N $(shim) --max-memory-restart=1G --memory-interval=100 -- "$CHILD" alloc 16 "$T/$N.child2"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.child2" 20 || { stop_named $N; bad "child did not start"; return; }
        sleep 0.6
        kill -TERM "$shim_pid"
        finish $N 20
        expect_rc 0 || return
        grep -q 'over max_memory_restart' "$T/$N.err" && { bad "replaced under the limit: $(cat "$T/$N.err")"; return; }
        # cgroup v1 fixture (memory.stat): 2 GB of page cache do not count, 100 MB of total_rss do
        fake_cgroup "$cg/v1" "4:memory:/system.slice/web@1.service" memory/system.slice/web@1.service/memory.stat \
                "cache 2147483648\nrss 0\ntotal_cache 2147483648\ntotal_rss 1000000\ntotal_rss_huge 0"
        echo "0::/" >>"$cg/v1/proc-cgroup"
        start $N $(shim) --max-memory-restart=32M --memory-interval=100 --memory-source=cgroup --cgroup-root="$cg/v1" \
                --proc-cgroup="$cg/v1/proc-cgroup" -- "$CHILD" wait-signal INT 0 "$T/$N.child3"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.child3" 20 || { stop_named $N; bad "v1: child did not start"; return; }
        sleep 0.6
        grep -q 'over max_memory_restart' "$T/$N.err" && { stop_named $N; bad "v1: page cache counted: $(cat "$T/$N.err")"; return; }
        printf 'cache 2147483648\ntotal_cache 2147483648\ntotal_rss 100000000\ntotal_rss_huge 0\n' \
                >"$cg/v1/memory/system.slice/web@1.service/memory.stat"
        wait_err $N '^pmgen-shim: reload done: ' 20 || { stop_named $N; bad "v1: not replaced: $(cat "$T/$N.err")"; return; }
        stop_named $N
        expect_rc 0 || return
        grep -q "from $cg/v1/memory/system.slice/web@1.service/memory.stat (total_rss)$" "$T/$N.err" &&
                grep -q "memory: 95 MB anonymous in the instance's cgroup, over max_memory_restart 32 MB" "$T/$N.err" ||
                { bad "v1 stderr: $(cat "$T/$N.err")"; return; }
        # cgroup v2 fixture, read on every tick: under the limit first, then over it
        fake_cgroup "$cg/v2" "0::/system.slice/web@2.service" system.slice/web@2.service/memory.stat \
                "anon 1000000\nfile 900000000\nanon_thp 0"
        start $N $(shim) --max-memory-restart=32M --memory-interval=100 --memory-source=cgroup --cgroup-root="$cg/v2" \
                --proc-cgroup="$cg/v2/proc-cgroup" -- "$CHILD" wait-signal INT 0 "$T/$N.child4"
        shim_pid=$(pid_of $N) && wait_file "$T/$N.child4" 20 || { stop_named $N; bad "v2: child did not start"; return; }
        sleep 0.5
        grep -q 'over max_memory_restart' "$T/$N.err" && { stop_named $N; bad "v2: replaced under the limit"; return; }
        printf 'anon 50000000\nfile 900000000\nanon_thp 0\n' >"$cg/v2/system.slice/web@2.service/memory.stat"
        wait_err $N '^pmgen-shim: reload done: ' 20 || { stop_named $N; bad "v2: not replaced: $(cat "$T/$N.err")"; return; }
        stop_named $N
        expect_rc 0 || return
        grep -q "from $cg/v2/system.slice/web@2.service/memory.stat (anon)$" "$T/$N.err" &&
                grep -q 'memory: 47 MB anonymous in the instance.s cgroup, over max_memory_restart 32 MB' "$T/$N.err" ||
                { bad "v2 stderr: $(cat "$T/$N.err")"; return; }
        # with --shutdown-with-message the old child is stopped with the message
        write_ipc_app
        start $N $(shim) --shutdown-with-message --max-memory-restart=32M --memory-interval=100 --memory-source=cgroup \
                --cgroup-root="$cg/v1" --proc-cgroup="$cg/v1/proc-cgroup" -- node "$T/ipc.js" never
        wait_err $N '^pmgen-shim: reload done: ' 20 || { stop_named $N; bad "message: not replaced: $(cat "$T/$N.err")"; return; }
        stop_named $N
        grep -qx 'got shutdown' "$T/$N.out" && grep -q "reload: stopping child [0-9]* with the message 'shutdown'" "$T/$N.err" ||
                { bad "shutdown message: $(cat "$T/$N.out" "$T/$N.err")"; return; }
        # a replacement that cannot be made ready falls back to a restart through systemd: exit 75
        start $N $(shim) --wait-ready --listen-timeout=300 --max-memory-restart=32M --memory-interval=100 \
                --memory-source=cgroup --cgroup-root="$cg/v1" --proc-cgroup="$cg/v1/proc-cgroup" -- \
                "$CHILD" wait-signal INT 0 "$T/$N.child5"
        finish $N 20
        expect_rc 75 || return
        grep -q 'reload failed: new child [0-9]* was not ready within 300 ms' "$T/$N.err" &&
                grep -q 'memory: the replacement could not be started; restarting the instance' "$T/$N.err" &&
                grep -q 'exiting with status 75 for systemd to restart the app' "$T/$N.err" ||
                { bad "fallback: $(cat "$T/$N.err")"; return; }
        # --memory-source=cgroup without a figure is a start-up error
        fake_cgroup "$cg/none" "0::/gone" unrelated 1
        run $N $(shim) --max-memory-restart=1G --memory-source=cgroup --cgroup-root="$cg/none" \
                --proc-cgroup="$cg/none/proc-cgroup" -- true
        expect_rc 1 && grep -q -- '--memory-source=cgroup: no anonymous memory figure for the cgroup in' "$T/$N.err" ||
                { bad "cgroup without a file: $(cat "$T/$N.err")"; return; }
        # this host's own cgroup (informational)
        run $N "$SHIM" --max-memory-restart=64G --memory-source=cgroup -- true
        echo "info $(grep -m1 -E 'checked every|no anonymous memory' "$T/$N.err")"
        ok
}

# ---- reload ----

# reload_run NAME [ARG…] — pmgen-shim --reload against NAME's control socket; RRC its status, RROUT its
# stdout and stderr.
reload_run() {
        local n=$1
        shift
        RROUT=$(timeout 60 "$SHIM" --reload --control="$T/rt.$n/control" "$@" 2>&1)
        RRC=$?
}

# serve_run NAME SHIM-OPTIONS… -- CHILD-ARGS…: the shim under socket activation with a runtime directory
# ($T/NAME.rt, also the control socket's), started by one connection; waits for READY=1. PORT is set.
serve_run() {
        local n=$1
        shift
        PORT=$(free_port)
        rm -rf "$T/rt.$n"
        mkdir -p "$T/rt.$n"
        start "$n" env RUNTIME_DIRECTORY="$T/rt.$n" V=one W=keep systemd-socket-activate -l "127.0.0.1:$PORT" \
                --fdname=web -E NOTIFY_SOCKET -E RUNTIME_DIRECTORY -E V -E W $(shim) --port="$PORT" "$@"
        wait_listen "$PORT" 10 || return 1
        poke "$PORT"
        wait_notify "$n" READY=1 20
}

# get PORT — one HTTP request; prints the body ("ok").
get() {
        curl -sS -m 5 "http://127.0.0.1:$1/" 2>&1
}

# pid_line LOG N — the PID of the N-th child that logged (1-based), from serve's "PID V=…" lines.
pid_line() {
        awk '$2 ~ /^V=/ { n++; if (n == '"$2"') print $1 }' "$1"
}

case_reload() {
        begin reload
        local log=$T/reload.log old new third mode
        rm -f "$log"
        serve_run $N --listen-timeout=1500 -- "$CHILD" serve "$log" || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        old=$(pid_line "$log" 1)
        mode=$(stat -c %a "$T/rt.$N/control")
        [ "$mode" = 600 ] || { stop_named $N; bad "control socket mode $mode, want 600"; return; }
        # a reload with a new environment: the new child serves first, then the old one stops
        printf '# test\nV="two words"\n' >"$T/$N.envfile"
        reload_run $N --env-file="$T/$N.envfile"
        new=$(pid_line "$log" 2)
        [ "$RRC" = 0 ] && [ -n "$new" ] &&
                grep -Eqx "reloaded: child $old replaced by child $new \(serving its socket after [0-9]+ ms\)" <<<"$RROUT" &&
                grep -qx "environment: 1 variable from $T/$N.envfile, 0 removed" <<<"$RROUT" ||
                { stop_named $N; bad "reload: status $RRC: $RROUT"; return; }
        grep -qx "$new V=two words W=keep" "$log" && grep -q "^$old INT " "$log" ||
                { stop_named $N; bad "children: $(tr '\n' '|' <"$log")"; return; }
        [ "$(get "$PORT")" = ok ] || { stop_named $N; bad "no answer after the reload"; return; }
        # the order: new ready, then old stopped; READY=1 after RELOADING=1
        [ "$(grep -n "reload: child $new is ready" "$T/$N.err" | cut -d: -f1)" -lt \
                "$(grep -n "reload: stopping child $old with SIGINT" "$T/$N.err" | cut -d: -f1)" ] &&
                grep -qx 'RELOADING=1' "$T/$N.notify" ||
                { stop_named $N; bad "order: $(cat "$T/$N.err")"; return; }
        # a plain reload keeps the environment of the last one
        reload_run $N
        third=$(pid_line "$log" 3)
        [ "$RRC" = 0 ] && grep -qx "$third V=two words W=keep" "$log" || { stop_named $N; bad "plain reload: $RROUT"; return; }
        # a variable the shim started with and the unit no longer gives is removed (MAINPID: the shim)
        printf 'V=three\n' >"$T/$N.envfile"
        RROUT=$(env -u W MAINPID="$(cat "$T/$N.pid")" "$SHIM" --reload --control="$T/rt.$N/control" \
                --env-file="$T/$N.envfile" 2>&1)
        RRC=$?
        # (under valgrind the shim also started with valgrind's own variables: more are removed)
        [ "$RRC" = 0 ] && grep -Eqx "environment: 1 variable from $T/$N.envfile, [0-9]+ removed" <<<"$RROUT" &&
                grep -qx "$(pid_line "$log" 4) V=three W=(unset)" "$log" || { stop_named $N; bad "removal: $RROUT"; return; }
        # two at once: the second is refused while the first runs
        printf 'CHILD_MODE=slow:1200\n' >"$T/$N.envfile"
        ( reload_run $N --env-file="$T/$N.envfile"; echo "$RRC $RROUT" >"$T/$N.first" ) &
        wait_err $N 'reload: starting child [0-9]+ next to' 10
        sleep 0.2
        reload_run $N
        [ "$RRC" = 1 ] && grep -Eq '^pmgen-shim: reload failed: a reload is already in progress \(requested, started [0-9]+ ms ago\); try again when it is over$' <<<"$RROUT" ||
                { stop_named $N; bad "concurrent reload: status $RRC: $RROUT"; return; }
        wait_file "$T/$N.first" 20 && grep -q '^0 reloaded: ' "$T/$N.first" || { stop_named $N; bad "first of two: $(cat "$T/$N.first")"; return; }
        [ "$(get "$PORT")" = ok ] || { stop_named $N; bad "no answer after the slow reload"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        [ -e "$T/rt.$N/control" ] && { bad "control socket left behind"; return; }
        ok
}

case_reload_fail() {
        begin reloadfail
        local log=$T/reloadfail.log cur t0 t1
        rm -f "$log"
        serve_run $N --listen-timeout=1000 -- "$CHILD" serve "$log" || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        cur=$(pid_line "$log" 1)
        # a new version that crashes at start
        printf 'CHILD_MODE=crash\n' >"$T/$N.envfile"
        reload_run $N --env-file="$T/$N.envfile"
        [ "$RRC" = 1 ] && grep -Eqx "pmgen-shim: reload failed: new child [0-9]+ exited with status 3 before it was ready; child $cur goes on" <<<"$RROUT" ||
                { stop_named $N; bad "crash: status $RRC: $RROUT"; return; }
        [ "$(get "$PORT")" = ok ] || { stop_named $N; bad "no answer after the crash"; return; }
        grep -Eq "^STATUS=running pid $cur; the last reload failed: new child [0-9]+ exited with status 3" "$T/$N.notify" ||
                { stop_named $N; bad "notifications: $(tr '\n' '|' <"$T/$N.notify")"; return; }
        # one that never serves: given up after listen_timeout, killed
        printf 'CHILD_MODE=hold\n' >"$T/$N.envfile"
        t0=$(now_ms)
        reload_run $N --env-file="$T/$N.envfile"
        t1=$(now_ms)
        [ "$RRC" = 1 ] && grep -Eqx "pmgen-shim: reload failed: new child [0-9]+ was not ready within 1000 ms \(waited for it to serve its socket\); child $cur goes on" <<<"$RROUT" ||
                { stop_named $N; bad "never ready: status $RRC: $RROUT"; return; }
        [ $((t1 - t0)) -ge 950 ] && [ $((t1 - t0)) -lt 6000 ] || { stop_named $N; bad "gave up after $((t1 - t0)) ms"; return; }
        grep -Eq '^pmgen-shim: child [0-9]+ killed by signal SIGKILL$' "$T/$N.err" || { stop_named $N; bad "not killed: $(cat "$T/$N.err")"; return; }
        [ "$(get "$PORT")" = ok ] || { stop_named $N; bad "no answer after the failed reload"; return; }
        # the failed environment was not kept: a plain reload works
        reload_run $N
        [ "$RRC" = 0 ] || { stop_named $N; bad "plain reload after failures: $RROUT"; return; }
        # no control socket for a reload while nothing runs, and a bad request
        RROUT=$(printf 'restart' | timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.send(b"restart\0")
print(s.recv(512).decode())' "$T/rt.$N/control" 2>&1)
        [ "$RROUT" = "fail not a reload request" ] || { stop_named $N; bad "bad request: $RROUT"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        reload_run $N
        [ "$RRC" = 1 ] && grep -q 'No such file or directory (is the instance running?)' <<<"$RROUT" ||
                { bad "reload of a stopped instance: $RROUT"; return; }
        ok
}

case_reload_ready() {
        begin reloadready
        local log=$T/reloadready.log old new ready int
        rm -f "$log"
        # --wait-ready: an sd_notify app (READY=1 after 700 ms, it serves only then)
        serve_run $N --wait-ready --listen-timeout=10000 -- "$CHILD" notify-ready 700 "$log" ||
                { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        old=$(awk '$2 == "start" { print $1; exit }' "$log")
        reload_run $N
        new=$(awk '$2 == "start" { n++; if (n == 2) print $1 }' "$log")
        ready=$(awk -v p="$new" '$1 == p && $2 == "READY" { print $3 }' "$log")
        int=$(awk -v p="$old" '$1 == p && $2 == "INT" { print $3 }' "$log")
        [ "$RRC" = 0 ] && grep -q "(READY=1 after" <<<"$RROUT" && [ -n "$ready" ] && [ -n "$int" ] && [ "$int" -ge "$ready" ] ||
                { stop_named $N; bad "sd_notify: status $RRC ($RROUT), new READY at ${ready:-?}, old INT at ${int:-?}"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        # without --wait-ready: seen serving first; once a child said READY=1, later ones are waited for
        rm -f "$log"
        serve_run $N --listen-timeout=10000 -- "$CHILD" notify-late 600 "$log" || { stop_named $N; bad "no READY=1 (late)"; return; }
        grep -q 'is ready (serving its socket)' "$T/$N.err" || { stop_named $N; bad "late: $(cat "$T/$N.err")"; return; }
        wait_err $N 'speaks sd_notify' 10 || { stop_named $N; bad "not learned: $(cat "$T/$N.err")"; return; }
        old=$(awk '$2 == "start" { print $1; exit }' "$log")
        reload_run $N
        new=$(awk '$2 == "start" { n++; if (n == 2) print $1 }' "$log")
        ready=$(awk -v p="$new" '$1 == p && $2 == "READY" { print $3 }' "$log")
        int=$(awk -v p="$old" '$1 == p && $2 == "INT" { print $3 }' "$log")
        stop_named $N
        [ "$RRC" = 0 ] && grep -q "(READY=1 after" <<<"$RROUT" && [ -n "$ready" ] && [ "${int:-0}" -ge "$ready" ] ||
                { bad "learned: status $RRC ($RROUT), new READY at ${ready:-?}, old INT at ${int:-?}"; return; }
        # --wait-ready with process.send('ready'): covered by the 'ready' message path of the integration test
        ok
}

case_reload_python() {
        begin reloadpy
        local log=$T/reloadpy.log
        # a Python server on the inherited socket (socketserver: a poll() loop): seen serving, reloadable
        cat >"$T/srv.py" <<'PY'
import http.server, os, socket, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "3"); self.end_headers(); self.wfile.write(b"ok\n")
    def log_message(self, *a): pass
srv = socketserver.TCPServer(("", 0), H, bind_and_activate=False)
srv.socket = socket.socket(fileno=3)
open(sys.argv[1], "a").write("%d V=%s W=x\n" % (os.getpid(), os.environ.get("V")))
srv.serve_forever()
PY
        rm -f "$log"
        serve_run $N --listen-timeout=5000 --stop-signal=SIGTERM -- python3 "$T/srv.py" "$log" ||
                { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        grep -Eq 'is ready \(serving its socket\) after [0-9]+ ms' "$T/$N.err" || { stop_named $N; bad "start: $(cat "$T/$N.err")"; return; }
        reload_run $N
        [ "$RRC" = 0 ] && grep -q '(serving its socket after' <<<"$RROUT" || { stop_named $N; bad "reload: $RROUT"; return; }
        [ "$(get "$PORT")" = ok ] || { stop_named $N; bad "no answer after the reload"; return; }
        stop_named $N
        ok
}

case_reload_kill() {
        begin reloadkill
        local t0 t1
        mkdir -p "$T/rt.$N"
        # a child that ignores SIGINT is SIGKILLed after the kill timeout; the reload ends then
        start $N env RUNTIME_DIRECTORY="$T/rt.$N" $(shim) --kill-timeout=500 -- "$CHILD" ignore INT "$T/$N.child"
        wait_file "$T/$N.child" 20 || { stop_named $N; bad "child did not start"; return; }
        t0=$(now_ms)
        reload_run $N
        t1=$(now_ms)
        [ "$RRC" = 0 ] && [ $((t1 - t0)) -ge 450 ] && [ $((t1 - t0)) -lt 5000 ] ||
                { stop_named $N; bad "status $RRC after $((t1 - t0)) ms: $RROUT"; return; }
        grep -q 'still running 500 ms after SIGINT, sending SIGKILL' "$T/$N.err" || { stop_named $N; bad "stderr: $(cat "$T/$N.err")"; return; }
        stop_named $N
        expect_rc 137 && vg_check $N && ok
}

case_reload_leftovers() {
        begin reloadleft
        local log=$T/reloadleft.log k1 k2 p
        rm -f "$log"
        serve_run $N -- "$CHILD" grandkids "$log" || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        read -r _ _ k1 k2 <<<"$(grep ' kids ' "$log" | head -1)"
        reload_run $N
        [ "$RRC" = 0 ] || { stop_named $N; bad "reload: $RROUT"; return; }
        sleep 0.3
        for p in $k1 $k2; do
                [ -e "/proc/$p" ] && { stop_named $N; bad "grandchild $p of the old child left: $(grep State "/proc/$p/status")"; return; }
        done
        read -r _ _ k1 k2 <<<"$(grep ' kids ' "$log" | tail -1)"
        [ -e "/proc/$k1" ] && [ -e "/proc/$k2" ] || { stop_named $N; bad "the new child's grandchildren are gone"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        sleep 0.3
        for p in $k1 $k2; do
                [ -e "/proc/$p" ] && { bad "grandchild $p left after the stop"; return; }
        done
        ok
}

case_socket_care() {
        begin socketcare
        local log=$T/socketcare.log
        rm -f "$log"
        # the old child shuts the shared listener down when it stops: the shim listens again
        serve_run $N --backlog=77 -- "$CHILD" shut-on-int "$log" || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        reload_run $N
        [ "$RRC" = 0 ] || { stop_named $N; bad "reload: $RROUT"; return; }
        grep -q "socket fd 3 (web) no longer listened (a child shut it down); listening again with backlog 77" "$T/$N.err" ||
                { stop_named $N; bad "stderr: $(cat "$T/$N.err")"; return; }
        [ "$(get "$PORT")" = ok ] || { stop_named $N; bad "no answer after the repair"; return; }
        [ "$(ss -Hltn "sport = :$PORT" | awk '{print $3}')" = 77 ] || { stop_named $N; bad "backlog $(ss -Hltn "sport = :$PORT")"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N && ok
}

case_watchdog() {
        begin watchdog
        local i last wedged
        # WATCHDOG_USEC=1 s: pings every 500 ms while the child takes connections; it stops taking them after
        # 1.5 s, the queue fills and stays: no more pings
        PORT=$(free_port)
        start $N env WATCHDOG_USEC=1000000 systemd-socket-activate -l "127.0.0.1:$PORT" --fdname=web -E NOTIFY_SOCKET \
                -E WATCHDOG_USEC $(shim) --listen-timeout=300 -- "$CHILD" wedge-after 1500 "$T/$N.child"
        wait_listen "$PORT" 10 && poke "$PORT" && wait_file "$T/$N.child" 10 || { stop_named $N; bad "did not start"; return; }
        for i in $(seq 20); do poke "$PORT"; sleep 0.1; done
        wait_err $N 'looks wedged' 10 || { stop_named $N; bad "no wedge seen: $(cat "$T/$N.err")"; return; }
        wedged=$(now_ms)
        sleep 1.5
        stop_named $N
        expect_rc 0 && vg_check $N || return
        last=$(awk '$0 == "WATCHDOG=1" { hit = 1 } /^-- at / { if (hit) t = $3; hit = 0 } END { print t }' "$T/$N.notify")
        [ "$(grep -cx WATCHDOG=1 "$T/$N.notify")" -ge 3 ] && [ -n "$last" ] && [ "$last" -le "$wedged" ] ||
                { bad "pings: $(grep -cx WATCHDOG=1 "$T/$N.notify"), last at $last, wedged at $wedged"; return; }
        grep -Eq '^pmgen-shim: child [0-9]+ looks wedged: [0-9]+ connections? waiting on its socket, none taken for [0-9]+ ms; no more watchdog pings$' "$T/$N.err" ||
                { bad "stderr: $(cat "$T/$N.err")"; return; }
        ok
}

# Without the socket table (RestrictAddressFamilies= without AF_NETLINK, as under hardening: strict) the
# queue's length tells a wedge, and the shim says it works so
case_watchdog_fallback() {
        begin watchdogfb
        local i
        PORT=$(free_port)
        start $N env WATCHDOG_USEC=1000000 LD_PRELOAD="$T/no-netlink.so" systemd-socket-activate -l "127.0.0.1:$PORT" \
                --fdname=web -E NOTIFY_SOCKET -E WATCHDOG_USEC -E LD_PRELOAD $(shim) --listen-timeout=300 -- \
                "$CHILD" wedge-after 1500 "$T/$N.child"
        wait_listen "$PORT" 10 && poke "$PORT" && wait_file "$T/$N.child" 10 || { stop_named $N; bad "did not start"; return; }
        for i in $(seq 20); do poke "$PORT"; sleep 0.1; done
        wait_err $N 'looks wedged' 10 || { stop_named $N; bad "no wedge seen: $(cat "$T/$N.err")"; return; }
        stop_named $N
        expect_rc 0 || return
        grep -q 'warning: watchdog: no NETLINK_SOCK_DIAG (Address family not supported by protocol)' "$T/$N.err" ||
                { bad "no word on the fallback: $(cat "$T/$N.err")"; return; }
        ok
}

# A slow child that keeps taking connections while its queue never empties is not wedged: each connection
# waits about 4 x 150 ms, far from the 2 s (half of WatchdogSec=4s) a wedge takes; the pings go on.
case_watchdog_busy() {
        begin watchdogbusy
        local i
        PORT=$(free_port)
        start $N env WATCHDOG_USEC=4000000 systemd-socket-activate -l "127.0.0.1:$PORT" --fdname=web -E NOTIFY_SOCKET \
                -E WATCHDOG_USEC $(shim) --listen-timeout=300 -- "$CHILD" slow-accept 150 "$T/$N.child"
        wait_listen "$PORT" 10 && poke "$PORT" && wait_file "$T/$N.child" 10 || { stop_named $N; bad "did not start"; return; }
        for i in 1 2 3 4; do poke "$PORT"; done
        for i in $(seq 40); do poke "$PORT"; sleep 0.15; done
        stop_named $N
        expect_rc 0 && vg_check $N || return
        ! grep -q 'looks wedged' "$T/$N.err" || { bad "a busy child was called wedged: $(cat "$T/$N.err")"; return; }
        [ "$(grep -cx WATCHDOG=1 "$T/$N.notify")" -ge 3 ] || { bad "pings: $(grep -cx WATCHDOG=1 "$T/$N.notify")"; return; }
        ok
}

case_reload_many() {
        begin reloadmany
        local log=$T/reloadmany.log i shim_pid fds0 fds1 n=100
        rm -f "$log"
        serve_run $N -- "$CHILD" serve "$log" || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        shim_pid=$(cat "$T/$N.pid")
        reload_run $N
        fds0=$(ls "/proc/$shim_pid/fd" | wc -l)
        for ((i = 0; i < n; i++)); do
                reload_run $N
                [ "$RRC" = 0 ] || { stop_named $N; bad "reload $i: $RROUT"; return; }
        done
        fds1=$(ls "/proc/$shim_pid/fd" | wc -l)
        [ "$(get "$PORT")" = ok ] || { stop_named $N; bad "no answer after $n reloads"; return; }
        echo "info $n reloads: the shim had $fds0 fds after the first, $fds1 after the last; RssAnon $(awk '/^RssAnon:/ { print $2 " kB" }' "/proc/$shim_pid/status")"
        stop_named $N
        expect_rc 0 && vg_check $N || return
        [ "$fds0" = "$fds1" ] || { bad "fds grew from $fds0 to $fds1"; return; }
        [ "$(grep -c ' V=' "$log")" = $((n + 2)) ] || { bad "$(grep -c ' V=' "$log") children for $n + 1 reloads"; return; }
        ok
}

# ---- --bind-preload: apps that bind their own port ----

# bind_run NAME SHIM-OPTIONS… -- COMMAND…: the shim with --bind-preload and a runtime directory, no
# sockets from systemd; waits for READY=1 (the child seen serving the socket it bound). BPORT is the port.
bind_run() {
        local n=$1
        shift
        rm -rf "$T/rt.$n"
        mkdir -p "$T/rt.$n"
        start "$n" env RUNTIME_DIRECTORY="$T/rt.$n" APP_PORT="$BPORT" $(shim) --bind-preload="$BINDLIB" "$@"
        wait_notify "$n" READY=1 20
}

write_bind_app() {
        cat >"$T/bind-app.js" <<'EOF'
const http = require('http');
http.createServer((req, res) => res.end(process.pid + '\n')).listen(process.env.APP_PORT);
process.on('SIGINT', () => process.exit(0));
setTimeout(() => process.exit(1), 60000).unref();
EOF
}

# listen_ino PORT — the inodes of the sockets listening on PORT (one a line).
listen_ino() {
        ss -Hltne "sport = :$1" 2>/dev/null | grep -o 'ino:[0-9]*' | sort -u
}

case_bind_node() {
        begin bindnode
        local body ino0 ino1 ports
        write_bind_app
        BPORT=$(free_port)
        bind_run $N --backlog=77 -- node "$T/bind-app.js" || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        body=$(get "$BPORT")
        [ "$body" -gt 0 ] 2>/dev/null || { stop_named $N; bad "no answer: $body"; return; }
        [ "$(ss -Hltn "sport = :$BPORT" | awk '{print $3}')" = 77 ] || { stop_named $N; bad "backlog: $(ss -Hltn "sport = :$BPORT")"; return; }
        ports=$(cat "$T/rt.$N/ports" 2>/dev/null)
        [ "$ports" = "tcp [::]:$BPORT" ] || { stop_named $N; bad "ports file: '$ports'"; return; }
        # a reload: the new child gets the very same socket, and is ready once it serves it
        ino0=$(listen_ino "$BPORT")
        reload_run $N
        [ "$RRC" = 0 ] && grep -q 'serving its socket' <<<"$RROUT" || { stop_named $N; bad "reload: $RROUT"; return; }
        ino1=$(listen_ino "$BPORT")
        [ -n "$ino0" ] && [ "$ino0" = "$ino1" ] || { stop_named $N; bad "socket inode $ino0 became $ino1"; return; }
        body=$(get "$BPORT")
        [ "$body" -gt 0 ] 2>/dev/null || { stop_named $N; bad "no answer after the reload: $body"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        [ ! -e "$T/rt.$N/ports" ] || { bad "ports file left behind"; return; }
        ok
}

case_bind_python() {
        begin bindpy
        local body
        BPORT=$(free_port)
        bind_run $N -- python3 -m http.server "$BPORT" --bind 127.0.0.1 --directory "$T" ||
                { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        body=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$BPORT/" 2>&1)
        [ "$body" = 200 ] || { stop_named $N; bad "answer: $body"; return; }
        [ "$(cat "$T/rt.$N/ports" 2>/dev/null)" = "tcp 127.0.0.1:$BPORT" ] || { stop_named $N; bad "ports: $(cat "$T/rt.$N/ports")"; return; }
        grep -q "child [0-9]* bound a port: the shim holds tcp 127.0.0.1:$BPORT" "$T/$N.err" ||
                { stop_named $N; bad "stderr: $(cat "$T/$N.err")"; return; }
        stop_named $N
        ok
}

# What the bind preload leaves alone and what it shares: a second bind of the held port in one child gets the
# same socket (one "bound a port"), UDP on that port number and a Unix socket bind as usual
case_bind_forms() {
        begin bindforms
        local body
        cat >"$T/bind-forms.py" <<'EOF'
import os, socket, sys
port = int(os.environ["APP_PORT"])
a = socket.socket(); a.bind(("127.0.0.1", port)); a.listen()
b = socket.socket(); b.bind(("127.0.0.1", port)); b.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", port))
x = socket.socket(socket.AF_UNIX); x.bind(sys.argv[1]); x.listen()
same = os.fstat(a.fileno()).st_ino == os.fstat(b.fileno()).st_ino
report = "same-socket=%s udp=%s unix=%s" % (same, u.getsockname()[1] == port, os.path.exists(sys.argv[1]))
while True:
    c, _ = a.accept()
    c.recv(4096)
    c.sendall(("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(report), report)).encode())
    c.close()
EOF
        rm -f "$T/$N.sock"
        BPORT=$(free_port)
        bind_run $N -- python3 "$T/bind-forms.py" "$T/$N.sock" || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        body=$(get "$BPORT")
        [ "$body" = "same-socket=True udp=True unix=True" ] || { stop_named $N; bad "app says: '$body' ($(cat "$T/$N.err"))"; return; }
        [ "$(grep -c 'bound a port' "$T/$N.err")" = 1 ] && [ "$(cat "$T/rt.$N/ports")" = "tcp 127.0.0.1:$BPORT" ] ||
                { stop_named $N; bad "held: $(cat "$T/rt.$N/ports"); $(cat "$T/$N.err")"; return; }
        stop_named $N
        ok
}

# Ruby's TCPServer binds through libc like Node and Python: the shim holds the socket and a reload keeps it
case_bind_ruby() {
        begin bindruby
        local body ino0 ino1
        cat >"$T/bind-app.rb" <<'EOF'
require 'socket'
server = TCPServer.new('127.0.0.1', Integer(ENV.fetch('APP_PORT')))
Signal.trap('INT') { exit 0 }
loop do
  c = server.accept
  while (line = c.gets) && line != "\r\n"; end
  body = "#{Process.pid}\n"
  c.print "HTTP/1.1 200 OK\r\nContent-Length: #{body.bytesize}\r\nConnection: close\r\n\r\n#{body}"
  c.close
end
EOF
        BPORT=$(free_port)
        bind_run $N -- ruby "$T/bind-app.rb" || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        body=$(get "$BPORT")
        [ "$body" -gt 0 ] 2>/dev/null || { stop_named $N; bad "no answer: $body"; return; }
        [ "$(cat "$T/rt.$N/ports" 2>/dev/null)" = "tcp 127.0.0.1:$BPORT" ] || { stop_named $N; bad "ports: $(cat "$T/rt.$N/ports")"; return; }
        ino0=$(listen_ino "$BPORT")
        reload_run $N
        [ "$RRC" = 0 ] && grep -q 'serving its socket' <<<"$RROUT" || { stop_named $N; bad "reload: $RROUT"; return; }
        ino1=$(listen_ino "$BPORT")
        [ -n "$ino0" ] && [ "$ino0" = "$ino1" ] || { stop_named $N; bad "socket inode $ino0 became $ino1"; return; }
        ino1=$(get "$BPORT")
        [ "$ino1" -gt 0 ] 2>/dev/null && [ "$ino1" != "$body" ] || { stop_named $N; bad "after the reload: '$ino1' (before: $body)"; return; }
        stop_named $N
        ok
}

case_bind_two() {
        begin bindtwo
        local i pids
        write_bind_app
        BPORT=$(free_port)
        bind_run $N.a -- node "$T/bind-app.js" || { stop_named $N.a; bad "a: no READY=1: $(cat "$T/$N.a.err")"; return; }
        bind_run $N.b -- node "$T/bind-app.js" || { stop_named $N.a; stop_named $N.b; bad "b: no READY=1: $(cat "$T/$N.b.err")"; return; }
        [ "$(listen_ino "$BPORT" | wc -l)" = 2 ] || { stop_named $N.a; stop_named $N.b; bad "sockets: $(ss -Hltne "sport = :$BPORT")"; return; }
        pids=$(for i in $(seq 40); do get "$BPORT"; done | sort -u | wc -l)
        stop_named $N.b
        stop_named $N.a
        [ "$pids" = 2 ] || { bad "connections went to $pids processes"; return; }
        ok
}

case_bind_worker() {
        begin bindworker
        # an instance that binds nothing: the first start goes on after listen_timeout (as PM2 does); a
        # reload does not wait for a socket that does not exist
        rm -rf "$T/rt.$N"
        mkdir -p "$T/rt.$N"
        start $N env RUNTIME_DIRECTORY="$T/rt.$N" $(shim) --bind-preload="$BINDLIB" --listen-timeout=300 -- \
                "$CHILD" wait-signal INT 0 "$T/$N.child"
        wait_notify $N READY=1 20 || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        reload_run $N
        [ "$RRC" = 0 ] && grep -q 'started after' <<<"$RROUT" || { stop_named $N; bad "reload: $RROUT"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        [ ! -e "$T/rt.$N/ports" ] || { bad "a ports file without ports"; return; }
        ok
}

# ---- health checks (--health-url, --health-tcp, --health-cmd) ----

# pings_after NAME MS — how many WATCHDOG=1 arrived after MS (now_ms time).
pings_after() {
        awk -v t="$2" '$0 == "WATCHDOG=1" { hit = 1 } /^-- at / { if (hit && $3 > t) n++; hit = 0 } END { print n + 0 }' "$T/$1.notify"
}

case_health_url() {
        begin healthurl
        local log=$T/healthurl.log cur new t0 t1 int
        rm -f "$log"
        # readiness: READY=1 once GET /healthz on the instance's socket answers 2xx
        serve_run $N --health-url=/healthz --health-interval=200 --health-timeout=500 --health-start-period=900 \
                -- "$CHILD" serve "$log" || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        cur=$(pid_line "$log" 1)
        grep -Eq "^pmgen-shim: child $cur is ready \(its health check passed\) after [0-9]+ ms$" "$T/$N.err" &&
                grep -qx "STATUS=waiting for pid $cur to pass its health check" "$T/$N.notify" ||
                { stop_named $N; bad "readiness: $(cat "$T/$N.err")"; return; }
        # a reload whose new child serves but answers 503: given up after the start period with the stop
        # signal (not SIGKILL); the old child answered the checks that reached it, and they did not count
        printf 'CHILD_MODE=unhealthy\n' >"$T/$N.envfile"
        t0=$(now_ms)
        reload_run $N --env-file="$T/$N.envfile"
        t1=$(now_ms)
        new=$(pid_line "$log" 2)
        int=$(awk -v p="$new" '$1 == p && $2 == "INT" { print $3 }' "$log")
        [ "$RRC" = 1 ] && grep -Eqx "pmgen-shim: reload failed: new child $new did not pass its health check within 900 ms \(last: GET /healthz answered 503\); child $cur goes on" <<<"$RROUT" ||
                { stop_named $N; bad "unhealthy reload: status $RRC: $RROUT"; return; }
        [ $((t1 - t0)) -ge 850 ] && [ $((t1 - t0)) -lt 8000 ] && [ -n "$int" ] ||
                { stop_named $N; bad "gave up after $((t1 - t0)) ms; new child's INT '${int}'"; return; }
        [ "$(get "$PORT")" = ok ] || { stop_named $N; bad "no answer after the failed reload"; return; }
        # the serving child is checked every 200 ms: no failure logged
        sleep 0.5
        grep -q "health check of child" "$T/$N.err" && { stop_named $N; bad "liveness failures: $(cat "$T/$N.err")"; return; }
        # a healthy one replaces it
        printf 'CHILD_MODE=\n' >"$T/$N.envfile"
        reload_run $N --env-file="$T/$N.envfile"
        new=$(pid_line "$log" 3)
        [ "$RRC" = 0 ] && grep -Eqx "reloaded: child $cur replaced by child $new \(its health check passed after [0-9]+ ms\)" <<<"$RROUT" ||
                { stop_named $N; bad "healthy reload: status $RRC: $RROUT"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        ok
}

case_health_liveness() {
        begin healthlive
        local t_bad
        # the child serves for 1.5 s, then never accepts again (but lives): two failed checks in a row and
        # the pings stop, long before the accept-queue test (half of WATCHDOG_USEC=10 s) would see it
        PORT=$(free_port)
        start $N env WATCHDOG_USEC=10000000 CHILD_MODE=wedge:1500 systemd-socket-activate -l "127.0.0.1:$PORT" \
                --fdname=web -E NOTIFY_SOCKET -E WATCHDOG_USEC -E CHILD_MODE $(shim) --health-url=/healthz \
                --health-interval=200 --health-timeout=300 --health-retries=2 -- "$CHILD" serve "$T/$N.child"
        wait_listen "$PORT" 10 && poke "$PORT" && wait_file "$T/$N.child" 10 || { stop_named $N; bad "did not start"; return; }
        wait_notify $N READY=1 10 || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        wait_err $N 'is unhealthy' 10 || { stop_named $N; bad "not unhealthy: $(cat "$T/$N.err")"; return; }
        t_bad=$(now_ms)
        sleep 1.2
        stop_named $N
        expect_rc 0 && vg_check $N || return
        grep -Eq '^pmgen-shim: health check of child [0-9]+ failed \(1 of 2\) after [0-9]+ ms: not accepted within 300 ms$' "$T/$N.err" &&
                grep -Eq '^pmgen-shim: child [0-9]+ is unhealthy: 2 failed health checks in a row; no more watchdog pings \(systemd restarts the instance after WatchdogSec=\)$' "$T/$N.err" &&
                grep -Eq '^STATUS=pid [0-9]+ is unhealthy: not accepted within 300 ms$' "$T/$N.notify" ||
                { bad "log: $(cat "$T/$N.err")"; return; }
        grep -q 'looks wedged' "$T/$N.err" && { bad "the wedge test came first: $(cat "$T/$N.err")"; return; }
        [ "$(grep -cx WATCHDOG=1 "$T/$N.notify")" -ge 1 ] && [ "$(pings_after $N "$t_bad")" = 0 ] ||
                { bad "pings: $(grep -cx WATCHDOG=1 "$T/$N.notify") in all, $(pings_after $N "$t_bad") after unhealthy"; return; }
        ok
}

case_health_cmd() {
        begin healthcmd
        local flag=$T/$N.flag pid t0 t1
        rm -f "$flag" "$T/$N.arg"
        # not ready until the command passes; $1 is the child's pid; a failing command makes it unhealthy,
        # and passing again brings the pings back
        start $N env WATCHDOG_USEC=2000000 $(shim) \
                --health-cmd="echo \$1 >$T/$N.arg; test -e $flag" --health-interval=100 --health-timeout=1000 \
                --health-retries=2 --health-start-period=5000 -- "$CHILD" wait-signal INT 0 "$T/$N.child"
        pid=$(pid_of $N) && wait_file "$T/$N.child" 10 && wait_file "$T/$N.arg" 10 || { stop_named $N; bad "did not start"; return; }
        sleep 0.4
        [ -z "$(notify_time $N READY=1)" ] || { stop_named $N; bad "READY=1 before the command passed"; return; }
        [ "$(cat "$T/$N.arg")" = "$(cat "$T/$N.child")" ] || { stop_named $N; bad "\$1 is '$(cat "$T/$N.arg")', child $(cat "$T/$N.child")"; return; }
        touch "$flag"
        wait_notify $N READY=1 10 || { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        rm -f "$flag"
        wait_err $N 'is unhealthy' 10 || { stop_named $N; bad "not unhealthy: $(cat "$T/$N.err")"; return; }
        t0=$(now_ms)
        sleep 1.2
        [ "$(pings_after $N "$t0")" = 0 ] || { stop_named $N; bad "$(pings_after $N "$t0") pings while unhealthy"; return; }
        touch "$flag"
        wait_err $N 'passes again after [0-9]+ failures; watchdog pings resume' 10 || { stop_named $N; bad "no recovery: $(cat "$T/$N.err")"; return; }
        t1=$(now_ms)
        sleep 1.5
        [ "$(pings_after $N "$t1")" -ge 1 ] || { stop_named $N; bad "no pings after the recovery"; return; }
        stop_named $N
        expect_rc 0 && vg_check $N || return
        grep -Eq "^pmgen-shim: health check of child [0-9]+ failed \(1 of 2\) after [0-9]+ ms: 'echo .* exited with status 1$" "$T/$N.err" ||
                { bad "log: $(cat "$T/$N.err")"; return; }
        # a command that hangs is killed after the timeout, with what it started
        start $N.slow $(shim) --health-cmd="sleep 20.4711 & sleep 20.4711" --health-timeout=200 --health-start-period=700 -- \
                "$CHILD" wait-signal INT 0 "$T/$N.child2"
        wait_notify $N.slow READY=1 10 || { stop_named $N.slow; bad "slow: no READY=1: $(cat "$T/$N.slow.err")"; return; }
        sleep 0.3
        stop_named $N.slow
        grep -q "'sleep 20.4711 & sleep 20.4711' did not finish within 200 ms (killed)" "$T/$N.slow.err" &&
                grep -Eq '^pmgen-shim: child [0-9]+ did not pass its health check within 700 ms' "$T/$N.slow.err" ||
                { bad "slow: $(cat "$T/$N.slow.err")"; return; }
        pgrep -f "^sleep 20.4711$" >/dev/null && { bad "slow: a sleep was left: $(pgrep -af '^sleep 20.4711$')"; return; }
        ok
}

case_health_tcp() {
        begin healthtcp
        local log=$T/healthtcp.log
        rm -f "$log"
        # --health-tcp=socket: the child must accept the connection itself
        serve_run $N --health-tcp=socket --health-start-period=5000 -- "$CHILD" serve "$log" ||
                { stop_named $N; bad "no READY=1: $(cat "$T/$N.err")"; return; }
        grep -Eq 'is ready \(its health check passed\)' "$T/$N.err" || { stop_named $N; bad "serve: $(cat "$T/$N.err")"; return; }
        stop_named $N
        # a child that holds the socket and never accepts: at the start the instance goes on, unhealthy
        serve_run $N --health-tcp=socket --health-timeout=200 --health-start-period=600 -- "$CHILD" hold "$T/$N.child" ||
                { stop_named $N; bad "hold: no READY=1: $(cat "$T/$N.err")"; return; }
        grep -Eq '^pmgen-shim: child [0-9]+ did not pass its health check within 600 ms \(not accepted within 200 ms\); continuing, unhealthy$' "$T/$N.err" &&
                grep -Eq '^STATUS=pid [0-9]+ is unhealthy \(its health check did not pass\)$' "$T/$N.notify" ||
                { stop_named $N; bad "hold: $(cat "$T/$N.err")"; return; }
        stop_named $N
        # an address: connecting is enough (here the shim's own port, nobody else's)
        serve_run $N.addr --health-tcp=127.0.0.1:1 --health-timeout=200 --health-start-period=500 -- "$CHILD" serve "$log" ||
                { stop_named $N.addr; bad "addr: no READY=1: $(cat "$T/$N.addr.err")"; return; }
        stop_named $N.addr
        grep -Eq 'does not pass yet: connect: Connection refused' "$T/$N.addr.err" || { bad "addr: $(cat "$T/$N.addr.err")"; return; }
        ok
}

CORE_CASES="exit_0 exit_3 signal exec_enoent exec_eacces env sigpipe stop kill_timeout forward orphans listen_fds backoff
            wait_ready wait_ready_timeout wait_ready_child_exits shutdown_with_message shutdown_message_fallback max_memory
            reload reload_fail reload_ready reload_kill reload_leftovers socket_care watchdog watchdog_busy reload_many bind_node bind_worker
            health_url health_liveness health_cmd"
ALL_CASES="exit_0 exit_3 signal exec_enoent exec_eacces exec_path_search usage env sigpipe stop kill_timeout forward orphans
           listen_fds node_preload node_drain node_forms node_backlog node_preload_path_with_space node_preload_inactive
           backoff_unit backoff memory wait_ready wait_ready_timeout wait_ready_child_exits wait_ready_lines
           wait_ready_socket shutdown_with_message shutdown_message_fallback memory_unit parts_unit max_memory max_cpu max_cpu_cgroup
           reload reload_fail reload_ready reload_python reload_kill reload_leftovers socket_care watchdog watchdog_fallback watchdog_busy reload_many
           bind_node bind_python bind_ruby bind_forms bind_two bind_worker health_url health_liveness health_cmd health_tcp"

if [ -n "${SHIM_CASES:-}" ]; then
        ALL_CASES=$(for c in $ALL_CASES; do case " $SHIM_CASES " in *" $c "*) echo "$c" ;; esac; done)
        CORE_CASES=$(for c in $CORE_CASES; do case " $SHIM_CASES " in *" $c "*) echo "$c" ;; esac; done)
fi
for c in $ALL_CASES; do
        CASE=${c//_/-}
        "case_$c"
done
VALGRIND=1
for c in $CORE_CASES; do
        CASE="${c//_/-} [valgrind]"
        "case_$c"
done

echo "shim tests: $PASS passed, $FAIL failed${FAILED[*]:+ (${FAILED[*]})}"
[ "$FAIL" -eq 0 ]
