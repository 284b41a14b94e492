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
# CPU: every start then sits idle for BENCH_IDLE s, read in BENCH_IDLE_SAMPLES slices: utime+stime
# (/proc/PID/stat) and schedstat's on-CPU ns (more precise) of the supervisor and of the apps over each
# start's whole window, as ms per minute (the range of the slices goes into the detail file).
# Every figure is the median of the starts, with min and max: the wrapper's per start is that start's app
# RssAnon − bare's median, and "everything not the app" per start is that start's supervisor + INSTANCES ×
# its wrapper.
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

                        # Every start then sits idle for BENCH_IDLE s: CPU of the supervisor and the apps.
                        if :; then
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
        # The in-process wrapper per instance, per start: app − bare's median; then all that is not the app,
        # per start: supervisor + INSTANCES × wrapper (a wrapper measured below bare counts as 0).
        python3 - "$samples" "$INSTANCES" >"$samples.derived" <<'EOF'
import statistics, sys
path, n = sys.argv[1], int(sys.argv[2])
v = {}
for line in open(path).read().splitlines():
    if len(line.split()) == 2:
        k, x = line.split()
        v.setdefault(k, []).append(float(x))
bare = statistics.median(v["bare.app.rss"]) if v.get("bare.app.rss") else None
for s in ("pmgen", "pm2"):
    if bare is None:
        break
    for app, sup in zip(v.get(s + ".app.rss", []), v.get(s + ".sup.rss", [])):
        w = app - bare
        print(f"{s}.wrap {w:.0f}")
        print(f"{s}.notapp {sup + n * max(w, 0):.0f}")
EOF
        cat "$samples.derived" >>"$samples"
        local wp wq tp tq
        wp=$(_mib pmgen.wrap)
        wq=$(_mib pm2.wrap)
        row "$rowsf" "3. overhead" "in-process wrapper, RssAnon MiB per instance (app − bare's median, per start)" \
                "$(fmt_mmm "$wp" 1)" "$(fmt_mmm "$wq" 1)" "0" "-" "-" \
                "$(awk -v a="$(_med "$wp")" -v b="$(_med "$wq")" 'BEGIN { print (a < b - 0.5) ? "pmgen better than PM2" : (a > b + 0.5) ? "pmgen worse than PM2" : "even with PM2" }')"
        tp=$(_mib pmgen.notapp)
        tq=$(_mib pm2.notapp)
        r=$(ratio_of "$(_med "$tp")" "$(_med "$tq")")
        row "$rowsf" "3. overhead" "everything not the app, RssAnon MiB (supervisor + $INSTANCES × wrapper, per start)" \
                "$(fmt_mmm "$tp" 1)" "$(fmt_mmm "$tq" 1)" "0" "$r" "-" "$(verdict_ratio "$r" lower PM2)"
        # CPU over each start's idle window: utime+stime ticks (10 ms each) and schedstat's on-CPU time.
        _cpu() { stat_of "$samples" "$1.$2.$3"; } # SYSTEM sup|app cpu|schedcpu → "median min max n"
        _tot() { _cpu "$1" "$2" cpu | cut -d' ' -f1; }
        r=$(ratio_of "$(_tot pmgen sup)" "$(_tot pm2 sup)")
        row "$rowsf" "3. overhead" "supervisor CPU while idle, ms per minute (utime+stime)" \
                "$(fmt_mmm "$(_cpu pmgen sup cpu)" 0)" "$(fmt_mmm "$(_cpu pm2 sup cpu)" 0)" "0 (none)" "$r" "-" \
                "$(awk -v a="$(_tot pmgen sup)" -v b="$(_tot pm2 sup)" 'BEGIN { print (a + 20 < b) ? "pmgen better than PM2" : (a > b + 20) ? "pmgen worse than PM2" : "even with PM2" }')"
        local sp_s sq_s
        sp_s=$(_cpu pmgen sup schedcpu)
        sq_s=$(_cpu pm2 sup schedcpu)
        r=$(ratio_of "$(_med "$sp_s")" "$(_med "$sq_s")")
        row "$rowsf" "3. overhead" "supervisor CPU while idle, ms per minute (schedstat on-CPU time)" \
                "$(fmt_mmm "$sp_s" 1)" "$(fmt_mmm "$sq_s" 1)" "0 (none)" "$r" "-" "$(verdict_ratio "$r" lower PM2)"
        r=$(ratio_of "$(_tot pmgen app)" "$(_tot pm2 app)")
        row "$rowsf" "3. overhead" "app CPU while idle, ms per minute ($INSTANCES instances, utime+stime)" \
                "$(fmt_mmm "$(_cpu pmgen app cpu)" 0)" "$(fmt_mmm "$(_cpu pm2 app cpu)" 0)" "$(fmt_mmm "$(_cpu bare app cpu)" 0)" \
                "$r" "$(ratio_of "$(_tot pmgen app)" "$(_tot bare app)")" \
                "$(awk -v a="$(_tot pmgen app)" -v b="$(_tot pm2 app)" 'BEGIN { print (a + 20 < b) ? "pmgen better than PM2" : (a > b + 20) ? "pmgen worse than PM2" : "even with PM2" }')"

        {
                echo "### 3. Overhead, every reading"
                echo
                echo "Memory: $BENCH_MEM_RUNS starts per system, each read after $BENCH_WARMUP_REQUESTS requests (wrk, keep-alive) and 2 s of"
                echo "rest. CPU: every start then idles ${BENCH_IDLE}s, read in $BENCH_IDLE_SAMPLES slices."
                echo
                echo "CPU while idle, ms per minute, median (min–max) over the starts: on-CPU time from /proc/PID/schedstat"
                echo "(ns precision); utime+stime (10 ms ticks); and the range of the single slices (utime+stime):"
                echo
                local k
                for k in pmgen.sup pm2.sup pmgen.app pm2.app bare.app; do
                        echo "- $k: schedstat $(fmt_mmm "$(stat_of "$samples" "$k.schedcpu")" 2);" \
                                "utime+stime $(fmt_mmm "$(stat_of "$samples" "$k.cpu")" 0);" \
                                "slices $(stat_of "$samples" "$k.slicecpu" | awk '$4 > 0 { printf "%.0f–%.0f", $2, $3 }')"
                done
                echo
                echo "Every reading: pid, RssAnon kB, PSS kB, utime+stime ticks and schedstat ns (cumulative), comm."
                echo
                echo '```'
                cat "$OUT/overhead.procs"
                echo '```'
        } >"$RESULTS/overhead.md"
}
