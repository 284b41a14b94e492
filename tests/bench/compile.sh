# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Question 4a: how fast `pmgen generate` compiles ecosystem files of 1, 100 and 1000 apps (each app like the
# example: cluster mode, 2 instances, a port, env and env_production) into an emptied directory, with
# hyperfine (BENCH_HYPERFINE_RUNS runs after one warm-up; median, min, max). Two targets:
#   tmpfs  where the systemd generator writes (/run/systemd/generator*), at every boot and daemon-reload;
#   disk   the run's temporary directory (/tmp's filesystem): `pmgen generate -o /etc/systemd/system`, where
#          pmgen's fsync of every file (and of the directory) is paid.
# PM2 has no compile step, so there is nothing to compare with (its nearest, `pm2 start`, starts the
# processes as well): pmgen's absolute times and apps/s only.
# Sourced by run.sh (lib.sh first).

COMPILE_TMPFS= # a directory on tmpfs for this run (/dev/shm), removed by compile_cleanup

compile_cleanup() {
        case $COMPILE_TMPFS in /dev/shm/pmgen-bench.*) rm -rf "$COMPILE_TMPFS" ;; esac
        COMPILE_TMPFS=
}

q_compile() {
        step "4a. pmgen generate of $BENCH_APPS apps (hyperfine, $BENCH_HYPERFINE_RUNS runs), to tmpfs and to disk"
        local dir=$BENCH_TMP/compile n json out line target med min max files aps fstype
        local pmgen=$REPO/build/pmgen
        [ -x "$pmgen" ] || die "$pmgen not built"
        mkdir -p "$dir"
        : >"$dir/server.js"
        COMPILE_TMPFS=$(mktemp -d "/dev/shm/pmgen-bench.$$.XXXXXX")
        local rowsf=compile
        rm -f "$ROWS/$rowsf.tsv"
        {
                echo "### 4a. pmgen generate"
                echo
                echo "\`pmgen generate eco-N.js --env production -o DIR\` into an emptied DIR; hyperfine -N, $BENCH_HYPERFINE_RUNS runs after 1 warm-up"
                echo "(3 runs for 1000 apps to disk)."
                echo
                echo "| apps | target | units written | median ms | min ms | max ms | apps/s |"
                echo "|--:|---|--:|--:|--:|--:|--:|"
        } >"$RESULTS/compile.md"
        for target in tmpfs disk; do
                for n in $BENCH_APPS; do
                        [ -f "$dir/eco-$n.js" ] || python3 "$BENCH_PY" gen-eco "$n" "$dir/eco-$n.js" server.js
                        if [ "$target" = tmpfs ]; then out=$COMPILE_TMPFS/out-$n; else out=$dir/out-$n; fi
                        fstype=$(findmnt -no FSTYPE -T "$(dirname "$out")" 2>/dev/null | head -n 1)
                        json=$OUT/hyperfine-$target-$n.json
                        "$pmgen" check "$dir/eco-$n.js" >/dev/null 2>"$OUT/check-$n.log" ||
                                die "pmgen check eco-$n.js failed: $(head -n 3 "$OUT/check-$n.log")"
                        local runs=$BENCH_HYPERFINE_RUNS
                        # 1000 apps to disk take seconds each (an fsync per file): 3 runs
                        if [ "$target" = disk ] && [ "$n" -ge 1000 ] && [ "$runs" -gt 3 ]; then runs=3; fi
                        hyperfine -N --style none --warmup 1 --runs "$runs" \
                                --prepare "rm -rf $out" --export-json "$json" \
                                "$pmgen generate $dir/eco-$n.js --env production -o $out" >"$OUT/hyperfine-$target-$n.txt" 2>&1 ||
                                die "hyperfine failed: $(tail -n 5 "$OUT/hyperfine-$target-$n.txt")"
                        line=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.3f %.3f %.3f" % (r["median"] * 1000, r["min"] * 1000, r["max"] * 1000))' "$json")
                        read -r med min max <<<"$line"
                        files=$(find "$out" -maxdepth 1 -type f \( -name '*.service' -o -name '*.socket' -o -name '*.target' \) | wc -l)
                        aps=$(awk -v n="$n" -v m="$med" 'BEGIN { printf "%.0f", n / (m / 1000) }')
                        say "generate $n apps to $target ($fstype): median $med ms (min $min, max $max), $aps apps/s, $files units"
                        row "$rowsf" "4. compile" \
                                "pmgen generate, $n app$([ "$n" = 1 ] || echo s) ($files units) to $target ($fstype): ms; apps/s" \
                                "$(fmt_mmm "$med $min $max 1" "$(awk -v m="$med" 'BEGIN { print (m >= 100) ? 0 : 1 }')"); $aps apps/s" \
                                "n/a" "n/a" "-" "-" "-"
                        printf '| %s | %s (%s) | %s | %s | %s | %s | %s |\n' "$n" "$target" "$fstype" "$files" "$med" "$min" "$max" \
                                "$aps" >>"$RESULTS/compile.md"
                        rm -rf "$out"
                done
        done
        compile_cleanup
}
