# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Question 3: what the supervisor costs, beside the app.
#
# Memory: each system is started BENCH_MEM_RUNS times, alone; each start serves BENCH_WARMUP_REQUESTS requests
# (wrk, keep-alive, lib/count.lua: the same work whatever the speed), rests 2 s, and then RssAnon
# (/proc/PID/status) and PSS (/proc/PID/smaps_rollup) are read of
#   - the supervisor processes, summed: pmgen's two pmgen-shim (the units' main processes); PM2's daemon
#     ("God", which is also the cluster master) and anything below it that is not a worker;
#   - each app process. PM2's cluster workers are the app itself with PM2's ProcessContainer (its log and
#     metrics hooks) loaded in the same process: its per-worker cost is estimated as worker RssAnon − bare
#     node RssAnon of the same app after the same requests. The same is done for pmgen's app processes
#     (its Node preload is in them).
# CPU: the last start then sits idle for BENCH_IDLE s, read in BENCH_IDLE_SAMPLES slices: utime+stime
# (/proc/PID/stat) of the supervisor and of the apps over the whole window, as ms per minute, with the range
# of the slices (schedstat's on-CPU ns, more precise, go into the detail file).
# Memory figures are the median of the starts, with min and max.
# Sourced by run.sh (lib.sh first).

# "PID RSSANON PSS TICKS SCHEDNS COMM" lines → "RSSANON_SUM PSS_SUM TICKS_SUM SCHEDNS_SUM COUNT"
_sum_proc() { awk '{ r += $2; p += $3; t += $4; ns += $5; n++ } END { printf "%d %d %d %.0f %d\n", r, p, t, ns, n }'; }

# ms of CPU per minute from two tick counts (1/100 s) over SECONDS.
_per_min() { awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { printf "%.1f\n", (b - a) * 10 * 60 / d }'; }

q_overhead() {
        step "3. Overhead: memory after $BENCH_WARMUP_REQUESTS requests ($BENCH_MEM_RUNS starts per system), CPU over ${BENCH_IDLE}s idle"
        pmgen_setup
        pm2_setup
        local samples=$OUT/overhead.samples s run sup apps slice slice_s
        local rss pss ticks ns n sup_t0 sup_ns0 app_t0 app_ns0 sup_prev app_prev
        slice_s=$(awk -v a="$BENCH_IDLE" -v n="$BENCH_IDLE_SAMPLES" 'BEGIN { printf "%.3f", a / n }')
        : >"$samples"
        : >"$OUT/overhead.procs"
        for s in pmgen pm2 bare; do
                for ((run = 1; run <= BENCH_MEM_RUNS; run++)); do
                        sys_start "$s"
                        # The same warm-up for all: BENCH_WARMUP_REQUESTS requests (keep-alive), then 2 s of rest.
                        in_cg "$CG_LOAD" env BENCH_REQUESTS="$BENCH_WARMUP_REQUESTS" wrk -t1 -c"$BENCH_CONNS" -d120s \
                                -s "$BENCH_LIB/count.lua" "http://127.0.0.1:$(sys_port "$s")/" >/dev/null 2>&1 || :
                        sleep 2
                        sup=$(sys_supervisor_pids "$s")
                        sup=${sup% }
                        apps="${APP_PIDS[*]}"
                        # shellcheck disable=SC2086
                        { echo "# $s, start $run, at rest (supervisor: ${sup:-none}; apps: $apps)"; sys_proc "$s" $sup $apps; } \
                                >>"$OUT/overhead.procs"
                        # shellcheck disable=SC2086
                        read -r rss pss sup_t0 sup_ns0 n <<<"$(sys_proc "$s" $sup | _sum_proc)"
                        if [ -n "$sup" ]; then
                                echo "$s.sup.rss $rss" >>"$samples"
                                echo "$s.sup.pss $pss" >>"$samples"
                        fi
                        # shellcheck disable=SC2086
                        read -r rss pss app_t0 app_ns0 n <<<"$(sys_proc "$s" $apps | _sum_proc)"
                        [ "$n" = "$INSTANCES" ] || die "$s: not every app process is there"
                        echo "$s.app.rss $((rss / n))" >>"$samples"
                        echo "$s.app.pss $((pss / n))" >>"$samples"
                        say "$s start $run: supervisor ${sup:-none}, apps $apps: app RssAnon $((rss / n)) kB each"

                        # The last start also sits idle for BENCH_IDLE s: CPU of the supervisor and the apps.
                        if [ "$run" = "$BENCH_MEM_RUNS" ]; then
                                sup_prev=$sup_t0 app_prev=$app_t0
                                for ((slice = 1; slice <= BENCH_IDLE_SAMPLES; slice++)); do
                                        sleep "$slice_s"
                                        # shellcheck disable=SC2086
                                        { echo "# $s, idle slice $slice"; sys_proc "$s" $sup $apps; } >>"$OUT/overhead.procs"
                                        if [ -n "$sup" ]; then
                                                # shellcheck disable=SC2086
                                                read -r rss pss ticks ns n <<<"$(sys_proc "$s" $sup | _sum_proc)"
                                                echo "$s.sup.slicecpu $(_per_min "$sup_prev" "$ticks" "$slice_s")" >>"$samples"
                                                sup_prev=$ticks
                                        fi
                                        # shellcheck disable=SC2086
                                        read -r rss pss ticks ns n <<<"$(sys_proc "$s" $apps | _sum_proc)"
                                        [ "$n" = "$INSTANCES" ] || die "$s: an app process went away during the idle window"
                                        echo "$s.app.slicecpu $(_per_min "$app_prev" "$ticks" "$slice_s")" >>"$samples"
                                        app_prev=$ticks
                                done
                                echo "$s.app.cpu $(_per_min "$app_t0" "$ticks" "$BENCH_IDLE")" >>"$samples"
                                awk -v a="$app_ns0" -v b="$ns" -v d="$BENCH_IDLE" -v k="$s.app.schedcpu" \
                                        'BEGIN { printf "%s %.2f\n", k, (b - a) / 1e6 * 60 / d }' >>"$samples"
                                if [ -n "$sup" ]; then
                                        # shellcheck disable=SC2086
                                        read -r rss pss ticks ns n <<<"$(sys_proc "$s" $sup | _sum_proc)"
                                        echo "$s.sup.cpu $(_per_min "$sup_t0" "$ticks" "$BENCH_IDLE")" >>"$samples"
                                        awk -v a="$sup_ns0" -v b="$ns" -v d="$BENCH_IDLE" -v k="$s.sup.schedcpu" \
                                                'BEGIN { printf "%s %.2f\n", k, (b - a) / 1e6 * 60 / d }' >>"$samples"
                                fi
                        fi
                        sys_stop "$s"
                done
        done

        local rowsf=overhead
        rm -f "$ROWS/$rowsf.tsv"
        local sp sq ap aq ab r msp msq
        # MiB from kB samples
        _mib() { stat_of "$samples" "$1" | awk '$4 > 0 { printf "%.2f %.2f %.2f %d\n", $1 / 1024, $2 / 1024, $3 / 1024, $4 }'; }
        _med() { echo "$1" | cut -d' ' -f1; }
        sp=$(_mib pmgen.sup.rss)
        sq=$(_mib pm2.sup.rss)
        msp=$(_med "$sp")
        msq=$(_med "$sq")
        r=$(ratio_of "$msp" "$msq")
        row "$rowsf" "3. overhead" "supervisor private memory, RssAnon MiB (pmgen: $INSTANCES shims; PM2: daemon)" \
                "$(fmt_mmm "$sp" 2)" "$(fmt_mmm "$sq" 2)" "0 (none)" "$r" "-" "$(verdict_ratio "$r" lower PM2)"
        sp=$(_mib pmgen.sup.pss)
        sq=$(_mib pm2.sup.pss)
        r=$(ratio_of "$(_med "$sp")" "$(_med "$sq")")
        row "$rowsf" "3. overhead" "supervisor PSS MiB" \
                "$(fmt_mmm "$sp" 2)" "$(fmt_mmm "$sq" 2)" "0 (none)" "$r" "-" "$(verdict_ratio "$r" lower PM2)"
        ap=$(_mib pmgen.app.rss)
        aq=$(_mib pm2.app.rss)
        ab=$(_mib bare.app.rss)
        r=$(ratio_of "$(_med "$ap")" "$(_med "$aq")")
        row "$rowsf" "3. overhead" "app process RssAnon MiB (per instance)" \
                "$(fmt_mmm "$ap" 1)" "$(fmt_mmm "$aq" 1)" "$(fmt_mmm "$ab" 1)" \
                "$r" "$(ratio_of "$(_med "$ap")" "$(_med "$ab")")" "$(verdict_ratio "$r" lower PM2)"
        # The in-process wrapper per instance (medians): app − bare; then all that is not the app:
        # supervisor + INSTANCES × wrapper (a wrapper measured below bare counts as 0).
        local wp wq tp tq
        wp=$(awk -v a="$(_med "$ap")" -v b="$(_med "$ab")" 'BEGIN { printf "%.1f", a - b }')
        wq=$(awk -v a="$(_med "$aq")" -v b="$(_med "$ab")" 'BEGIN { printf "%.1f", a - b }')
        row "$rowsf" "3. overhead" "in-process wrapper, RssAnon MiB per instance (app − bare, medians)" \
                "$wp" "$wq" "0" "-" "-" \
                "$(awk -v a="$wp" -v b="$wq" 'BEGIN { print (a < b - 0.5) ? "pmgen better than PM2" : (a > b + 0.5) ? "pmgen worse than PM2" : "even with PM2" }')"
        tp=$(awk -v s="$msp" -v w="$wp" -v n="$INSTANCES" 'BEGIN { printf "%.1f", s + n * (w > 0 ? w : 0) }')
        tq=$(awk -v s="$msq" -v w="$wq" -v n="$INSTANCES" 'BEGIN { printf "%.1f", s + n * (w > 0 ? w : 0) }')
        r=$(ratio_of "$tp" "$tq")
        row "$rowsf" "3. overhead" "everything not the app, RssAnon MiB (supervisor + $INSTANCES × wrapper)" \
                "$tp" "$tq" "0" "$r" "-" "$(verdict_ratio "$r" lower PM2)"
        # CPU: the whole window (utime+stime ticks, 10 ms each), with the range of its slices.
        _cpu() { # SYSTEM sup|app → "TOTAL (SLICEMIN–SLICEMAX)"
                local tot sl
                tot=$(stat_of "$samples" "$1.$2.cpu" | cut -d' ' -f1)
                sl=$(stat_of "$samples" "$1.$2.slicecpu")
                [ -n "$tot" ] || { echo "-"; return; }
                awk -v t="$tot" -v s="$sl" 'BEGIN { split(s, a, " "); printf "%.0f (slices %.0f–%.0f)\n", t, a[2], a[3] }'
        }
        _tot() { stat_of "$samples" "$1.$2.cpu" | cut -d' ' -f1; }
        r=$(ratio_of "$(_tot pmgen sup)" "$(_tot pm2 sup)")
        row "$rowsf" "3. overhead" "supervisor CPU while idle, ms per minute (utime+stime)" \
                "$(_cpu pmgen sup)" "$(_cpu pm2 sup)" "0 (none)" "$r" "-" \
                "$(awk -v a="$(_tot pmgen sup)" -v b="$(_tot pm2 sup)" 'BEGIN { print (a + 20 < b) ? "pmgen better than PM2" : (a > b + 20) ? "pmgen worse than PM2" : "even with PM2" }')"
        local sp_s sq_s
        _sched() { stat_of "$samples" "$1.$2.schedcpu" | awk '$4 > 0 { printf "%.1f\n", $1 }'; }
        sp_s=$(_sched pmgen sup)
        sq_s=$(_sched pm2 sup)
        r=$(ratio_of "$sp_s" "$sq_s")
        row "$rowsf" "3. overhead" "supervisor CPU while idle, ms per minute (schedstat on-CPU time)" \
                "${sp_s:--}" "${sq_s:--}" "0 (none)" "$r" "-" "$(verdict_ratio "$r" lower PM2)"
        r=$(ratio_of "$(_tot pmgen app)" "$(_tot pm2 app)")
        row "$rowsf" "3. overhead" "app CPU while idle, ms per minute ($INSTANCES instances)" \
                "$(_cpu pmgen app)" "$(_cpu pm2 app)" "$(_cpu bare app)" "$r" "$(ratio_of "$(_tot pmgen app)" "$(_tot bare app)")" \
                "$(awk -v a="$(_tot pmgen app)" -v b="$(_tot pm2 app)" 'BEGIN { print (a + 20 < b) ? "pmgen better than PM2" : (a > b + 20) ? "pmgen worse than PM2" : "even with PM2" }')"

        {
                echo "### 3. Overhead, every reading"
                echo
                echo "Memory: $BENCH_MEM_RUNS starts per system, each read after $BENCH_WARMUP_REQUESTS requests (wrk, keep-alive) and 2 s of"
                echo "rest. CPU: the last start then idles ${BENCH_IDLE}s, read in $BENCH_IDLE_SAMPLES slices."
                echo
                echo "On-CPU time over the whole window from /proc/PID/schedstat (ns precision), ms per minute:"
                echo
                local k
                for k in pmgen.sup pm2.sup pmgen.app pm2.app bare.app; do
                        echo "- $k: $(stat_of "$samples" "$k.schedcpu" | cut -d' ' -f1)"
                done
                echo
                echo "Every reading: pid, RssAnon kB, PSS kB, utime+stime ticks and schedstat ns (cumulative), comm."
                echo
                echo '```'
                cat "$OUT/overhead.procs"
                echo '```'
        } >"$RESULTS/overhead.md"
}
