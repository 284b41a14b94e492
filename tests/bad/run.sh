#!/bin/bash
# Bad input: every tests/bad/CASE.{js,cjs,mjs,json,ini} must make `pmgen generate`
# exit 1, print exactly CASE.expected on stderr, and write nothing.
# An optional CASE.args holds extra arguments (e.g. "--env production").
#
#   tests/bad/run.sh PMGEN            compare
#   tests/bad/run.sh --update PMGEN   write the .expected files from the current output
set -u
update=0
[ "${1:-}" = --update ] && { update=1; shift; }
pmgen=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
cd "$here"
for input in $(ls | grep -E '\.(js|cjs|mjs|json|ini)$' | sort); do
        name=${input%.*}
        args=()
        [ -f "$name.args" ] && read -r -a args <"$name.args"
        out="$tmp/out-$name"
        env -i PATH=/usr/bin:/bin HOME=/nonexistent "$pmgen" generate "$input" "${args[@]}" -o "$out" \
                --shim /usr/libexec/pmgen/pmgen-shim --node-preload /usr/share/pmgen/node-preload.cjs --bind-preload /usr/libexec/pmgen/libpmgen-bind.so \
                >"$tmp/stdout" 2>"$tmp/stderr"
        rc=$?
        # Paths in messages: independent of where the tree is checked out.
        sed -i "s|$here|@DIR@|g" "$tmp/stderr"
        if [ $update = 1 ]; then
                cp "$tmp/stderr" "$name.expected"; echo "UPDATED $name (exit $rc)"; continue
        fi
        why=""
        [ $rc -eq 1 ] || why="exit status $rc, expected 1"
        [ -e "$out" ] && why="${why:+$why; }it wrote $out"
        [ -s "$tmp/stdout" ] && why="${why:+$why; }it printed on stdout"
        [ -f "$name.expected" ] || why="${why:+$why; }no $name.expected"
        if [ -z "$why" ] && ! diff -u "$name.expected" "$tmp/stderr" >"$tmp/diff"; then
                why="the diagnostics differ:"$'\n'"$(sed 's/^/    /' "$tmp/diff")"
        fi
        if [ -n "$why" ]; then
                echo "FAIL $name: $why"; fail=$((fail + 1))
        else
                echo "ok   $name: $(head -1 "$name.expected" | cut -c1-110)"; pass=$((pass + 1))
        fi
done
echo "bad input: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -ge 40 ] || { [ $pass -ge 40 ] || echo "bad input: expected at least 40 cases"; exit 1; }
