#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# Benchmark question 2 (issue 3): reloads under load, pmgen against PM2, side by side in one run. Not a test.
#
# The same app as the other benchmarks (contrib/examples/server.js, 2 instances, --env production): under
# pmgen in a throwaway systemd (tests/sandbox/lib.sh), under PM2 in cluster mode (npm's pm2, PM2_HOME in a
# temporary directory). For each system and each load mode (wrk on loopback: keep-alive, and a new
# connection per request with `Connection: close`), one wrk run of RELOAD_DURATION s during which
# RELOAD_ROUNDS rounds reload every instance, one instance at a time (PM2: `pm2 reload hello`, which does
# that; pmgen: `systemctl reload hello@0.service`, then hello@1.service). Printed per system and mode:
# requests, failed requests by kind (wrk's socket errors connect/read/write/timeout, and non-2xx answers),
# p99 latency over the run (it spans the reloads), req/s, and the throughput ratio pmgen/PM2. The table is
# written to tests/bench/results/reload.md (BENCH_RESULTS), raw outputs to build/bench/reload/.
#
#   tests/bench/reload.sh      (as root)
#
# Settings: RELOAD_ROUNDS (10), RELOAD_DURATION s (30), BENCH_CONNS (32), BENCH_THREADS (1), PM2_VERSION;
# ports 18550 (pmgen) and 18551 (PM2). Everything it starts is ended by PID (tests/bench/lib.sh: PM2's
# daemon and workers; the box with its systemd), also after a run that was killed.
set -euo pipefail

export PORT_PMGEN=${PORT_PMGEN:-18550} PORT_PM2=${PORT_PM2:-18551} PORT_BARE=${PORT_BARE:-18552}
RELOAD_ROUNDS=${RELOAD_ROUNDS:-10}
RELOAD_DURATION=${RELOAD_DURATION:-30}

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

# measure SYSTEM MODE: one wrk run with the reload rounds inside; a TSV line in $ROUT/rows.tsv.
measure() {
        local sys=$1 mode=$2 port f reloads=0 failed_reloads=0 times=() gap t before after i
        port=$(sys_port "$sys")
        f=$ROUT/$sys-$mode.wrk
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
        python3 - "$f" "$sys" "$mode" "$reloads" "$failed_reloads" "${times[*]}" "$before" "$after" >>"$ROUT/rows.tsv" <<'EOF'
import re, statistics, sys
path, sysname, mode, ok, bad, times, before, after = sys.argv[1:]
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
print("\t".join(map(str, [sysname, mode, requests, f"{rps:.0f}", connect, read, write, timeout, non2xx,
                          connect + read + write + timeout + non2xx, f"{p99:.1f}", ok, bad,
                          int(statistics.median(t)) if t else 0, changed])))
EOF
}

bench_init
pmgen_setup
pm2_setup
step "Reloads under load: ${RELOAD_ROUNDS} rounds of every instance during ${RELOAD_DURATION}s of wrk -t$BENCH_THREADS -c$BENCH_CONNS"
: >"$ROUT/rows.tsv"
for sys in pmgen pm2; do
        sys_start "$sys"
        in_cg "$CG_LOAD" wrk -t"$BENCH_THREADS" -c"$BENCH_CONNS" -d2s "http://127.0.0.1:$(sys_port "$sys")/" >/dev/null 2>&1 || :
        for mode in close keepalive; do
                say "$sys, $mode"
                measure "$sys" "$mode"
        done
        sys_stop "$sys"
done

# the table
node_v=$(node --version)
pm2_v=$(sed -n 's/^pm2=//p' "$OUT/meta" 2>/dev/null || :)
python3 - "$ROUT/rows.tsv" "$RESULTS/reload.md" "$RELOAD_ROUNDS" "$RELOAD_DURATION" "$BENCH_THREADS" "$BENCH_CONNS" \
        "$node_v" "${pm2_v:-?}" "$(uname -r)" "$(nproc)" <<'EOF'
import sys, datetime
rows_path, md_path, rounds, dur, threads, conns, node_v, pm2_v, kernel, cpus = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(rows_path) if l.strip()]
by = {(r[0], r[1]): r for r in rows}
modes = {"close": "new connection per request", "keepalive": "keep-alive"}
out = []
out.append(f"## Reloads under load: pmgen vs PM2, {datetime.date.today()}")
out.append("")
out.append(f"{cpus} cores, Linux {kernel}, Node {node_v}, PM2 {pm2_v} (cluster mode), pmgen in a throwaway systemd 252.")
out.append(f"The example app (contrib/examples/server.js, 2 instances). One wrk run per row: wrk -t{threads} -c{conns} "
           f"-d{dur}s on loopback, during which {rounds} rounds reload every instance one at a time "
           "(PM2: `pm2 reload hello`; pmgen: `systemctl reload hello@0.service` then `hello@1.service`). "
           "p99 is over the whole run, which spans the reloads. One run: figures vary from run to run on a shared VM.")
out.append("")
out.append("| Load | System | Requests | req/s | Failed: connect / read / write / timeout / non-2xx | Failed | p99 ms | Reload rounds ok (failed) | Median round, ms | App processes replaced |")
out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
for mode in ("close", "keepalive"):
    for sysname in ("pmgen", "pm2"):
        r = by.get((sysname, mode))
        if not r:
            continue
        _, _, req, rps, c, rd, w, t, n2, failed, p99, ok, bad, med, changed = r
        out.append(f"| {modes[mode]} | {'PM2' if sysname == 'pm2' else 'pmgen'} | {req} | {rps} | {c} / {rd} / {w} / {t} / {n2} | "
                   f"{failed} | {p99} | {ok} ({bad}) | {med} | {changed} of 2 |")
out.append("")
for mode in ("close", "keepalive"):
    a, b = by.get(("pmgen", mode)), by.get(("pm2", mode))
    if a and b and float(b[3]) > 0:
        out.append(f"Throughput pmgen/PM2, {modes[mode]}: {float(a[3]) / float(b[3]):.2f}")
        out.append("")
text = "\n".join(out).rstrip() + "\n"
open(md_path, "w").write(text)
print(text)
EOF
say "written: $RESULTS/reload.md (raw: $ROUT)"
