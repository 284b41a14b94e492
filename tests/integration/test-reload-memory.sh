#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# max_memory_restart and sticky sessions (issue 3), in a real systemd, under a new-connection load:
#   - a 2-instance app with max_memory_restart 150M: one request makes one instance's process allocate
#     200 MB; that process (and only it) is replaced by a graceful reload within a few seconds (the shim
#     samples every second and wants 3 samples in a row), the journal names the sample, and not one
#     request fails;
#   - a 2-instance app with sticky: 'ip': connections from 8 loopback source addresses (127.0.0.2-9) each
#     land on one instance, the sources spread over both, and that holds across reloads of both instances.
# Ports 18320 and 18321. Runs as root in its own sandbox; run it through tests/integration/run.sh.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=reload-lib.sh
. "$here/reload-lib.sh"

DIAG_UNITS="mem@* st@*"
rl_require_free_ports 18320 18321
sandbox_trap
sandbox_boot reload-memory
t_init reload-memory

heading "install"
rl_install

heading "max_memory_restart: one process grows past the limit"
rl_deploy mem 18320 "instances: 2, max_memory_restart: '150M'," "GROW_MB: '200'"
rl_start mem 2
mains="$(unit_prop mem@0.service MainPID) $(unit_prop mem@1.service MainPID)"
rl_load_start "$T_WORK/mem" 18320 --concurrency 4
sleep 1
t_grow=$(date +%s%3N)
grown=$(curl -sS -m 10 "http://127.0.0.1:18320/grow")
gpid=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["pid"])' "$grown")
ginst=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["instance"])' "$grown")
info "pid $gpid (instance $ginst) now holds 200 MB"
replaced() { rl_journal mem; [ -n "$(rl_msg mem "^pmgen-shim: reload done: child $gpid replaced by child ")" ]; }
if wait_until 20 replaced; then
        t_done=$(($(rl_ts mem "^pmgen-shim: reload done: child $gpid replaced") / 1000))
        took=$((t_done - t_grow))
else
        took=
fi
sleep 1
rl_load_stop "$T_WORK/mem"
info "load: $(rl_load_line "$T_WORK/mem")"
sample=$(rl_msg mem "^pmgen-shim: memory: [0-9]+ MB anonymous in child $gpid ")
if [ -n "$took" ] && [ "$took" -lt 10000 ] && [ -n "$sample" ]; then
        pass "the grown process is replaced" "${took} ms after it grew; journal: $sample"
else
        fail "the grown process is replaced" "not within 20 s (took '${took}'); journal: '${sample}'"
fi
other=$((1 - ginst))
if [ -z "$(rl_msg mem "^pmgen-shim: memory: .* in child $(rl_pids "$T_WORK/mem" "$other" | awk '{print $1}') ")" ] &&
        [ "$(rl_pids "$T_WORK/mem" "$other" | wc -w)" = 1 ]; then
        pass "only that instance" "instance $other kept its process"
else
        fail "only that instance" "instance $other answered from: $(rl_pids "$T_WORK/mem" "$other")"
fi
if [ "$(rl_sum "$T_WORK/mem" 's["failed"]')" = 0 ] && [ "$(rl_sum "$T_WORK/mem" 's["ok"]')" -gt 0 ]; then
        pass "mem: no failed request" "$(rl_load_line "$T_WORK/mem")"
else
        fail "mem: no failed request" "$(rl_load_line "$T_WORK/mem"); $(rl_sum "$T_WORK/mem" 's["examples"][:5]')"
fi
mains_after="$(unit_prop mem@0.service MainPID) $(unit_prop mem@1.service MainPID)"
if [ "$mains_after" = "$mains" ] && [ "$(unit_prop "mem@$ginst.service" NRestarts)" = 0 ]; then
        pass "no restart by systemd" "the shims ($mains) replaced the process themselves"
else
        fail "no restart by systemd" "MainPID $mains → $mains_after, NRestarts $(unit_prop "mem@$ginst.service" NRestarts)"
fi

heading "sticky: ip"
rl_deploy st 18321 "instances: 2, sticky: 'ip'," ""
sandbox_exec grep -q -- '--sticky=ip --group-size=2' /etc/systemd/system/st@.service ||
        fail "unit" "st@.service has no --sticky=ip --group-size=2"
rl_start st 2
sources=127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9
# per source: the instances that answered it
spread() { # FILE
        rl_sum "$1" '" ".join("%s:%s" % (src, "+".join(sorted(m))) for src, m in sorted(s["by_source"].items()))'
}
rl_load_start "$T_WORK/st" 18321 --concurrency 8 --sources "$sources"
sleep 2
rl_load_stop "$T_WORK/st"
one=$(spread "$T_WORK/st")
info "before reloads: $one"
rl_load_start "$T_WORK/st2" 18321 --concurrency 8 --sources "$sources"
sleep 0.5
rl_reload st@0.service
rc0=$RL_RC
rl_reload st@1.service
rc1=$RL_RC
sleep 0.5
rl_load_stop "$T_WORK/st2"
two=$(spread "$T_WORK/st2")
info "across reloads: $two"
n_sources=$(wc -w <<<"$one")
if [ "$n_sources" = 8 ] && ! grep -q '+' <<<"$one $two" && [ "$one" = "$two" ]; then
        pass "each source lands on one instance" "8 sources, the same instance for each before and across reloads"
else
        fail "each source lands on one instance" "before: $one; across reloads: $two"
fi
used=$(tr ' ' '\n' <<<"$one" | cut -d: -f2 | sort -u | tr '\n' ' ')
if [ "$used" = "0 1 " ]; then
        pass "the sources spread" "both instances get sources"
else
        fail "the sources spread" "instances used: $used"
fi
if [ "$rc0$rc1" = 00 ] && [ "$(rl_sum "$T_WORK/st2" 's["failed"]')" = 0 ] && [ "$(rl_sum "$T_WORK/st" 's["failed"]')" = 0 ]; then
        pass "st: reloads, no failed request" "$(rl_load_line "$T_WORK/st2")"
else
        fail "st: reloads, no failed request" "reload exits $rc0 $rc1; $(rl_load_line "$T_WORK/st2")"
fi

t_finish
