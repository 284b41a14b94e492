#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# Runs the integration tests: every tests/integration/test-*.sh, one after the other, each in its own
# throwaway systemd (tests/sandbox/lib.sh). Prints PASS/FAIL/SKIP per test and fails if any failed.
#
#   tests/integration/run.sh [NAME…]     NAME: foundation or test-foundation(.sh); default all
#
# Needs root. A test exits 0 (pass), 77 (skip) or anything else (fail), and is stopped after
# PMGEN_TEST_TIMEOUT seconds (default 600). Sandboxes that a killed earlier run left behind are ended
# first. Per-test files (responses, logs, the box's console) are in build/sandbox/.
set -uo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
        echo "integration tests: need root (they boot a systemd in a private namespace; see tests/sandbox/lib.sh)" >&2
        exit 1
fi

tests=()
if [ "$#" -eq 0 ]; then
        tests=("$here"/test-*.sh)
else
        for n in "$@"; do
                n=${n##*/}
                n=${n%.sh}
                n=test-${n#test-}
                [ -f "$here/$n.sh" ] || { echo "integration tests: no test $n in $here" >&2; exit 2; }
                tests+=("$here/$n.sh")
        done
fi

sandbox_reap_stale

pass=0
failed=()
skipped=()
for t in "${tests[@]}"; do
        name=$(basename "$t" .sh)
        echo "=== $name"
        start=$SECONDS
        # A test gets TERM after its time (its trap tears its box down), KILL 15 s later.
        timeout -k 15 "${PMGEN_TEST_TIMEOUT:-600}" bash "$t" </dev/null
        rc=$?
        took=$((SECONDS - start))
        # A test killed before its trap ran leaves its box: end it now, not at the next run.
        sandbox_reap_stale
        case $rc in
        0)
                echo "PASS: $name (${took}s)"
                pass=$((pass + 1))
                ;;
        77)
                echo "SKIP: $name"
                skipped+=("$name")
                ;;
        124 | 137)
                echo "FAIL: $name (timed out after ${took}s)"
                failed+=("$name")
                ;;
        *)
                echo "FAIL: $name (exit $rc, ${took}s)"
                failed+=("$name")
                ;;
        esac
done

echo "=== integration: ${#tests[@]} tests, $pass passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
if [ "${#failed[@]}" -gt 0 ]; then
        echo "failed: ${failed[*]}"
        exit 1
fi
exit 0
