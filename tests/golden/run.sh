#!/bin/bash
# Golden tests for the compiler: each tests/golden/CASE/ holds one declaration
# (ecosystem.config.js, *.cjs, *.mjs, *.json or *.ini), an optional `args` file
# (extra pmgen arguments, e.g. "--env production"), an optional `environ` file
# (KEY=VALUE lines: the compile-time environment, PATH=/usr/bin:/bin unless it sets
# one), an optional `warnings` file (the diagnostics `pmgen check` must print, exactly)
# and expected/ with the exact files `pmgen generate` must write. The case's own
# directory is written as @CASEDIR@, in environ and warnings too.
# Every expected unit must also pass `systemd-analyze verify`.
#
#   tests/golden/run.sh PMGEN            compare (file list first, then diff -u per file)
#   tests/golden/run.sh --update PMGEN   rewrite expected/ and show the diff
set -u
update=0
[ "${1:-}" = --update ] && { update=1; shift; }
pmgen=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

home_fix='s/^ProtectHome=yes$/&/' # a no-op
case $here/ in /home/* | /root/* | /run/user/*) home_fix='s/^ProtectHome=read-only$/ProtectHome=yes/' ;; esac
for case in "$here"/*/; do
        case=${case%/}
        name=${case##*/}
        input=$(find "$case" -maxdepth 1 -type f ! -name '.*' \( -name '*.js' -o -name '*.cjs' -o -name '*.mjs' -o -name '*.json' -o -name '*.ini' \) | sort | head -1)
        [ -n "$input" ] || { echo "FAIL $name: no declaration file"; fail=$((fail + 1)); continue; }
        out="$tmp/$name"
        args=()
        [ -f "$case/args" ] && read -r -a args <"$case/args"
        envs=()
        [ -f "$case/environ" ] && mapfile -t envs <"$case/environ"
        envs=("${envs[@]//@CASEDIR@/$case}")
        if [ -f "$case/warnings" ]; then
                (cd "$case" && env -i PATH=/usr/bin:/bin HOME=/nonexistent "${envs[@]}" "$pmgen" check "${input##*/}" "${args[@]}") \
                        2>&1 | grep -v '^pmgen: [0-9]* apps\? OK$' | sed "s|$case|@CASEDIR@|g" >"$tmp/$name.warnings"
                if ! diff -u "$case/warnings" "$tmp/$name.warnings" >"$tmp/$name.wdiff"; then
                        echo "FAIL $name: pmgen check's diagnostics differ"; sed 's/^/    /' "$tmp/$name.wdiff"
                        fail=$((fail + 1)); continue
                fi
        fi
        (cd "$case" && env -i PATH=/usr/bin:/bin HOME=/nonexistent "${envs[@]}" "$pmgen" generate -q "${input##*/}" "${args[@]}" \
                --shim /usr/libexec/pmgen/pmgen-shim --node-preload /usr/share/pmgen/node-preload.cjs --bind-preload /usr/libexec/pmgen/libpmgen-bind.so -o "$out") \
                >"$tmp/$name.log" 2>&1
        rc=$?
        if [ $rc -ne 0 ]; then
                echo "FAIL $name: pmgen exited $rc"; sed 's/^/    /' "$tmp/$name.log"; fail=$((fail + 1)); continue
        fi
        # Environment files hold secrets: only root may read them (git does not keep modes).
        badmode=$(find "$out" -name '*.env' ! -perm 0600 | head -1)
        if [ -n "$badmode" ]; then
                echo "FAIL $name: $badmode has mode $(stat -c %a "$badmode"), expected 600"; fail=$((fail + 1)); continue
        fi
        # Make the output independent of where the tree is checked out (an app that lives in a home
        # directory gets ProtectHome=read-only: see src/harden.h).
        find "$out" -type f -exec sed -i -e "s|$case|@CASEDIR@|g" -e "$home_fix" {} +
        if [ $update = 1 ]; then
                [ -d "$case/expected" ] && diff -ru "$case/expected" "$out"
                rm -rf "$case/expected"; cp -a "$out" "$case/expected"
                echo "UPDATED $name"; continue
        fi
        if ! diff <(cd "$case/expected" 2>/dev/null && find . | sort) <(cd "$out" && find . | sort) >"$tmp/$name.list"; then
                echo "FAIL $name: the file list differs (< expected, > generated)"; sed 's/^/    /' "$tmp/$name.list"
                fail=$((fail + 1)); continue
        fi
        if ! diff -ru "$case/expected" "$out" >"$tmp/$name.diff"; then
                echo "FAIL $name: output differs"; sed 's/^/    /' "$tmp/$name.diff" | head -60
                fail=$((fail + 1)); continue
        fi
        # systemd must accept every unit; verify exits 0 on unknown keys, so any output fails.
        units=$(find "$out" -maxdepth 1 -type f \( -name '*.service' -o -name '*.socket' -o -name '*.target' -o -name '*.timer' -o -name '*.path' \) | sort)
        if command -v systemd-analyze >/dev/null; then
                # @CASEDIR@ paths do not exist: verify the units as generated for this checkout.
                vdir="$tmp/$name.verify"; cp -a "$out" "$vdir"
                find "$vdir" -type f -exec sed -i "s|@CASEDIR@|$case|g" {} +
                # The shim path must exist for verify; point it at a real executable.
                find "$vdir" -type f -exec sed -i "s|/usr/libexec/pmgen/pmgen-shim|/bin/true|g" {} +
                cp "$here/../../units/"*.target "$vdir/"
                vunits=$(cd "$vdir" && find . -maxdepth 1 -type f ! -name '*.env' ! -name 'pmgen*.target' | sed "s|^\.|$vdir|" | sort)
                if [ -n "$vunits" ] && ! verify=$(cd "$vdir" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no $vunits 2>&1) || [ -n "${verify:-}" ]; then
                        echo "FAIL $name: systemd-analyze verify complained"; printf '%s\n' "$verify" | sed 's/^/    /'
                        fail=$((fail + 1)); continue
                fi
        fi
        # pmgen convert round-trips: to INI and back to JS, each generating the same units.
        rt_ok=1
        prev="${input##*/}"
        # the conversion carries the environment's values, not the environment: only PATH (commands) still counts
        rt_path=/usr/bin:/bin
        for e in "${envs[@]}"; do [[ $e == PATH=* ]] && rt_path=${e#PATH=}; done
        for form in ini js; do
                conv="$case/.roundtrip.$form"
                if ! (cd "$case" && env -i PATH=/usr/bin:/bin HOME=/nonexistent "${envs[@]}" "$pmgen" convert -q "$prev" --to "$form" $([ "$prev" = "${input##*/}" ] && printf '%s ' "${args[@]}") >"$conv") 2>"$tmp/$name.conv"; then
                        echo "FAIL $name: convert to $form:"; sed 's/^/    /' "$tmp/$name.conv"; rt_ok=0; break
                fi
                rt="$tmp/$name.rt-$form"
                if ! (cd "$case" && env -i PATH="$rt_path" HOME=/nonexistent "$pmgen" generate -q "${conv##*/}" "${args[@]}" \
                        --shim /usr/libexec/pmgen/pmgen-shim --node-preload /usr/share/pmgen/node-preload.cjs --bind-preload /usr/libexec/pmgen/libpmgen-bind.so -o "$rt") >"$tmp/$name.conv" 2>&1; then
                        echo "FAIL $name: the $form conversion does not compile:"; sed 's/^/    /' "$tmp/$name.conv"; rt_ok=0; break
                fi
                find "$rt" -type f -exec sed -i -e "s|$case|@CASEDIR@|g" -e "$home_fix" -e "s|@CASEDIR@/\.roundtrip\.$form|@CASEDIR@/${input##*/}|g" {} +
                if ! diff -ru "$case/expected" "$rt" >"$tmp/$name.rtdiff"; then
                        echo "FAIL $name: units from the $form conversion differ:"; sed 's/^/    /' "$tmp/$name.rtdiff" | head -30
                        rt_ok=0; break
                fi
                prev=".roundtrip.$form"
        done
        rm -f "$case/.roundtrip.ini" "$case/.roundtrip.js"
        [ $rt_ok = 1 ] || { fail=$((fail + 1)); continue; }
        echo "ok   $name ($(echo "$units" | wc -w) units; round trip ini and js)"
        pass=$((pass + 1))
done
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
