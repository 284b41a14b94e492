# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Question 1: throughput and latency of the 2-instance app under pmgen, PM2 (cluster mode) and bare, with
# wrk on loopback, keep-alive and a new connection per request (`Connection: close`).
#
# BENCH_RUNS rounds; each round runs every system once, in a rotating order, alone: start, wait until both
# instances answer, BENCH_WARMUP s of wrk, then BENCH_DURATION s of each mode, stop. A ratio pmgen/PM2 or
# pmgen/bare is taken within each round (the runs minutes apart on a shared VM differ more than the systems
# do), and the table shows the median of the rounds with their min and max.
# During each measured run the CPU time of what is not the app is read as well: pmgen's shims, the box's
# journald (the request lines) and PID 1; PM2's daemon (it also receives every log line over IPC).
# Sourced by run.sh (lib.sh first).

_wrk() { # PORT SECONDS OUTFILE [wrk args…]
        local port=$1 secs=$2 out=$3
        shift 3
        in_cg "$CG_LOAD" wrk -t"$BENCH_THREADS" -c"$BENCH_CONNS" -d"${secs}s" --latency "$@" "http://127.0.0.1:$port/" >"$out" 2>&1
}

# CPU ticks (utime+stime, 1/100 s) of the system's supervisor and log processes, summed.
_support_ticks() { # SYSTEM
        case $1 in
        pmgen)
                local pids
                pids="1 $(sandbox_exec systemctl show -p MainPID --value systemd-journald) $(sys_supervisor_pids pmgen)"
                # shellcheck disable=SC2086
                sys_proc pmgen $pids | awk '{ t += $4 } END { print t + 0 }'
                ;;
        pm2)
                # shellcheck disable=SC2046
                sys_proc pm2 $(sys_supervisor_pids pm2) | awk '{ t += $4 } END { print t + 0 }'
                ;;
        bare) echo 0 ;;
        esac
}

q_throughput() {
        step "1. Throughput and latency: $BENCH_RUNS rounds, wrk -t$BENCH_THREADS -c$BENCH_CONNS, ${BENCH_DURATION}s per run"
        pmgen_setup
        pm2_setup
        local raw=$OUT/throughput.tsv samples=$OUT/throughput.samples r k s mode port f t0 t1 line
        local systems=(pmgen pm2 bare)
        mkdir -p "$OUT/wrk"
        printf 'round\tsystem\tmode\treq_s\tp50_ms\tp99_ms\terrors\tsupport_cpu_pct\tothers_pct\n' >"$raw"
        RETRIED=0 RETRY_SPENT=0
        for ((r = 1; r <= BENCH_RUNS; r++)); do
                for ((k = 0; k < 3; k++)); do
                        s=${systems[(r + k) % 3]}
                        port=$(sys_port "$s")
                        sys_start "$s"
                        _wrk "$port" "$BENCH_WARMUP" "$OUT/wrk/warmup.txt" || :
                        for mode in keepalive close; do
                                f=$OUT/wrk/$s-$mode-$r.txt
                                local try fpct args=()
                                [ "$mode" = close ] && args=(-H 'Connection: close')
                                for ((try = 0; try <= BENCH_RETRIES; try++)); do
                                        t0=$(_support_ticks "$s")
                                        foreign_mark
                                        _wrk "$port" "$BENCH_DURATION" "$f" "${args[@]}" || die "wrk failed: $(tail -n 3 "$f")"
                                        fpct=$(foreign_pct)
                                        t1=$(_support_ticks "$s")
                                        [ "$fpct" -gt "$BENCH_MAX_FOREIGN" ] || break
                                        if [ "$try" -ge "$BENCH_RETRIES" ] || [ "$RETRY_SPENT" -ge "$BENCH_RETRY_BUDGET" ]; then
                                                break
                                        fi
                                        say "round $r $s $mode: others used ${fpct}% of the CPUs meanwhile; again"
                                        RETRIED=$((RETRIED + 1))
                                        local t_retry=$SECONDS
                                        wait_quiet 15 || :
                                        RETRY_SPENT=$((RETRY_SPENT + SECONDS - t_retry + BENCH_DURATION))
                                done
                                line=$(python3 "$BENCH_PY" wrk "$f") || die "cannot read $f"
                                # shellcheck disable=SC2086
                                set -- $line
                                local cpu
                                cpu=$(awk -v a="$t0" -v b="$t1" -v d="$BENCH_DURATION" 'BEGIN { printf "%.1f", (b - a) / d }')
                                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$s" "$mode" "$1" "$2" "$3" "$4" "$cpu" "$fpct" >>"$raw"
                                say "round $r $s $mode: $1 req/s, p50 $2 ms, p99 $3 ms, errors $4, supervisor+logger CPU $cpu %, others ${fpct}%"
                        done
                        sys_stop "$s"
                done
        done

        # Runs during which others still used more than BENCH_MAX_FOREIGN % of the CPUs (after the repeats) are
        # left out of the figures, and so is every ratio of their round that needs them, unless that would leave
        # a system with fewer than 2 runs of a mode (then all runs count).
        local keep_all=0
        if [ "$BENCH_KEEP_DISTURBED" = 1 ] || awk -F'\t' -v lim="$BENCH_MAX_FOREIGN" 'NR > 1 && $9 <= lim { n[$2 "." $3]++ }
                END { split("pmgen pm2 bare", ss, " "); split("keepalive close", ms, " ")
                      for (i in ss) for (j in ms) if (n[ss[i] "." ms[j]] < 2) exit 0
                      exit 1 }' "$raw"; then
                keep_all=1
        fi
        DISTURBED=$(awk -F'\t' -v lim="$BENCH_MAX_FOREIGN" 'NR > 1 && $9 > lim { n++ } END { print n + 0 }' "$raw")
        echo "$DISTURBED $keep_all" >"$OUT/throughput.disturbed"
        # Samples: SYSTEM.MODE.METRIC and, per round, ratio.OTHER.MODE.METRIC = pmgen / OTHER.
        awk -F'\t' -v lim="$BENCH_MAX_FOREIGN" -v all="$keep_all" 'NR > 1 && (all || $9 <= lim) {
                v[$1, $2, $3, "rps"] = $4; v[$1, $2, $3, "p50"] = $5; v[$1, $2, $3, "p99"] = $6
                v[$1, $2, $3, "err"] = $7; v[$1, $2, $3, "cpu"] = $8; rounds[$1] = 1
                print $2 "." $3 ".rps", $4; print $2 "." $3 ".p50", $5; print $2 "." $3 ".p99", $6
                print $2 "." $3 ".err", $7; print $2 "." $3 ".cpu", $8
        }
        END {
                split("keepalive close", modes, " "); split("rps p50 p99", ms, " "); split("pm2 bare", os, " ")
                for (r in rounds) for (i in modes) for (j in ms) for (o in os) {
                        a = v[r, "pmgen", modes[i], ms[j]]; b = v[r, os[o], modes[i], ms[j]]
                        if (a != "" && b != "" && b + 0 > 0) print "ratio." os[o] "." modes[i] "." ms[j], a / b
                }
        }' "$raw" >"$samples"

        local rowsf=throughput
        rm -f "$ROWS/$rowsf.tsv"
        local metric label dir digits rp rb
        for mode in keepalive close; do
                for metric in rps p50 p99; do
                        case $metric in
                        rps) label="req/s"; dir=higher; digits=0 ;;
                        p50) label="p50 latency, ms"; dir=lower; digits=2 ;;
                        p99) label="p99 latency, ms"; dir=lower; digits=2 ;;
                        esac
                        rp=$(stat_of "$samples" "ratio.pm2.$mode.$metric")
                        rb=$(stat_of "$samples" "ratio.bare.$mode.$metric")
                        row "$rowsf" "1. throughput" "$([ "$mode" = close ] && echo "new connection per request" || echo keep-alive): $label" \
                                "$(fmt_mmm "$(stat_of "$samples" "pmgen.$mode.$metric")" "$digits")" \
                                "$(fmt_mmm "$(stat_of "$samples" "pm2.$mode.$metric")" "$digits")" \
                                "$(fmt_mmm "$(stat_of "$samples" "bare.$mode.$metric")" "$digits")" \
                                "$(fmt_mmm "$rp" 2)" "$(fmt_mmm "$rb" 2)" \
                                "$(verdict_paired "$rp" "$dir" PM2)"
                done
                row "$rowsf" "1. throughput" "$([ "$mode" = close ] && echo "new connection per request" || echo keep-alive): CPU outside the app, % of a core (pmgen: shims, journald, PID 1; PM2: daemon)" \
                        "$(fmt_mmm "$(stat_of "$samples" "pmgen.$mode.cpu")" 0)" \
                        "$(fmt_mmm "$(stat_of "$samples" "pm2.$mode.cpu")" 0)" \
                        "-" "-" "-" "-"
        done
        local errs
        errs=$(awk -F'\t' 'NR > 1 { e[$2] += $7 } END { printf "%d\t%d\t%d", e["pmgen"], e["pm2"], e["bare"] }' "$raw")
        # shellcheck disable=SC2086
        IFS=$'\t' read -r ep eq eb <<<"$errs"
        row "$rowsf" "1. throughput" "failed requests, all runs (wrk socket errors + non-2xx)" "$ep" "$eq" "$eb" "-" "-" \
                "$([ "$ep" -gt "$eq" ] && echo "pmgen worse than PM2" || echo "-")"

        echo "$RETRIED" >"$OUT/throughput.retries"
        # The detail: every run.
        {
                echo "### 1. Throughput and latency, every run"
                echo
                echo "wrk -t$BENCH_THREADS -c$BENCH_CONNS -d${BENCH_DURATION}s --latency on 127.0.0.1, after ${BENCH_WARMUP}s of warm-up;"
                echo "\`close\` adds \`-H 'Connection: close'\`. support CPU: supervisor and log processes (pmgen: shims,"
                echo "journald, PID 1 of the box; PM2: its daemon), % of one core."
                echo
                echo "others %: CPU used meanwhile by processes not of this run, % of all CPUs. A run above"
                echo "${BENCH_MAX_FOREIGN}% was repeated up to $BENCH_RETRIES times ($RETRIED repeats in all); $DISTURBED runs stayed above and"
                echo "$([ "$keep_all" = 1 ] && echo "still count (too few quiet runs were left)" || echo "are left out of the summary, with the ratios of their round that need them")."
                echo
                echo "| round | system | mode | req/s | p50 ms | p99 ms | errors | support CPU % | others % |"
                echo "|--:|---|---|--:|--:|--:|--:|--:|--:|"
                awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$raw"
        } >"$RESULTS/throughput.md"
}
