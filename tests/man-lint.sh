#!/bin/bash
# The man pages must render without warnings (mandoc -Tlint).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fail=0
for m in "$root"/man/*.[158]; do
        # mandoc lint: STYLE notes about the date and the OS footer are not errors for an unreleased tree.
        out=$(mandoc -Tlint -W warning "$m" 2>&1 || true)
        if [ -n "$out" ]; then echo "FAIL $m"; echo "$out" | sed 's/^/    /'; fail=1; else echo "ok   ${m##*/}"; fi
done
exit $fail
