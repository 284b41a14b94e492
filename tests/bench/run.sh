#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# `make bench`: pmgen against PM2 (and bare node) on this machine, side by side in one run, the four
# questions of README's "Benchmarks" section:
#
#   throughput   1. req/s, p50, p99 of the 2-instance example app, keep-alive and a new connection per request
#   reload       2. reloads under load: tests/bench/reload.sh, when it exists (run by summary.sh)
#   overhead     3. private memory and idle CPU of everything that is not the app
#   compile      4a. `pmgen generate` of 1, 100 and 1000 apps (hyperfine)
#   recovery     4b. kill -9 of an instance's app → the next answer from that instance
#
#   tests/bench/run.sh [QUESTION…]      (default: all, in the order above; as root)
#
# Each figure is the median of several runs with min and max; ratios are pmgen/PM2 and pmgen/bare. The
# summary table is printed and written to tests/bench/results/summary.md (details beside it, raw outputs in
# build/bench/). Settings (environment), with their defaults and BENCH_QUICK=1's:
#   BENCH_QUICK=1           a smoke run (about 4 minutes): fewer and shorter runs, everything else the same
#   throughput: BENCH_RUNS (5/2), BENCH_DURATION s (5/2), BENCH_WARMUP s (2/1), BENCH_CONNS (32),
#               BENCH_THREADS (1), BENCH_MAX_FOREIGN % (15), BENCH_RETRIES (2), BENCH_RETRY_BUDGET s (90/20),
#               BENCH_KEEP_DISTURBED (0)
#   reload:     RELOAD_RUNS (3/2), RELOAD_DURATION s (20/6), RELOAD_ROUNDS (7/2) (tests/bench/reload.sh)
#   overhead:   BENCH_MEM_RUNS (3/2), BENCH_WARMUP_REQUESTS (20000/5000), BENCH_IDLE s of each start (30/6),
#               BENCH_IDLE_SAMPLES (6)
#   compile:    BENCH_APPS ("1 100 1000"), BENCH_HYPERFINE_RUNS (10/3)
#   recovery:   BENCH_KILLS (9/2), BENCH_SETTLE s (3/1.5)
#   PM2_VERSION (latest), BENCH_JOURNAL_RATELIMIT (off: journald keeps every request line, as PM2's log
#   files do; "default" keeps journald's 10000 lines per 30 s), PORT_BARE/PORT_PM2/PORT_PMGEN (18510/18520/18530)
# Everything started is ended by PID at the end (and after a run that was killed, by the next run).
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=throughput.sh
. "$here/throughput.sh"
# shellcheck source=overhead.sh
. "$here/overhead.sh"
# shellcheck source=compile.sh
. "$here/compile.sh"
# shellcheck source=recovery.sh
. "$here/recovery.sh"

ALL="throughput reload overhead compile recovery"
questions=("$@")
[ "${#questions[@]}" -gt 0 ] || read -r -a questions <<<"$ALL"
for q in "${questions[@]}"; do
        case " $ALL " in *" $q "*) ;; *) die "unknown question '$q' (one of: $ALL)" ;; esac
done

_on_exit() {
        local rc=$?
        bench_cleanup
        exit "$rc"
}
_on_signal() {
        bench_cleanup
        trap - EXIT
        exit $((128 + $1))
}
trap _on_exit EXIT
trap '_on_signal 2' INT
trap '_on_signal 15' TERM
trap '_on_signal 13' PIPE
trap '_on_signal 1' HUP

t_start=$SECONDS
bench_init
step "build (make all)"
make -C "$REPO" all >"$OUT/build.log" 2>&1 || { tail -n 20 "$OUT/build.log" >&2; die "make all failed (log: $OUT/build.log)"; }

# Rows of the questions not run this time are kept from an earlier run, unless this is a full run.
[ "$#" -gt 0 ] || rm -rf "$ROWS"
date +%F >"$OUT/date"
echo "wrk -t$BENCH_THREADS -c$BENCH_CONNS, $BENCH_RUNS rounds of ${BENCH_DURATION}s per mode after ${BENCH_WARMUP}s warm-up;" \
        "reloads: $RELOAD_RUNS runs of ${RELOAD_DURATION}s per system and mode with $RELOAD_ROUNDS reload rounds each;" \
        "$BENCH_MEM_RUNS starts per system for memory, each idle ${BENCH_IDLE}s in $BENCH_IDLE_SAMPLES slices; $BENCH_KILLS kills per system;" \
        "hyperfine $BENCH_HYPERFINE_RUNS runs; journald rate limit $BENCH_JOURNAL_RATELIMIT$([ "$BENCH_QUICK" = 1 ] && echo "; BENCH_QUICK=1 (smoke run)")" \
        >"$OUT/settings"
do_reload=0
for q in "${questions[@]}"; do
        case $q in
        reload) do_reload=1 ;; # after the others, by summary.sh, with our systems gone
        *) "q_$q" ;;
        esac
done

step "cleanup"
bench_cleanup
trap - EXIT
say "setup and questions took $((SECONDS - t_start)) s"

BENCH_RUN_RELOAD=$do_reload PM2_VERSION_USED=${PM2_VERSION_USED:-} "$here/summary.sh"
say "make bench took $((SECONDS - t_start)) s"
