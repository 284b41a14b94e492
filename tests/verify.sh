#!/bin/bash
# Every unit pmgen ships or generates for the bundled examples must pass
# `systemd-analyze verify` without a single line of output (verify exits 0 on
# unknown keys and bad values, so any output is a failure).
set -euo pipefail
pmgen=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for decl in "$root"/contrib/examples/ecosystem.config.js "$root"/contrib/examples/apps.ini; do
        out="$tmp/$(basename "$decl")"
        "$pmgen" generate -q "$decl" --env production -o "$out" --shim /bin/true
        cp "$root"/units/*.target "$out/"
        units=$(find "$out" -maxdepth 1 -type f ! -name '*.env' | sort)
        log=$(cd "$out" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no $units 2>&1) || true
        if [ -n "$log" ]; then
                echo "FAIL verify $(basename "$decl"):"; echo "$log" | sed 's/^/    /'; fail=1
        else
                echo "ok   verify $(basename "$decl"): $(echo $units | wc -w) units"
        fi
done
exit $fail
