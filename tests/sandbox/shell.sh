#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot a throwaway systemd (tests/sandbox/lib.sh) and run a command in it, by default an interactive shell;
# the box goes away when the command ends. For poking at units by hand:
#
#   sudo tests/sandbox/shell.sh                       # a shell in a fresh box (the source tree is at the
#                                                     # same path inside; `make install` lands in the box)
#   sudo tests/sandbox/shell.sh systemd-analyze security
#   sudo tests/sandbox/shell.sh --reap                # only end boxes that killed runs left behind
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "$0")/lib.sh"

if [ "${1:-}" = --reap ]; then
        sandbox_reap_stale
        exit 0
fi
[ "$#" -gt 0 ] || set -- bash -l
sandbox_trap
sandbox_boot "${SANDBOX_SHELL_NAME:-shell}"
rc=0
sandbox_exec "$@" || rc=$?
exit "$rc"
