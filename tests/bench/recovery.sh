# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Question 4b: time from `kill -9` of an instance's app process to the next successful answer from that
# instance (a new pid answering with the same NODE_APP_INSTANCE), pmgen against PM2, BENCH_KILLS times each,
# instances 0 and 1 in turn, BENCH_SETTLE s apart (after both instances answer again).
#   pmgen: the app is the child of the instance's pmgen-shim; the shim (or systemd) starts a new one, and
#          the instance's listening socket, held by systemd and the shim, queues the connections meanwhile.
#   PM2:   the app is a cluster worker; PM2's daemon forks a new worker, and its cluster master sends the
#          connections to the other worker meanwhile.
# The probe (lib/bench.py recover) kills the process itself, then 4 clients send requests (a new connection
# each, one at a time per client) until the instance answers from a new pid; a request refused, reset or
# unanswered after 5 s counts as failed (one stuck request does not hold the measurement up).
# Sourced by run.sh (lib.sh first).

q_recovery() {
        step "4b. kill -9 of an instance's app → its next answer: $BENCH_KILLS kills per system"
        pmgen_setup
        pm2_setup
        local samples=$OUT/recovery.samples s k inst old killpid out ms failed
        : >"$samples"
        {
                echo "### 4b. kill -9 → next answer from the same instance, every kill"
                echo
                echo "4 clients, a new connection per request; failed: refused, reset, or no answer within 5 s."
                echo
                echo "| system | kill | instance | old pid | new pid | ms | requests | failed | failures |"
                echo "|---|--:|--:|--:|--:|--:|--:|--:|---|"
        } >"$RESULTS/recovery.md"
        for s in pmgen pm2; do
                sys_start "$s"
                for ((k = 1; k <= BENCH_KILLS; k++)); do
                        in_cg "$CG_LOAD" python3 "$BENCH_PY" ready "$(sys_port "$s")" "$INSTANCES" 30 >"$OUT/recovery-ready.txt" ||
                                die "$s: not both instances answer before kill $k"
                        inst=$(((k - 1) % INSTANCES))
                        old=$(awk -v i="$inst" '$1 == i { print $2 }' "$OUT/recovery-ready.txt")
                        if [ "$s" = pmgen ]; then
                                killpid=$(pmgen_hostpid "$old") || die "pmgen: no host pid for the box's pid $old"
                        else
                                killpid=$old
                        fi
                        out=$(in_cg "$CG_LOAD" python3 "$BENCH_PY" recover "$(sys_port "$s")" "$inst" "$old" "$killpid" 30) ||
                                die "$s: instance $inst did not answer from a new pid within 30 s of kill -9 $old ($out)"
                        ms=$(sed -n 's/^ms=\([^ ]*\).*/\1/p' <<<"$out")
                        failed=$(sed -n 's/.*failed=\([^ ]*\).*/\1/p' <<<"$out")
                        echo "$s.ms $ms" >>"$samples"
                        echo "$s.failed $failed" >>"$samples"
                        say "$s kill $k (instance $inst, pid $old): $out"
                        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$k" "$inst" "$old" \
                                "$(sed -n 's/.*newpid=\([^ ]*\).*/\1/p' <<<"$out")" "$ms" \
                                "$(sed -n 's/.*requests=\([^ ]*\).*/\1/p' <<<"$out")" "$failed" \
                                "$(sed -n 's/.*failures=\([^ ]*\).*/\1/p' <<<"$out")" >>"$RESULTS/recovery.md"
                        if [ "$s" = pm2 ]; then
                                local w
                                for w in $(pm2_worker_pids); do track "$w" "PM2 worker"; done
                        fi
                        sleep "$BENCH_SETTLE"
                done
                sys_stop "$s"
        done
        local rowsf=recovery mp mq r fp fq
        rm -f "$ROWS/$rowsf.tsv"
        mp=$(stat_of "$samples" pmgen.ms)
        mq=$(stat_of "$samples" pm2.ms)
        r=$(ratio_of "$(echo "$mp" | cut -d' ' -f1)" "$(echo "$mq" | cut -d' ' -f1)")
        row "$rowsf" "4. recovery" "kill -9 of an app → next answer from that instance, ms" \
                "$(fmt_mmm "$mp" 0)" "$(fmt_mmm "$mq" 0)" "n/a" "$r" "-" "$(verdict_ratio "$r" lower PM2)"
        fp=$(awk '$1 == "pmgen.failed" { t += $2 } END { print t + 0 }' "$samples")
        fq=$(awk '$1 == "pm2.failed" { t += $2 } END { print t + 0 }' "$samples")
        row "$rowsf" "4. recovery" "failed requests during the $BENCH_KILLS recoveries (sum)" "$fp" "$fq" "n/a" "-" "-" \
                "$([ "$fp" -gt "$fq" ] && echo "pmgen worse than PM2" || { [ "$fp" -lt "$fq" ] && echo "pmgen better than PM2"; } || echo "even with PM2")"
}
