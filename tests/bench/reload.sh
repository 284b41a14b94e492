#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# Benchmark question 2 (issue 3): reloads under load, pmgen against PM2, side by side in one run. Not a test.
#
# The same app as the other benchmarks (contrib/examples/server.js, 2 instances, --env production): under
# pmgen in a throwaway systemd (tests/sandbox/lib.sh), under PM2 in cluster mode (npm's pm2, PM2_HOME in a
# temporary directory). RELOAD_RUNS rounds; in each, each system is started (the order alternates from
# round to round), and for each load mode (wrk on loopback: keep-alive, and a new connection per request
# with `Connection: close`) one wrk run of RELOAD_DURATION s during which RELOAD_ROUNDS rounds reload every
# instance, one instance at a time (PM2: `pm2 reload hello`, which does that; pmgen: `systemctl reload
# hello@0.service`, then hello@1.service). Printed per system and mode, as median (min–max) of the runs:
# requests, req/s, failed requests (wrk's socket errors connect/read/write/timeout, and non-2xx answers;
# the kinds summed over the runs) and p99 latency over the run (it spans the reloads); the ratios
# pmgen/PM2 of req/s and p99 are taken within each round and then summarised. The table is written to
# tests/bench/results/reload.md (BENCH_RESULTS), its rows for the summary to build/bench/rows/reload.tsv,
# raw outputs to build/bench/reload/.
#
#   tests/bench/reload.sh      (as root)
#
# Settings: RELOAD_RUNS (3; BENCH_QUICK=1: 2), RELOAD_DURATION s (20; quick: 6), RELOAD_ROUNDS (7; quick:
# 2), BENCH_CONNS (32), BENCH_THREADS (1), PM2_VERSION; ports 18550 (pmgen) and 18551 (PM2). 7 rounds in
# 20 s keep about the reload rate of the earlier single 30 s run with 10 rounds, and 3 runs of 20 s per
# system and mode keep the whole at about 5 minutes. Everything it starts is ended by PID
# (tests/bench/lib.sh: PM2's daemon and workers; the box with its systemd), also after a run that was killed.
set -euo pipefail

export PORT_PMGEN=${PORT_PMGEN:-18550} PORT_PM2=${PORT_PM2:-18551} PORT_BARE=${PORT_BARE:-18552}

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=lib.sh
. "$here/lib.sh"

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

ROUT=$OUT/reload
mkdir -p "$ROUT"

# One reload round of every instance; prints its duration in ms. Fails when a reload failed.
reload_round() { # SYSTEM
        local t0 t1 rc=0
        t0=$(date +%s%3N)
        case $1 in
        pmgen)
                sandbox_exec timeout 60 systemctl reload hello@0.service >>"$ROUT/pmgen-reload.log" 2>&1 || rc=$?
                sandbox_exec timeout 60 systemctl reload hello@1.service >>"$ROUT/pmgen-reload.log" 2>&1 || rc=$?
                ;;
        pm2)
                pm2_cli reload hello >>"$ROUT/pm2-reload.log" 2>&1 || rc=$?
                ;;
        esac
        t1=$(date +%s%3N)
        echo $((t1 - t0))
        return "$rc"
}

# The instances' app pids now (to show they changed).
app_pids() { # SYSTEM
        case $1 in
        pmgen)
                local i m
                for i in 0 1; do
                        m=$(sandbox_exec systemctl show -p MainPID --value "hello@$i.service")
                        sandbox_exec cat "/proc/$m/task/$m/children" 2>/dev/null | tr -d '\n'
                done
                ;;
        pm2) pm2_worker_pids ;;
        esac
}

# measure SYSTEM MODE RUN: one wrk run with the reload rounds inside; a TSV line in $ROUT/rows.tsv.
measure() {
        local sys=$1 mode=$2 run=$3 port f reloads=0 failed_reloads=0 times=() gap t before after i
        port=$(sys_port "$sys")
        f=$ROUT/$sys-$mode-$run.wrk
        before=$(app_pids "$sys")
        local args=()
        [ "$mode" = close ] && args=(-H 'Connection: close')
        in_cg "$CG_LOAD" wrk -t"$BENCH_THREADS" -c"$BENCH_CONNS" -d"${RELOAD_DURATION}s" --latency "${args[@]}" \
                "http://127.0.0.1:$port/" >"$f" 2>&1 &
        local wrk_pid=$!
        # the rounds spread over the run, with a second of load before the first and after the last
        gap=$(awk -v d="$RELOAD_DURATION" -v r="$RELOAD_ROUNDS" 'BEGIN { printf "%.2f", (d - 2) / r }')
        sleep 1
        for ((i = 0; i < RELOAD_ROUNDS; i++)); do
                local t0 spent
                t0=$(date +%s%3N)
                if t=$(reload_round "$sys"); then reloads=$((reloads + 1)); else failed_reloads=$((failed_reloads + 1)); fi
                times+=("$t")
                spent=$(( $(date +%s%3N) - t0 ))
                awk -v g="$gap" -v s="$spent" 'BEGIN { w = g - s / 1000; if (w > 0) printf "%.2f\n", w; else print 0 }' |
                        xargs sleep
        done
        wait "$wrk_pid" || die "wrk failed: $(tail -n 3 "$f")"
        after=$(app_pids "$sys")
        python3 - "$f" "$sys" "$mode" "$run" "$reloads" "$failed_reloads" "${times[*]}" "$before" "$after" >>"$ROUT/rows.tsv" <<'EOF'
import re, statistics, sys
path, sysname, mode, run, ok, bad, times, before, after = sys.argv[1:]
text = open(path).read()
def grab(pat, default="0"):
    m = re.search(pat, text, re.M)
    return m.group(1) if m else default
units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
def ms(s):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", s)
    return float(m.group(1)) * units[m.group(2)]
requests = int(grab(r"^\s*(\d+) requests in"))
rps = float(grab(r"^Requests/sec:\s+([\d.]+)"))
p99 = ms(grab(r"^\s+99%\s+(\S+)", "0us"))
se = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
connect, read, write, timeout = (int(x) for x in se.groups()) if se else (0, 0, 0, 0)
non2xx = int(grab(r"Non-2xx or 3xx responses: (\d+)"))
t = [int(x) for x in times.split()]
changed = len(set(before.split()) - set(after.split()))
print("\t".join(map(str, [sysname, mode, run, requests, f"{rps:.0f}", connect, read, write, timeout, non2xx,
                          connect + read + write + timeout + non2xx, f"{p99:.1f}", ok, bad,
                          int(statistics.median(t)) if t else 0, changed])))
EOF
}

bench_init
pmgen_setup
pm2_setup
step "Reloads under load: $RELOAD_RUNS runs per system and mode; in each, ${RELOAD_ROUNDS} rounds of every instance during ${RELOAD_DURATION}s of wrk -t$BENCH_THREADS -c$BENCH_CONNS"
: >"$ROUT/rows.tsv"
rm -f "$ROWS/reload.tsv"
for ((run = 1; run <= RELOAD_RUNS; run++)); do
        order="pmgen pm2"
        [ $((run % 2)) = 0 ] && order="pm2 pmgen"
        for sys in $order; do
                sys_start "$sys"
                in_cg "$CG_LOAD" wrk -t"$BENCH_THREADS" -c"$BENCH_CONNS" -d2s "http://127.0.0.1:$(sys_port "$sys")/" >/dev/null 2>&1 || :
                for mode in close keepalive; do
                        say "run $run: $sys, $mode"
                        measure "$sys" "$mode" "$run"
                done
                sys_stop "$sys"
        done
done

# the table, and the summary's rows
node_v=$(node --version)
pm2_v=$(sed -n 's/^pm2=//p' "$OUT/meta" 2>/dev/null || :)
mkdir -p "$ROWS"
python3 - "$ROUT/rows.tsv" "$RESULTS/reload.md" "$ROWS/reload.tsv" "$RELOAD_ROUNDS" "$RELOAD_DURATION" "$BENCH_THREADS" \
        "$BENCH_CONNS" "$node_v" "${pm2_v:-?}" "$(uname -r)" "$(nproc)" "$RELOAD_RUNS" <<'EOF'
import sys, datetime, statistics
rows_path, md_path, tsv_path, rounds, dur, threads, conns, node_v, pm2_v, kernel, cpus, nruns = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(rows_path) if l.strip()]
# sys mode run requests rps connect read write timeout non2xx failed p99 ok bad medround changed
by = {}
for r in rows:
    by.setdefault((r[0], r[1]), {})[r[2]] = r
modes = {"close": "new connection per request", "keepalive": "keep-alive"}
names = {"pmgen": "pmgen", "pm2": "PM2"}
def mmm(v, d=0):
    if not v:
        return "-"
    f = "{:.%df}" % d
    return f"{f.format(statistics.median(v))} ({f.format(min(v))}–{f.format(max(v))})"
def col(sysname, mode, i, conv=float):
    return [conv(r[i]) for r in by.get((sysname, mode), {}).values()]
def paired(mode, i):
    a, b = by.get(("pmgen", mode), {}), by.get(("pm2", mode), {})
    return [float(a[k][i]) / float(b[k][i]) for k in a if k in b and float(b[k][i]) > 0]
def verdict(v, higher):
    if not v:
        return "-"
    if min(v) > 1.02:
        return "pmgen better than PM2" if higher else "pmgen worse than PM2"
    if max(v) < 0.98:
        return "pmgen worse than PM2" if higher else "pmgen better than PM2"
    return "even with PM2"
out = []
out.append(f"## Reloads under load: pmgen vs PM2, {datetime.date.today()}")
out.append("")
out.append(f"{cpus} cores, Linux {kernel}, Node {node_v}, PM2 {pm2_v} (cluster mode), pmgen in a throwaway systemd 252.")
out.append(f"The example app (contrib/examples/server.js, 2 instances). {nruns} runs per system and mode, the systems "
           f"alternating round by round; each run is wrk -t{threads} -c{conns} -d{dur}s on loopback, during which {rounds} "
           "rounds reload every instance one at a time (PM2: `pm2 reload hello`; pmgen: `systemctl reload hello@0.service` "
           "then `hello@1.service`). p99 is over the whole run, which spans the reloads. Each figure: median (min–max) of "
           "the runs; failed requests by kind are summed over the runs; pmgen/PM2 ratios are taken within each round "
           "and then summarised.")
out.append("")
out.append("| Load | System | Requests | req/s | Failed | p99 ms | Failed, all runs: connect / read / write / timeout / non-2xx | Reload rounds ok (failed), all runs | Median round, ms | App processes replaced per run |")
out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
tsv = []
for mode in ("close", "keepalive"):
    for sysname in ("pmgen", "pm2"):
        runs = by.get((sysname, mode))
        if not runs:
            continue
        kinds = " / ".join(str(sum(int(r[i]) for r in runs.values())) for i in range(5, 10))
        ok = sum(int(r[12]) for r in runs.values())
        bad = sum(int(r[13]) for r in runs.values())
        med = int(statistics.median(int(r[14]) for r in runs.values()))
        ch = sorted(int(r[15]) for r in runs.values())
        chs = f"{ch[0]}" if ch[0] == ch[-1] else f"{ch[0]}–{ch[-1]}"
        out.append(f"| {modes[mode]} | {names[sysname]} | {mmm(col(sysname, mode, 3))} | {mmm(col(sysname, mode, 4))} | "
                   f"{mmm(col(sysname, mode, 10))} | {mmm(col(sysname, mode, 11), 1)} | {kinds} | {ok} ({bad}) | {med} | {chs} of 2 |")
out.append("")
for mode in ("close", "keepalive"):
    rr, rp = paired(mode, 4), paired(mode, 11)
    if not rr:
        continue
    fa, fb = col("pmgen", mode, 10), col("pm2", mode, 10)
    out.append(f"- {modes[mode]}: req/s pmgen/PM2 {mmm(rr, 2)}; p99 pmgen/PM2 {mmm(rp, 2)}; "
               f"failed requests pmgen {mmm(fa)} against PM2 {mmm(fb)}")
    q = "2. reload"
    tsv.append([q, f"{modes[mode]}, reloads: req/s", mmm(col("pmgen", mode, 4)), mmm(col("pm2", mode, 4)), "n/a",
                mmm(rr, 2), "-", verdict(rr, True)])
    tsv.append([q, f"{modes[mode]}, reloads: p99 latency, ms", mmm(col("pmgen", mode, 11), 1), mmm(col("pm2", mode, 11), 1),
                "n/a", mmm(rp, 2), "-", verdict(rp, False)])
    ma, mb = statistics.median(fa), statistics.median(fb)
    fv = "even with PM2" if abs(ma - mb) <= max(10, 0.2 * max(ma, mb)) else ("pmgen better than PM2" if ma < mb else "pmgen worse than PM2")
    tsv.append([q, f"{modes[mode]}, reloads: failed requests per run", mmm(fa), mmm(fb), "n/a", "-", "-", fv])
text = "\n".join(out).rstrip() + "\n"
open(md_path, "w").write(text)
with open(tsv_path, "w") as t:
    for r in tsv:
        t.write("\t".join(r) + "\n")
print(text)
EOF
say "written: $RESULTS/reload.md (raw: $ROUT)"
