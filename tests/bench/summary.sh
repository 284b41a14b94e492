#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# The summary of `make bench` (run.sh calls it last): one table of the questions' rows (build/bench/rows/),
# printed and written as Markdown to tests/bench/results/summary.md with the date, the machine and the
# settings. The details of every run are beside it (tests/bench/results/{throughput,overhead,compile,recovery}.md).
#
# Question 2 (reloads under load) is tests/bench/reload.sh's: when that script exists it is run here
# (unless BENCH_RUN_RELOAD=0) with the other systems stopped; its rows (build/bench/rows/reload.tsv) go
# into the table and its Markdown table, which it writes to tests/bench/results/reload.md, is folded into
# the summary. Without it the summary says so.
#
#   tests/bench/summary.sh          (re)print the summary from the last run's rows
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=lib.sh
. "$here/lib.sh"

BENCH_RUN_RELOAD=${BENCH_RUN_RELOAD:-1}
mkdir -p "$ROWS" "$RESULTS"
reload_note=
reload_md=$RESULTS/reload.md
reload_status=missing

if [ -e "$BENCH_HOME/reload.sh" ]; then
        if [ "$BENCH_RUN_RELOAD" = 1 ]; then
                step "2. Reloads under load: tests/bench/reload.sh"
                rm -f "$reload_md"
                export BENCH_QUICK # reload.sh shortens its own settings for a smoke run
                rc=0
                if [ -x "$BENCH_HOME/reload.sh" ]; then
                        "$BENCH_HOME/reload.sh" || rc=$?
                else
                        bash "$BENCH_HOME/reload.sh" || rc=$?
                fi
                if [ "$rc" != 0 ]; then
                        reload_status=failed
                        reload_note="reload: tests/bench/reload.sh failed (exit $rc)"
                elif [ -s "$reload_md" ]; then
                        reload_status=measured
                else
                        reload_status=failed
                        reload_note="reload: tests/bench/reload.sh wrote no $reload_md"
                fi
        elif [ -s "$reload_md" ]; then
                reload_status=measured
                reload_note="reload: not run this time; its table below is from $(date -r "$reload_md" '+%F %T')"
        else
                reload_status=failed
                reload_note="reload: not measured (BENCH_RUN_RELOAD=0 and no earlier $reload_md)"
        fi
else
        reload_note="reload: not measured (tests/bench/reload.sh missing)"
fi

# The rows, in the questions' order.
all=$OUT/summary.rows
: >"$all"
for q in throughput reload overhead compile recovery; do
        if [ "$q" = reload ]; then
                case $reload_status in
                measured)
                        if [ -s "$ROWS/reload.tsv" ]; then
                                cat "$ROWS/reload.tsv" >>"$all"
                        else
                                printf '2. reload\tfailed requests and p99 during reloads under load\tsee the reload table below\t\t\t\t\t\n' >>"$all"
                        fi
                        ;;
                *) printf '2. reload\t%s\t\t\t\t\t\t\n' "${reload_note#reload: }" >>"$all" ;;
                esac
        elif [ -s "$ROWS/$q.tsv" ]; then
                cat "$ROWS/$q.tsv" >>"$all"
        else
                case $q in
                throughput) label="1. throughput" ;;
                overhead) label="3. overhead" ;;
                compile) label="4. compile" ;;
                recovery) label="4. recovery" ;;
                esac
                printf '%s\tnot measured (tests/bench/run.sh %s)\t\t\t\t\t\t\n' "$label" "$q" >>"$all"
        fi
done
python3 "$BENCH_PY" table "$all" "$OUT/summary.txt" "$OUT/summary-table.md"

# The machine and the versions.
meta=$OUT/meta
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cores=$(nproc)
kernel=$(uname -r)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
date_run=$(cat "$OUT/date" 2>/dev/null || date +%F)
node_v=$(node --version 2>/dev/null || echo "?")
pm2_v=${PM2_VERSION_USED:-$(sed -n 's/^pm2=//p' "$meta" 2>/dev/null || :)}
pmgen_v=$("$REPO/build/pmgen" --version 2>/dev/null | head -n 1 || echo "?")
systemd_v=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || echo "?")
wrk_v=$({ wrk -v 2>&1 || :; } | awk 'NR == 1 { sub("^debian/", "", $2); print $2 }')
hf_v=$({ hyperfine --version 2>/dev/null || :; } | awk '{ print $2 }')
settings=$(cat "$OUT/settings" 2>/dev/null || echo "?")
retried=$(cat "$OUT/throughput.retries" 2>/dev/null || echo 0)
read -r disturbed keep_all <<<"$(cat "$OUT/throughput.disturbed" 2>/dev/null || echo "0 0")"
others_note="Throughput runs repeated because other processes used more than ${BENCH_MAX_FOREIGN}% of the CPUs meanwhile: $retried;"
if [ "$keep_all" = 1 ]; then
        others_note="$others_note still disturbed after that: $disturbed, counted all the same (too few quiet runs; see throughput.md)."
else
        others_note="$others_note still disturbed after that, and left out: $disturbed (see throughput.md)."
fi

md=$RESULTS/summary.md
{
        echo "## pmgen vs PM2 vs bare node: $date_run"
        echo
        echo "Machine: $cpu, $cores cores, $mem, Linux $kernel. Node $node_v, PM2 ${pm2_v:-?}, $pmgen_v,"
        echo "systemd $systemd_v (in the throwaway box), wrk $wrk_v, hyperfine $hf_v."
        echo "Settings: $settings."
        echo "$others_note"
        echo
        echo "Each figure: median (min–max) of the runs. pmgen/PM2 and pmgen/bare of the throughput rows are"
        echo "taken within each round and then summarised; the others are ratios of medians."
        echo
        cat "$OUT/summary-table.md"
        if [ -n "$reload_note" ]; then
                echo
                echo "$reload_note"
        fi
        if [ "$reload_status" = measured ]; then
                echo
                # reload.sh's table, with its heading (or ours when it has none)
                head -c 1 "$reload_md" | grep -q '#' || printf '### 2. Reloads under load (tests/bench/reload.sh)\n\n'
                sed 's/^## /### 2. /' "$reload_md"
        fi
} >"$md"

echo
echo "pmgen vs PM2 vs bare node, $date_run; $cpu, $cores cores, Linux $kernel; PM2 ${pm2_v:-?}, Node $node_v"
echo
cat "$OUT/summary.txt"
if [ -n "$reload_note" ]; then
        echo
        echo "$reload_note"
fi
if [ "$reload_status" = measured ]; then
        echo
        echo "2. Reloads under load (tests/bench/reload.sh):"
        cat "$reload_md"
fi
echo
echo "written: $md (details: $RESULTS/{throughput,overhead,compile,recovery}.md; raw: $OUT)"
