#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# What PM2's users asked for (issue 11), in a real systemd, each check failing without its feature:
#   - depends_on: an app starts only once the app it depends on is ready (activation times);
#   - PM2's variables: process.env.pm_id is the instance number, name and exec_mode as PM2 sets them;
#   - limits: memory_max and cpu_quota are the instance's MemoryMax= and CPUQuota=; a process the app
#     spawned and left behind (daemonized) that grows past max_memory_restart gets the app replaced
#     gracefully, no failed request; an
#     app that keeps a CPU busy past max_cpu_restart for its window is replaced;
#   - instances: max counts the CPUs the system slice may use (1 under CPUQuota=100%);
#   - crash loop: max_restarts reached shows `errored` in `pmgen ls`; `pmgen reset` starts it again;
#   - timestamps: `pmgen logs --time` stamps stdout and stderr lines; log_date_format shapes them;
#   - exact environments: `pmgen env` shows the app's real environment with sources, secrets masked;
#     `pmgen diff` shows what apply would change (units as a unified diff, env keys without values) and
#     changes nothing; a key removed from the declaration is gone after `pmgen apply`.
# Ports 18970-18974. Runs as root in its own sandbox; run it through tests/integration/run.sh.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=reload-lib.sh
. "$here/reload-lib.sh"

DIAG_UNITS="slow@* api@* spin@* crashy@*"
rl_require_free_ports 18970 18971 18972 18973 18974
sandbox_trap
sandbox_boot beyond
t_init beyond
D=/srv/beyond

heading "install"
rl_install
# shellcheck disable=SC2016
sandbox_exec sh -ec 'mkdir -p "$1"
cat >"$1/app.js" <<EOF
// Answers JSON with what PM2 would have put in its environment; /spawn-grow starts a daemonized
// process that holds 200 MB; /stderr writes a line to stderr. LISTEN_DELAY: listen that late (ms). CRASH_FLAG: exit 1
// at start while that file exists.
const http = require("http"), fs = require("fs"), { spawn } = require("child_process");
if (process.env.CRASH_FLAG && fs.existsSync(process.env.CRASH_FLAG)) {
  console.error("crashing at start");
  process.exit(1);
}
const server = http.createServer((req, res) => {
  const e = process.env;
  const out = { pid: process.pid, instance: e.NODE_APP_INSTANCE, pm_id: e.pm_id, name: e.name, exec_mode: e.exec_mode };
  if (req.url === "/spawn-grow") { // a daemonized helper: its parent (sh) exits at once
    const kid = spawn("/bin/sh", ["-c", process.execPath + " -e \"const b = Buffer.alloc(200 * 1024 * 1024, 1); " +
                      "setInterval(() => b[0]++, 1000)\" >/dev/null 2>&1 &"], { stdio: "ignore" });
    out.kid = kid.pid;
  } else if (req.url === "/spin") { // a CPU kept busy, in 50 ms slices (it still answers)
    setImmediate(function spin() { for (const t = Date.now(); Date.now() - t < 50;); setImmediate(spin); });
  } else if (req.url === "/stderr") {
    console.error("a line on stderr from " + process.pid);
  }
  console.log("app " + process.pid + " " + req.url);
  res.end(JSON.stringify(out));
});
setTimeout(() => server.listen(process.env.PORT), Number(process.env.LISTEN_DELAY || 0));
EOF
cat >"$1/apps.config.js" <<EOF
module.exports = { apps: [
  { name: "slow", script: "app.js", cwd: "$1", exec_mode: "cluster", port: 18970, log_date_format: "YYYY-MM-DD HH:mm",
    env: { LISTEN_DELAY: 1500 } },
  { name: "api", script: "app.js", cwd: "$1", exec_mode: "cluster", instances: 2, port: 18971,
    depends_on: ["slow"], after: ["systemd-journald.service"], memory_max: "400M", cpu_quota: "50%",
    max_memory_restart: "150M", env: { KEEP: "yes", GONE: "soon", API_TOKEN: "s3cret" } },
  { name: "spin", script: "app.js", cwd: "$1", exec_mode: "cluster", port: 18972, max_cpu_restart: "50%",
    max_cpu_restart_window: "2s" },
] };
EOF
cat >"$1/crashy.config.js" <<EOF
module.exports = { apps: [{ name: "crashy", script: "app.js", cwd: "$1", port: 18973, max_restarts: 3,
                            env: { CRASH_FLAG: "$1/crash" } }] };
EOF
cat >"$1/maxed.config.js" <<EOF
module.exports = { apps: [{ name: "maxed", script: "app.js", cwd: "$1", instances: "max", port: 18974 }] };
EOF
chmod -R u=rwX,go=rX "$1"' sh "$D" || fatal "install app" "cannot write the apps"

heading "depends_on"
sandbox_exec timeout 120 pmgen apply "$D/apps.config.js" >"$T_WORK/apply.log" 2>&1 || fatal "apply" "$(cat "$T_WORK/apply.log")"
# apply starts one app after the other; the order must come from the units: stop both, start api alone.
sandbox_exec timeout 60 systemctl stop api.target slow.target || fatal "stop" "systemctl stop failed"
t0=$(unit_prop slow@0.service InactiveEnterTimestampMonotonic)
sandbox_exec timeout 60 systemctl start api.target || fail "start api.target" "failed"
slow_ready=$(unit_prop slow@0.service ActiveEnterTimestampMonotonic)
api_begin=$(unit_prop api@0.service InactiveExitTimestampMonotonic)
if [ -n "$slow_ready" ] && [ -n "$api_begin" ] && [ "$slow_ready" -gt "$t0" ] && [ "$api_begin" -ge "$slow_ready" ]; then
        pass "starting api starts slow first" "slow@0 ready $(((slow_ready - t0) / 1000)) ms after the stop, api@0 began $(((api_begin - slow_ready) / 1000)) ms after that (slow listens 1.5 s late)"
else
        fail "starting api starts slow first" "stopped at $t0; slow@0 ready at '${slow_ready}', api@0 began at '${api_begin}' (µs)"
fi

heading "PM2's variables"
seen=$(for _ in $(seq 1 40); do curl -sS -m 5 http://127.0.0.1:18971/; echo; done | sort -u)
if python3 - "$seen" <<'EOF'
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
ok = {r["instance"] for r in rows} == {"0", "1"} and all(
    r["pm_id"] == r["instance"] and r["name"] == "api" and r["exec_mode"] == "cluster_mode" for r in rows)
sys.exit(0 if ok else 1)
EOF
then
        pass "process.env.pm_id is the instance" "$(tr '\n' ' ' <<<"$seen")"
else
        fail "process.env.pm_id is the instance" "$seen"
fi

heading "limits"
mm=$(unit_prop api@0.service MemoryMax)
cq=$(unit_prop api@1.service CPUQuotaPerSecUSec)
if [ "$mm" = 419430400 ] && [ "$cq" = 500ms ]; then
        pass "memory_max and cpu_quota" "MemoryMax=$mm, CPUQuotaPerSecUSec=$cq"
else
        fail "memory_max and cpu_quota" "MemoryMax='$mm', CPUQuotaPerSecUSec='$cq'"
fi
L=$T_WORK/load
rl_load_start "$L" 18971 --concurrency 4
sleep 1
grown=$(curl -sS -m 10 http://127.0.0.1:18971/spawn-grow)
gpid=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["pid"])' "$grown" 2>/dev/null || :)
info "app $gpid spawned a process holding 200 MB: $grown"
replaced() { rl_journal api; [ -n "$(rl_msg api "^pmgen-shim: reload done: child $gpid replaced by child ")" ]; }
ok=0
wait_until 30 replaced && ok=1
sleep 1
rl_load_stop "$L"
if [ "$ok" = 1 ] && [ "$(rl_sum "$L" 's["failed"]')" = 0 ]; then
        pass "a spawned process past max_memory_restart: graceful replacement" "$(rl_msg api "^pmgen-shim: memory: [0-9]+ MB anonymous in child $gpid "); $(rl_load_line "$L")"
else
        fail "a spawned process past max_memory_restart: graceful replacement" "replaced: $ok; $(rl_load_line "$L"); $(sandbox_exec journalctl --no-pager -u 'api@*' | grep pmgen-shim | tail -n 5)"
fi

spun=$(curl -sS -m 10 http://127.0.0.1:18972/spin)
spid=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["pid"])' "$spun" 2>/dev/null || :)
spun_out() { rl_journal spin; [ -n "$(rl_msg spin "^pmgen-shim: reload done: child $spid replaced by child ")" ]; }
if [ -n "$spid" ] && wait_until 30 spun_out && [ "$(curl -sS -m 5 http://127.0.0.1:18972/ | python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])')" != "$spid" ] &&
        [ -n "$(rl_msg spin "^pmgen-shim: max_cpu_restart 50% of a CPU for 2000 ms in a row, sampled every 1000 ms from /sys/fs/cgroup/.*/spin@0.service/cpu(\.stat|acct\.usage), less the shim's own$")" ]; then
        pass "max_cpu_restart: a busy app is replaced (measured in its cgroup)" "$(rl_msg spin "^pmgen-shim: max_cpu_restart "); $(rl_msg spin "^pmgen-shim: cpu: the instance's cgroup \(child $spid ")"
else
        fail "max_cpu_restart: a busy app is replaced" "spin answered '$spun'; $(sandbox_exec journalctl --no-pager -u 'spin@*' | grep pmgen-shim | tail -n 5)"
fi
# PM2 counts such a replacement in restart_time; systemd's NRestarts does not see it, pmgen ls does
lsr=$(sandbox_exec pmgen ls --json | python3 -c 'import json, sys; print([r["restarts"] for r in json.load(sys.stdin) if r["unit"] == "spin@0.service"][0])')
nr=$(unit_prop spin@0.service NRestarts)
jl=$(sandbox_exec pmgen-pm2 jlist | python3 -c 'import json, sys; print([p["pm2_env"]["restart_time"] for p in json.load(sys.stdin) if p["name"] == "spin"][0])' 2>&1)
if [ "$nr" = 0 ] && [ "${lsr:-0}" -ge 1 ] && [ "$jl" = "$lsr" ]; then
        pass "the replacement counts as a restart" "pmgen ls restarts $lsr, jlist restart_time $jl (NRestarts $nr)"
else
        fail "the replacement counts as a restart" "pmgen ls restarts '$lsr', jlist '$jl', NRestarts $nr"
fi

heading "instances: max"
ncpu=$(sandbox_exec nproc)
n_before=$(sandbox_exec sh -c "pmgen generate $D/maxed.config.js -o /tmp/maxed-1 >/dev/null && grep -c '^Wants=maxed@[0-9]*\.service' /tmp/maxed-1/maxed.target" || :)
sandbox_exec systemctl set-property --runtime system.slice CPUQuota=100% || fail "CPUQuota on system.slice" "set-property failed"
n_after=$(sandbox_exec sh -c "pmgen generate $D/maxed.config.js -o /tmp/maxed-2 >/dev/null && grep -c '^Wants=maxed@[0-9]*\.service' /tmp/maxed-2/maxed.target" || :)
sandbox_exec systemctl set-property --runtime system.slice CPUQuota= || :
if [ "$ncpu" -ge 2 ] && [ "$n_before" = "$ncpu" ] && [ "$n_after" = 1 ]; then
        pass "instances: max follows the system slice's CPU quota" "$n_before instances on $ncpu CPUs, $n_after under CPUQuota=100%"
else
        fail "instances: max follows the system slice's CPU quota" "nproc $ncpu (needs 2 or more), before '$n_before', under CPUQuota=100% '$n_after'"
fi

heading "crash loop: errored, then pmgen reset"
sandbox_exec touch "$D/crash"
sandbox_exec timeout 60 pmgen apply "$D/crashy.config.js" >"$T_WORK/apply-crashy.log" 2>&1 || :
# systemd 252 keeps Result=exit-code when the start limit stops the restarts ("Start request repeated
# too quickly"): failed, after max_restarts restarts.
hit() { [ "$(unit_prop crashy@0.service ActiveState)" = failed ] && [ "$(unit_prop crashy@0.service NRestarts)" = 3 ]; }
wait_until 30 hit || :
ls_out=$(sandbox_exec pmgen ls 2>&1 || :)
if hit && grep -E '^[^a-z]*crashy\b.*errored' <<<"$ls_out" >/dev/null; then
        pass "max_restarts reached: pmgen ls says errored" "$(grep crashy <<<"$ls_out" | head -1 | tr -s ' ')"
else
        fail "max_restarts reached: pmgen ls says errored" "ActiveState=$(unit_prop crashy@0.service ActiveState), NRestarts=$(unit_prop crashy@0.service NRestarts); ls: $ls_out"
fi
sandbox_exec rm -f "$D/crash"
if sandbox_exec timeout 60 pmgen reset crashy >"$T_WORK/reset.log" 2>&1 &&
        [ "$(unit_prop crashy@0.service ActiveState)" = active ] &&
        wait_until 10 curl -sS -m 2 -o /dev/null http://127.0.0.1:18973/; then # fork mode: ready at exec, listening soon after
        pass "pmgen reset starts it again" "$(tr '\n' ' ' <"$T_WORK/reset.log")"
else
        fail "pmgen reset starts it again" "$(cat "$T_WORK/reset.log"); ActiveState=$(unit_prop crashy@0.service ActiveState)"
fi

heading "timestamps"
curl -sS -m 5 http://127.0.0.1:18971/stderr >/dev/null
curl -sS -m 5 http://127.0.0.1:18970/stderr >/dev/null
sleep 1
logs_api=$(sandbox_exec pmgen logs api --time --lines 200 2>&1 || :)
logs_slow=$(sandbox_exec pmgen logs slow --lines 200 2>&1 || :)
stamp='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2}: '
if grep -Eq "\| ${stamp}a line on stderr" <<<"$logs_api" && grep -Eq "\| ${stamp}app [0-9]+ /" <<<"$logs_api" &&
        grep -Eq '\| [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}: a line on stderr' <<<"$logs_slow"; then
        pass "pmgen logs --time, and log_date_format" "$(grep -m1 'a line on stderr' <<<"$logs_api" | tr -s ' '); $(grep -m1 'a line on stderr' <<<"$logs_slow" | tr -s ' ')"
else
        fail "pmgen logs --time, and log_date_format" "api: $(grep -m3 -E 'stderr|app ' <<<"$logs_api"); slow: $(grep -m2 'stderr' <<<"$logs_slow")"
fi

heading "exact environment"
env1=$(sandbox_exec pmgen env api 2>&1 || :)
# every declared value is masked but a few well-known harmless ones (NODE_ENV, PORT…: pmgen-describe rules)
if grep -Eq '^KEEP=\*\*\*\* +declared$' <<<"$env1" && grep -Eq '^API_TOKEN=\*\*\*\* +declared$' <<<"$env1" &&
        grep -Eq '^GONE=\*\*\*\* +declared$' <<<"$env1" && grep -Eq '^pm_id=[01] +pmgen$' <<<"$env1" &&
        grep -Eq '^PATH=.* +systemd$' <<<"$env1" && ! grep -q s3cret <<<"$env1"; then
        pass "pmgen env: each variable and its source, secrets masked" "$(grep -cE '^[A-Za-z_]' <<<"$env1") variables: $(grep -E '^(KEEP|API_TOKEN|pm_id|LANG)=' <<<"$env1" | tr -s ' ' | tr '\n' ';')"
else
        fail "pmgen env: each variable and its source, secrets masked" "$env1"
fi
sandbox_exec sed -i 's/ GONE: "soon",//; s/max_memory_restart: "150M"/max_memory_restart: "160M"/' "$D/apps.config.js"
pid_before=$(unit_prop api@0.service MainPID)
stored=$(sandbox_exec md5sum /etc/pmgen/apps.config.ini)
diff_out=$(sandbox_exec pmgen diff "$D/apps.config.js" 2>&1 || :)
if grep -q '^-ExecStart=.*--max-memory-restart=157286400 ' <<<"$diff_out" &&
        grep -q '^+ExecStart=.*--max-memory-restart=167772160 ' <<<"$diff_out" && grep -q 'env.GONE' <<<"$diff_out" &&
        ! grep -q soon <<<"$diff_out" && [ "$(unit_prop api@0.service MainPID)" = "$pid_before" ] &&
        [ "$(sandbox_exec md5sum /etc/pmgen/apps.config.ini)" = "$stored" ]; then
        pass "pmgen diff shows the change in units and environment, touches nothing" "$(grep -E '^[-+]ExecStart|env.GONE' <<<"$diff_out" | cut -c1-90 | tr '\n' ';')"
else
        fail "pmgen diff shows the change in units and environment, touches nothing" "$diff_out"
fi
sandbox_exec timeout 120 pmgen apply "$D/apps.config.js" >"$T_WORK/apply2.log" 2>&1 || fail "apply without GONE" "$(cat "$T_WORK/apply2.log")"
env2=$(sandbox_exec pmgen env api 2>&1 || :)
if ! grep -q '^GONE=' <<<"$env2" && grep -Eq '^KEEP=\*\*\*\* ' <<<"$env2"; then
        pass "a key removed from the declaration is gone after apply" "$(grep -c '^GONE=' <<<"$env1") → $(grep -c '^GONE=' <<<"$env2") GONE; apply: $(grep -m1 restarted "$T_WORK/apply2.log" | tr -s ' ')"
else
        fail "a key removed from the declaration is gone after apply" "$env2"
fi
# and on a graceful reload: the store's declaration loses KEEP, systemd regenerates the units, the
# instance is reloaded (a new app process, the old one drained)
sandbox_exec sed -i '/^KEEP *=/d' /etc/pmgen/apps.config.ini
sandbox_exec systemctl daemon-reload
p0=$(rl_child api 0)
rl_reload api@0.service
env3=$(sandbox_exec pmgen env api 2>&1 || :)
if [ "$RL_RC" = 0 ] && ! grep -q '^KEEP=' <<<"$env3" && grep -q '^API_TOKEN=' <<<"$env3" && [ "$(rl_child api 0)" != "$p0" ]; then
        pass "a key removed from the declaration is gone after a reload" "app $p0 → $(rl_child api 0); $(grep -c '^KEEP=' <<<"$env2") → 0 KEEP"
else
        fail "a key removed from the declaration is gone after a reload" "reload: $RL_RC $RL_OUT; $env3"
fi

t_finish
