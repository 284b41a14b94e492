# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The benchmarks' common part (sourced by tests/bench/run.sh): settings, the three systems under test and
# their start/stop, statistics, result rows, and the cleanup of everything the run started.
#
# The systems all run the same app (contrib/examples/server.js, 2 instances, --env production):
#   pmgen   in a throwaway systemd (tests/sandbox/lib.sh): `make install`, `pmgen generate`, hello.target;
#           two pmgen-shim instances, each with its own ReusePort=yes socket unit
#   pm2     PM2 from the npm registry, cluster mode (`pm2 start ecosystem.config.js --env production`), on
#           the host, PM2_HOME in the run's temporary directory
#   bare    two `node server.js` on the host with no supervisor, each with its own SO_REUSEPORT listener
#           (lib/reuseport-exec.py + lib/reuseport-preload.cjs): the kernel spreads the connections, as
#           under pmgen, with nothing else running. Their stdout goes to a file (a log kept, as the others do)
# Only one of them runs at a time; each has its own port, checked free before it starts. wrk and the probes
# run in a cgroup of their own (CG_LOAD), PM2 and bare in another (CG_HOST), beside the box's, so that the CPU
# scheduler weighs each system under test as one group against the load, the same way for all three.
#
# Used by run.sh's questions (throughput.sh, overhead.sh, compile.sh, recovery.sh) and by reload.sh:
#   bench_init / bench_cleanup     the run's temp dir, cgroups and, at the end, everything it started
#   pmgen_setup / pm2_setup        the box with pmgen installed and the units generated / PM2 from npm
#   sys_start|sys_stop|sys_port SYSTEM, sys_supervisor_pids, sys_proc, APP_PIDS, pm2_cli, pm2_worker_pids,
#   in_cg DIRS CMD…, foreign_mark/foreign_pct, stat_of, fmt_mmm, row, say/step/die

# ---- settings ------------------------------------------------------------------------------------------------
BENCH_QUICK=${BENCH_QUICK:-0}
if [ "$BENCH_QUICK" = 1 ]; then
        _q() { printf '%s' "$1"; }
else
        _q() { printf '%s' "$2"; }
fi
BENCH_RUNS=${BENCH_RUNS:-$(_q 2 5)}             # rounds of the throughput runs (each system once per round)
BENCH_DURATION=${BENCH_DURATION:-$(_q 2 5)}     # seconds of one wrk run
BENCH_WARMUP=${BENCH_WARMUP:-$(_q 1 2)}         # seconds of wrk before the measured runs of a round
BENCH_CONNS=${BENCH_CONNS:-32}                  # wrk connections
BENCH_THREADS=${BENCH_THREADS:-1}               # wrk threads (2 cores: leave one to the servers)
# A throughput run during which other processes (not the run's) used more than this % of the machine's CPU is
# repeated, up to BENCH_RETRIES times (the last try is kept, marked). Before a repeat it waits (up to 15 s)
# for a quiet second; repeats stop when they have cost BENCH_RETRY_BUDGET s. (The run's own log writes are
# flushed by kernel threads outside its cgroups: up to ~9 % "others" on a quiet machine, hence 15.)
BENCH_MAX_FOREIGN=${BENCH_MAX_FOREIGN:-15}
BENCH_RETRIES=${BENCH_RETRIES:-2}
BENCH_RETRY_BUDGET=${BENCH_RETRY_BUDGET:-$(_q 20 90)}
# Runs still disturbed after the repeats are left out of the figures (1: keep them).
BENCH_KEEP_DISTURBED=${BENCH_KEEP_DISTURBED:-0}
BENCH_IDLE=${BENCH_IDLE:-$(_q 6 30)}            # seconds of the idle window of each start (CPU of the supervisors and apps)
BENCH_WARMUP_REQUESTS=${BENCH_WARMUP_REQUESTS:-$(_q 5000 20000)} # requests each start serves before memory is read
BENCH_MEM_RUNS=${BENCH_MEM_RUNS:-$(_q 2 3)}     # starts per system for the memory figures
BENCH_IDLE_SAMPLES=${BENCH_IDLE_SAMPLES:-6}     # the idle window is read in this many equal slices
BENCH_KILLS=${BENCH_KILLS:-$(_q 2 9)}           # kill -9 recoveries per system
BENCH_SETTLE=${BENCH_SETTLE:-$(_q 1.5 3)}       # seconds between two kills (PM2's min_uptime is 1 s)
# reload.sh: RELOAD_RUNS wrk runs per system and mode, each RELOAD_DURATION s with RELOAD_ROUNDS reload rounds
RELOAD_RUNS=${RELOAD_RUNS:-$(_q 2 3)}
RELOAD_DURATION=${RELOAD_DURATION:-$(_q 6 20)}
RELOAD_ROUNDS=${RELOAD_ROUNDS:-$(_q 2 7)}
BENCH_APPS=${BENCH_APPS:-1 100 1000}            # apps per ecosystem file for `pmgen generate`
BENCH_HYPERFINE_RUNS=${BENCH_HYPERFINE_RUNS:-$(_q 3 10)}
# journald drops a unit's lines above 10000 per 30 s by default. "off" lifts that in the box, so that
# pmgen's journal keeps every request line, as PM2's and bare's log files do (the same work for all three).
BENCH_JOURNAL_RATELIMIT=${BENCH_JOURNAL_RATELIMIT:-off}
PM2_VERSION=${PM2_VERSION:-} # empty: the registry's latest

# Ports: 18500-18549 are the benchmarks' (18550-18599 are left to tests/bench/reload.sh).
PORT_BARE=${PORT_BARE:-18510}
PORT_PM2=${PORT_PM2:-18520}
PORT_PMGEN=${PORT_PMGEN:-18530}
INSTANCES=2

BENCH_HOME=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -P -- "$BENCH_HOME/../.." && pwd -P)
BENCH_LIB=$BENCH_HOME/lib
BENCH_PY=$BENCH_LIB/bench.py
RESULTS=${BENCH_RESULTS:-$BENCH_HOME/results}
OUT=${BENCH_OUT:-$REPO/build/bench}             # raw outputs: wrk logs, TSVs, rows of the summary
ROWS=$OUT/rows                                  # one TSV of summary rows per question
BENCH_STATE_DIR=${BENCH_STATE_DIR:-/run/pmgen-bench}
BENCH_TMP= # the run's temporary directory (PM2 and its PM2_HOME, bare's logs), made by bench_init
APP_DIR=$REPO/contrib/examples

say() { printf '%s\n' "$*" >&2; }
step() { printf '\n== %s\n' "$*" >&2; }
die() {
        printf 'bench: error: %s\n' "$*" >&2
        exit 1
}

# ---- processes this run started (by PID) -------------------------------------------------------------------
# $BENCH_STATE_DIR/PIDS: "PID STARTTIME OWNER OWNERSTART WHAT" for every detached process we started (bare
# nodes, PM2's daemon and workers), so that this run ends them by PID, and the next run ends those a killed
# run left behind (after checking each PID is still the process we started).

_starttime() { sed -n 's/^.*) //p' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

_alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

track() { # PID WHAT
        local st
        st=$(_starttime "$1") || return 0
        [ -n "$st" ] || return 0
        mkdir -p "$BENCH_STATE_DIR"
        echo "$1 $st $$ $(_starttime $$) $2" >>"$BENCH_STATE_DIR/PIDS"
}

# End one recorded process if it is still the one we started: SIG first, then KILL after SECONDS.
_end_pid() { # PID STARTTIME SIG SECONDS
        local i
        _alive "$1" && [ "$(_starttime "$1")" = "$2" ] || return 0
        kill "-$3" "$1" 2>/dev/null || return 0
        for ((i = 0; i < $4 * 10; i++)); do
                _alive "$1" || return 0
                sleep 0.1
        done
        [ "$(_starttime "$1")" = "$2" ] && kill -KILL "$1" 2>/dev/null
        for ((i = 0; i < 50; i++)); do
                _alive "$1" || return 0
                sleep 0.1
        done
        say "bench: process $1 did not die"
}

# End the recorded processes that match: "mine" (this run's) or "stale" (runs whose shell is gone), and
# whose WHAT starts with PREFIX when given.
untrack_all() { # mine|stale [PREFIX]
        local f=$BENCH_STATE_DIR/PIDS pid st own ost what keep=()
        [ -s "$f" ] || return 0
        exec 8>>"$BENCH_STATE_DIR/PIDS.lock"
        flock -w 30 8 || { say "bench: cannot lock $f"; return 0; }
        while read -r pid st own ost what; do
                [ -n "$pid" ] || continue
                local ours=0 owner_alive=0
                [ "$own" = $$ ] && [ "$ost" = "$(_starttime $$)" ] && ours=1
                _alive "$own" && [ "$(_starttime "$own")" = "$ost" ] && owner_alive=1
                if { { [ "$1" = mine ] && [ "$ours" = 1 ]; } || { [ "$1" = stale ] && [ "$owner_alive" = 0 ]; }; } &&
                        { [ -z "${2:-}" ] || [[ $what == "$2"* ]]; }; then
                        [ "$1" = stale ] && _alive "$pid" && say "bench: ending $what (pid $pid) left by a run that died"
                        _end_pid "$pid" "$st" TERM 5
                else
                        keep+=("$pid $st $own $ost $what")
                fi
        done <"$f"
        if [ "${#keep[@]}" -gt 0 ]; then printf '%s\n' "${keep[@]}" >"$f.new"; else : >"$f.new"; fi
        mv -f "$f.new" "$f"
        exec 8>&-
}

# ---- statistics -------------------------------------------------------------------------------------------
# Samples are "KEY VALUE" lines in a file; stat_of FILE KEY → "median min max n".
stat_of() { # FILE KEY
        grep -E "^$2 " "$1" 2>/dev/null | python3 "$BENCH_PY" stat | awk '{ print $2, $3, $4, $5 }'
}

# "median (min–max)" with DIGITS decimals; "-" when there is no sample.
fmt_mmm() { # "median min max n" DIGITS [SUFFIX]
        awk -v s="$1" -v d="$2" -v u="${3:-}" 'BEGIN {
                split(s, a, " ")
                if (a[4] == "" || a[4] == 0) { print "-"; exit }
                f = "%." d "f"
                printf(f u " (" f "–" f ")\n", a[1], a[2], a[3])
        }'
}

# Ratio A/B of two medians, for figures measured apart (not paired): "r".
ratio_of() { # MEDIAN_A MEDIAN_B
        awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "" || b == "" || a == "nan" || b == "nan") print "-"; else printf("%.2f\n", a / b) }'
}

# Verdict from a paired ratio "median min max n" (pmgen/other) and which way is better.
# Whole range on one side of 1 (beyond ±2 %): pmgen better or worse; else even.
verdict_paired() { # "median min max n" higher|lower OTHERNAME
        awk -v s="$1" -v dir="$2" -v o="$3" 'BEGIN {
                split(s, a, " ")
                if (a[4] == "" || a[4] == 0) { print "-"; exit }
                if (a[2] > 1.02)      w = (dir == "higher") ? "better" : "worse"
                else if (a[3] < 0.98) w = (dir == "higher") ? "worse" : "better"
                else { print "even with " o; exit }
                print "pmgen " w " than " o
        }'
}

# Verdict from a plain ratio of medians: beyond ±5 % counts.
verdict_ratio() { # RATIO higher|lower OTHERNAME
        awk -v r="$1" -v dir="$2" -v o="$3" 'BEGIN {
                if (r == "-" || r == "") { print "-"; exit }
                if (r > 1.05)      w = (dir == "higher") ? "better" : "worse"
                else if (r < 0.95) w = (dir == "higher") ? "worse" : "better"
                else { print "even with " o; exit }
                print "pmgen " w " than " o
        }'
}

# One row of the summary table (tab-separated) into $ROWS/FILE.tsv.
row() { # FILE QUESTION MEASURE PMGEN PM2 BARE RATIO_PM2 RATIO_BARE VERDICT
        local f=$ROWS/$1.tsv
        shift
        mkdir -p "$ROWS"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$f"
}

# ---- ports ------------------------------------------------------------------------------------------------
port_in_use() { [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }

wait_port_free() { # PORT SECONDS
        local i
        for ((i = 0; i < $2 * 10; i++)); do
                port_in_use "$1" || return 0
                sleep 0.1
        done
        return 1
}

# Only one system at a time: no benchmark port may be listening when one starts.
require_quiet() {
        local p
        for p in "$PORT_BARE" "$PORT_PM2" "$PORT_PMGEN"; do
                if port_in_use "$p"; then
                        ss -Htlnp "sport = :$p" >&2 || :
                        die "port $p is in use: another system (or something else) still listens there"
                fi
        done
}

sys_port() {
        case $1 in
        pmgen) echo "$PORT_PMGEN" ;;
        pm2) echo "$PORT_PM2" ;;
        bare) echo "$PORT_BARE" ;;
        esac
}

# ---- setup --------------------------------------------------------------------------------------------------
bench_init() {
        [ "$(id -u)" = 0 ] || die "needs root (the pmgen side runs in a throwaway systemd)"
        for t in wrk hyperfine npm node python3 curl ss; do
                command -v "$t" >/dev/null || die "$t not found (PMGEN_DEPS_EXTRA=\"wrk hyperfine npm\" tests/deps.sh)"
        done
        mkdir -p "$OUT" "$RESULTS" "$BENCH_STATE_DIR"
        untrack_all stale
        python3 "$BENCH_PY" cgroup-reap
        CG_HOST=$(python3 "$BENCH_PY" cgroup-make "pmgen-bench.$$.host")
        CG_LOAD=$(python3 "$BENCH_PY" cgroup-make "pmgen-bench.$$.load")
        # Temporary directories of runs that died (named for their shell's pid): removed.
        local d p
        for d in /tmp/pmgen-bench.*.* /dev/shm/pmgen-bench.*.*; do
                [ -d "$d" ] || continue
                p=${d#*/pmgen-bench.}
                p=${p%%.*}
                case $p in '' | *[!0-9]*) continue ;; esac
                [ -d "/proc/$p" ] || rm -rf "$d"
        done
        BENCH_TMP=$(mktemp -d "/tmp/pmgen-bench.$$.XXXXXX")
        export PM2_HOME=$BENCH_TMP/pm2home
}

# Two cgroups beside the box's (tests/sandbox/lib.sh makes the box one below ours in every hierarchy):
# CG_HOST for PM2 and bare, CG_LOAD for wrk and the probes. The CPU scheduler then weighs the system under
# test as one group against the load generator as one group, the same for the three systems (with the
# box alone in a group, and PM2's or bare's processes as tasks of our own cgroup, the box would get the
# weight of one task against wrk's and the others').
CG_HOST=
CG_LOAD=
# sh -c "$IN_CG" sh DIRS CMD…: join the cgroups DIRS (comma-separated), then exec CMD (the same pid).
# shellcheck disable=SC2016
IN_CG='for d in $(echo "$1" | tr , " "); do echo $$ >"$d/cgroup.procs" 2>/dev/null || :; done; shift; exec "$@"'
in_cg() { # DIRS CMD…
        sh -c "$IN_CG" sh "$@"
}

# Others' load: the machine's busy CPU time minus what the run's own cgroups (the box, CG_HOST, CG_LOAD) used,
# as % of all CPUs over the interval. foreign_mark starts an interval, foreign_pct ends it.
FOREIGN_MARK=
foreign_mark() {
        FOREIGN_MARK="$(date +%s%N) $(python3 "$BENCH_PY" cpu-usage "pmgen-bench.$$.host" "pmgen-bench.$$.load" ${SANDBOX_ID:+"$SANDBOX_ID"})"
}
foreign_pct() {
        local now
        now="$(date +%s%N) $(python3 "$BENCH_PY" cpu-usage "pmgen-bench.$$.host" "pmgen-bench.$$.load" ${SANDBOX_ID:+"$SANDBOX_ID"})"
        awk -v a="$FOREIGN_MARK" -v b="$now" -v n="$(nproc)" 'BEGIN {
                split(a, x, " "); split(b, y, " ")
                wall = (y[1] - x[1]) * n
                f = ((y[2] - x[2]) - (y[3] - x[3])) / (wall > 0 ? wall : 1) * 100
                printf "%.0f\n", f < 0 ? 0 : f
        }'
}

# Wait (at most SECONDS) until others use at most BENCH_MAX_FOREIGN % of the CPUs over one second.
wait_quiet() { # SECONDS
        local end=$((SECONDS + $1))
        while [ "$SECONDS" -lt "$end" ]; do
                foreign_mark
                sleep 1
                [ "$(foreign_pct)" -gt "$BENCH_MAX_FOREIGN" ] || return 0
        done
        return 1
}

_rm_cgroups() {
        local d
        for d in $(echo "$CG_HOST,$CG_LOAD" | tr , ' '); do
                case ${d##*/} in pmgen-bench.*) ;; *) continue ;; esac
                for _ in 1 2 3 4 5 6 7 8 9 10; do
                        [ -d "$d" ] || break
                        rmdir "$d" 2>/dev/null && break
                        sleep 0.2
                done
        done
        CG_HOST='' CG_LOAD=''
}

# The run's temporary directory (PM2 installed there, PM2_HOME, bare's logs).
bench_rm_tmp() {
        case $BENCH_TMP in /tmp/pmgen-bench.*) rm -rf "$BENCH_TMP" ;; esac
        BENCH_TMP=
}

# ---- pmgen: a throwaway systemd ------------------------------------------------------------------------------
PMGEN_READY=0
pmgen_setup() {
        [ "$PMGEN_READY" = 1 ] && return 0
        step "pmgen: a throwaway systemd, make install, pmgen generate"
        # shellcheck source=../sandbox/lib.sh
        . "$REPO/tests/sandbox/lib.sh"
        # One box name per script (its console log is build/sandbox/NAME.log): run.sh and reload.sh may overlap.
        SANDBOX_QUIET=1 sandbox_boot "bench-$(basename "$0" .sh | tr -c 'A-Za-z0-9_\n-' _)" || die "the sandbox did not boot"
        say "box up (systemd is host pid $SANDBOX_PID)"
        if ! sandbox_exec make -C "$REPO" install PREFIX=/usr/local >"$OUT/install.log" 2>&1; then
                tail -n 20 "$OUT/install.log" >&2
                die "make install in the box failed (log: $OUT/install.log)"
        fi
        # shellcheck disable=SC2016
        sandbox_exec sh -ec 'rm -rf /srv/hello; mkdir -p /srv; cp -rT "$1" /srv/hello; chmod -R u=rwX,go=rX /srv/hello' \
                sh "$APP_DIR" || die "cannot copy the example app into the box"
        if ! sandbox_exec env HELLO_PORT="$PORT_PMGEN" pmgen generate /srv/hello/ecosystem.config.js --env production \
                -o /etc/systemd/system >"$OUT/generate.log" 2>&1; then
                cat "$OUT/generate.log" >&2
                die "pmgen generate failed in the box"
        fi
        if [ "$BENCH_JOURNAL_RATELIMIT" = off ]; then
                # shellcheck disable=SC2016
                sandbox_exec sh -ec 'mkdir -p /etc/systemd/journald.conf.d
                        printf "[Journal]\nRateLimitIntervalSec=0\n" >/etc/systemd/journald.conf.d/50-bench.conf
                        systemctl restart systemd-journald' || die "cannot configure journald in the box"
        fi
        sandbox_exec systemctl daemon-reload || die "daemon-reload failed in the box"
        PMGEN_READY=1
}

# The box's process NSPID as a host pid.
pmgen_hostpid() { python3 "$BENCH_PY" hostpid "$SANDBOX_PID" "$1"; }

# ---- PM2 --------------------------------------------------------------------------------------------------
PM2=
pm2_setup() {
        [ -n "$PM2" ] && return 0
        step "PM2: npm install pm2${PM2_VERSION:+@$PM2_VERSION} into $BENCH_TMP/pm2"
        mkdir -p "$BENCH_TMP/pm2"
        if ! (cd "$BENCH_TMP/pm2" && npm install --no-audit --no-fund --loglevel=error --no-save \
                "pm2${PM2_VERSION:+@$PM2_VERSION}") >"$OUT/npm.log" 2>&1; then
                cat "$OUT/npm.log" >&2
                die "npm install pm2 failed"
        fi
        PM2=$BENCH_TMP/pm2/node_modules/.bin/pm2
        PM2_VERSION_USED=$(node -p "require('$BENCH_TMP/pm2/node_modules/pm2/package.json').version")
        say "PM2 $PM2_VERSION_USED"
        echo "pm2=$PM2_VERSION_USED" >"$OUT/meta"
}

# PM2's CLI with a clean environment (PM2 copies the CLI's environment into the apps').
pm2_cli() {
        in_cg "$CG_HOST" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$BENCH_TMP" PM2_HOME="$PM2_HOME" HELLO_PORT="$PORT_PM2" \
                "$PM2" "$@"
}

pm2_god_pid() { cat "$PM2_HOME/pm2.pid" 2>/dev/null; }

# The workers' pids, from `pm2 jlist`.
pm2_worker_pids() {
        pm2_cli jlist 2>/dev/null | python3 -c 'import json,sys; print(" ".join(str(p["pid"]) for p in json.load(sys.stdin)))'
}

# ---- start / stop ----------------------------------------------------------------------------------------------
# shellcheck disable=SC2034 # read by the questions
APP_PIDS=() # after sys_start: the pid each instance reports (pmgen: pids in the box)

_ready() { # SYSTEM
        local out
        out=$(in_cg "$CG_LOAD" python3 "$BENCH_PY" ready "$(sys_port "$1")" "$INSTANCES" 30) || return 1
        APP_PIDS=()
        # shellcheck disable=SC2034 # read by the questions
        while read -r i p; do APP_PIDS[i]=$p; done <<<"$out"
}

BARE_PIDS=()
sys_start() { # SYSTEM
        require_quiet
        case $1 in
        pmgen)
                sandbox_exec timeout 60 systemctl start hello.target || die "systemctl start hello.target failed"
                ;;
        pm2)
                pm2_cli start "$APP_DIR/ecosystem.config.js" --env production >>"$OUT/pm2-cli.log" 2>&1 ||
                        die "pm2 start failed (log: $OUT/pm2-cli.log)"
                track "$(pm2_god_pid)" "PM2 daemon"
                local w
                for w in $(pm2_worker_pids); do track "$w" "PM2 worker"; done
                ;;
        bare)
                local i
                BARE_PIDS=()
                for ((i = 0; i < INSTANCES; i++)); do
                        # (not through the function in_cg: $! must be the pid that becomes node)
                        sh -c "$IN_CG" sh "$CG_HOST" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/nonexistent PORT="$PORT_BARE" \
                                NODE_APP_INSTANCE=$i NODE_ENV=production GREETING="hello from production" \
                                NODE_OPTIONS="--require $BENCH_LIB/reuseport-preload.cjs" \
                                setsid python3 "$BENCH_LIB/reuseport-exec.py" "$PORT_BARE" 4096 \
                                node "$APP_DIR/server.js" </dev/null >>"$BENCH_TMP/bare-$i.log" 2>&1 &
                        BARE_PIDS[i]=$!
                        track "$!" "bare node $i"
                done
                ;;
        esac
        _ready "$1" || die "$1 did not answer for instances 0..$((INSTANCES - 1)) on port $(sys_port "$1")"
}

sys_stop() { # SYSTEM
        local p
        case $1 in
        pmgen)
                sandbox_exec timeout 60 systemctl stop hello.target || say "systemctl stop hello.target failed"
                ;;
        pm2)
                local god
                god=$(pm2_god_pid)
                pm2_cli kill >>"$OUT/pm2-cli.log" 2>&1 || say "pm2 kill failed"
                untrack_all mine PM2 # the daemon and workers, by PID, should pm2 kill have left any
                [ -z "$god" ] || ! _alive "$god" || say "PM2's daemon $god is still there"
                ;;
        bare)
                for p in "${BARE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || :; done
                for p in "${BARE_PIDS[@]}"; do
                        for _ in $(seq 50); do _alive "$p" || break; sleep 0.1; done
                        kill -KILL "$p" 2>/dev/null || :
                        wait "$p" 2>/dev/null || :
                done
                BARE_PIDS=()
                untrack_all mine bare
                ;;
        esac
        wait_port_free "$(sys_port "$1")" 15 || die "$1 still listens on $(sys_port "$1") after stopping"
}

# Supervisor processes (what is not the app): pids and where to read them ("host" or "box").
sys_supervisor_pids() { # SYSTEM
        case $1 in
        pmgen)
                local i
                for ((i = 0; i < INSTANCES; i++)); do
                        sandbox_exec systemctl show -p MainPID --value "hello@$i.service"
                done | tr '\n' ' '
                ;;
        pm2)
                # PM2's daemon and any process below it that is not a worker.
                local god w d others=()
                god=$(pm2_god_pid)
                w=" $(pm2_worker_pids) "
                for d in $(python3 "$BENCH_PY" descendants "$god"); do
                        case $w in *" $d "*) ;; *) others+=("$d") ;; esac
                done
                echo "$god ${others[*]}"
                ;;
        bare) echo "" ;;
        esac
}

# bench.py proc, on the host or in the box.
sys_proc() { # SYSTEM PID…
        local s=$1
        shift
        [ "$#" -gt 0 ] || return 0
        if [ "$s" = pmgen ]; then
                sandbox_exec python3 "$BENCH_PY" proc "$@"
        else
                python3 "$BENCH_PY" proc "$@"
        fi
}

# ---- the end ---------------------------------------------------------------------------------------------
# Everything this run started: PM2 (pm2 kill, then its processes by PID), bare nodes (by PID), the box
# (sandbox_teardown: its systemd by PID, and with it every unit, shim and app in it), the temp dir.
bench_cleanup() {
        trap '' INT TERM PIPE HUP
        if [ -n "$PM2" ] && [ -n "${PM2_HOME:-}" ] && [ -e "$PM2_HOME/pm2.pid" ]; then
                pm2_cli kill >>"$OUT/pm2-cli.log" 2>&1 || :
        fi
        untrack_all mine
        if declare -F sandbox_teardown >/dev/null; then sandbox_teardown; fi
        if declare -F compile_cleanup >/dev/null; then compile_cleanup; fi
        _rm_cgroups
        bench_rm_tmp
}
