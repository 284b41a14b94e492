#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# `make demo`: contrib/examples/ecosystem.config.js compiled by pmgen and run by a real systemd, in a
# throwaway box (tests/sandbox/lib.sh) that is gone afterwards. Needs root.
#
# PMGEN_TEST_PORT picks the port (default 18080); PMGEN_TEST_STANDIN=1 runs the hand-written stand-in units
# instead of pmgen's (see tests/integration/standin/README).
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=sandbox/lib.sh
. "$here/sandbox/lib.sh"
# shellcheck source=integration/helpers.sh
. "$here/integration/helpers.sh"

PORT=$PMGEN_TEST_PORT
UNITDIR=/etc/systemd/system

if [ "$(id -u)" -ne 0 ]; then
        echo "make demo: needs root (it boots a systemd in a private namespace)" >&2
        exit 1
fi

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
        title() { printf '\n\033[1m%s\033[0m\n' "$*"; }
else
        title() { printf '\n### %s\n' "$*"; }
fi

# Show a command's output indented, at most MAX lines.
show() { # MAX CMD…
        local max=$1 out n
        shift
        out=$("$@" 2>&1) || :
        n=$(printf '%s\n' "$out" | wc -l)
        printf '%s\n' "$out" | head -n "$max" | sed 's/^/    /'
        if [ "$n" -gt "$max" ]; then echo "    … ($((n - max)) more lines)"; fi
}

require_free_port
sandbox_trap

title "1. A throwaway systemd"
info "PID 1 of private PID/mount namespaces, its root an overlay of / in a tmpfs; the network is the host's."
sandbox_boot demo
t_init demo

title "2. Install pmgen and compile the example (ecosystem.config.js, --env production)"
setup_hello
info "\$ ls -l $UNITDIR/hello* $UNITDIR/*.wants/hello*"
# shellcheck disable=SC2016
show 20 sandbox_sh 'cd "$1" && ls -ld hello* *.wants/hello* 2>/dev/null || :' "$UNITDIR"

title "3. systemctl start hello.target"
sandbox_exec timeout 60 systemctl start hello.target || fatal "start" "systemctl start hello.target failed"
info "\$ systemctl status hello.target 'hello@*'"
show 60 sandbox_exec systemctl status --no-pager -n 0 hello.target 'hello@*'

title "4. Requests to 127.0.0.1:$PORT, a new connection each: the kernel spreads them over the instances"
http_many 8 "$T_WORK/demo.txt"
python3 - "$T_WORK/demo.txt" <<'PY'
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        d = json.loads(line)
        print(f"    request {n}: instance {d['instance']}, pid {d['pid']} says {d['greeting']!r} (NODE_ENV={d['node_env']})")
    except (ValueError, KeyError):
        print(f"    request {n}: {line.strip()}")
PY
sum=$(responses_summary "$T_WORK/demo.txt")
[ "$(field "$sum" fail)" = 0 ] || fatal "requests" "$(field "$sum" fail) of 8 requests failed"
info "answered by pids $(field "$sum" pids) (instances $(field "$sum" instances))"

title "5. Their output is in the journal: journalctl -u 'hello@*' -n 20"
show 20 sandbox_exec journalctl --no-pager -u 'hello@*' -n 20

title "6. The generated units"
for f in hello@.service hello@.socket hello.target hello.env; do
        sandbox_exec test -f "$UNITDIR/$f" || continue
        info "--- $UNITDIR/$f"
        show 60 sandbox_exec cat "$UNITDIR/$f"
done

title "7. systemctl stop hello.target, and the box goes away"
sandbox_exec timeout 60 systemctl stop hello.target || fatal "stop" "systemctl stop hello.target failed"
info "\$ systemctl is-active hello.target hello@0.service hello@1.service hello@0.socket hello@1.socket"
show 10 sandbox_exec systemctl is-active hello.target hello@0.service hello@1.service hello@0.socket hello@1.socket
sandbox_teardown
echo
echo "Demo done. Try it for real: pmgen generate contrib/examples/ecosystem.config.js --env production" \
        "-o /etc/systemd/system && systemctl daemon-reload && systemctl start hello.target"
