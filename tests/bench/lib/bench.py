#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Helpers of the benchmarks (tests/bench/): HTTP probes, wrk output, /proc figures, statistics and the
summary table. Standard library only; every subcommand prints plain lines for the shell scripts.

  bench.py ready PORT INSTANCES TIMEOUT        wait until every instance 0..N-1 answered on PORT (a new
                                               connection per request); print "INSTANCE PID" lines
  bench.py recover PORT INSTANCE OLDPID KILLPID TIMEOUT
                                               kill -9 KILLPID, then send requests from 4 clients (a new
                                               connection each, one at a time per client) until INSTANCE
                                               answers from a pid other than OLDPID; print "ms=…
                                               requests=… failed=… newpid=…" (a request unanswered after
                                               5 s, or refused or reset, counts as failed)
  bench.py wrk FILE                            wrk --latency output → "rps p50_ms p99_ms errors"
  bench.py proc PID…                           per pid: "pid rss_anon_kb pss_kb cpu_ticks sched_ns comm"
                                               (ticks: utime+stime of /proc/PID/stat; sched_ns: the
                                               on-CPU time of /proc/PID/schedstat, -1 if missing)
  bench.py hostpid REFPID NSPID                the host pid of NSPID in the PID namespace of REFPID
  bench.py descendants PID                     PID's descendants (host /proc), one per line
  bench.py gen-eco N FILE SCRIPT               an ecosystem file of N cluster apps (for pmgen generate)
  bench.py stat                                stdin: "KEY VALUE" lines → "KEY median min max n above1 below1"
  bench.py cgroup-make NAME                    make NAME below this process's cgroup in every cgroup hierarchy
                                               (a sibling of the sandbox's box); print the dirs, comma-separated
  bench.py cgroup-reap                         remove empty pmgen-bench.PID.* cgroups of runs that are gone
  bench.py cpu-usage NAME…                     "BUSY_NS OURS_NS": the machine's busy CPU time and the part
                                               of it used in our cgroups NAME… (the rest is others' load)
  bench.py table ROWS_TSV TXT MD               the summary rows → an aligned text table and Markdown
"""
import json
import os
import re
import socket
import statistics
import sys
import time


# ---- HTTP ------------------------------------------------------------------------------------------------

def http_get(port, path="/", timeout=10.0):
    """One GET on a new connection; the JSON body as a dict. Raises on any failure."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise IOError("bad response: " + head[:40].decode(errors="replace"))
    return json.loads(body)


def cmd_ready(port, instances, timeout):
    port, n, deadline = int(port), int(instances), time.monotonic() + float(timeout)
    seen = {}
    last_err = "no request sent"
    while time.monotonic() < deadline:
        try:
            d = http_get(port, "/ready", timeout=2)
            seen[str(d.get("instance"))] = d.get("pid")
            if all(str(i) in seen for i in range(n)):
                for i in range(n):
                    print(i, seen[str(i)])
                return 0
        except (OSError, ValueError) as e:
            last_err = str(e)
            time.sleep(0.05)
    print(f"not ready after {timeout}s: instances seen {sorted(seen)}, last error: {last_err}", file=sys.stderr)
    return 1


REQUEST_TIMEOUT = 5.0  # seconds one request of the recovery probe may take before it counts as failed
RECOVER_CLIENTS = 4    # concurrent clients of the recovery probe: one stuck request does not stop the others


def cmd_recover(port, instance, oldpid, killpid, timeout):
    import threading
    port, deadline_s = int(port), float(timeout)
    # A few answers first, so that the connection set-up is warm.
    for _ in range(5):
        try:
            http_get(port, "/before")
        except (OSError, ValueError):
            pass
    lock = threading.Lock()
    state = {"requests": 0, "failed": 0, "ms": None, "newpid": None, "kinds": {}}
    done = threading.Event()

    def client(k):
        n = 0
        while not done.is_set() and time.monotonic() - t0 < deadline_s:
            n += 1
            try:
                d = http_get(port, f"/after-{k}-{n}", timeout=REQUEST_TIMEOUT)
            except (OSError, ValueError) as e:
                kind = "timeout" if isinstance(e, socket.timeout) else \
                    "refused" if isinstance(e, ConnectionRefusedError) else \
                    "reset" if isinstance(e, (ConnectionResetError, BrokenPipeError)) else "other"
                with lock:  # counted even after the answer: a request stuck since the kill fails late
                    state["requests"] += 1
                    state["failed"] += 1
                    state["kinds"][kind] = state["kinds"].get(kind, 0) + 1
                time.sleep(0.001)
                continue
            with lock:
                state["requests"] += 1
                if (not done.is_set() and str(d.get("instance")) == str(instance)
                        and str(d.get("pid")) != str(oldpid)):
                    state["ms"] = (time.monotonic() - t0) * 1000
                    state["newpid"] = d.get("pid")
                    done.set()

    t0 = time.monotonic()
    os.kill(int(killpid), 9)
    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(RECOVER_CLIENTS)]
    for t in threads:
        t.start()
    done.wait(deadline_s)
    done.set()
    # Requests still stuck count as failed: wait for them to end (at most REQUEST_TIMEOUT).
    for t in threads:
        t.join(REQUEST_TIMEOUT + 1)
    ms = f"{state['ms']:.1f}" if state["ms"] is not None else "timeout"
    kinds = ",".join(f"{k}:{v}" for k, v in sorted(state["kinds"].items())) or "-"
    print(f"ms={ms} requests={state['requests']} failed={state['failed']} newpid={state['newpid'] or '-'} "
          f"failures={kinds}")
    return 0 if state["ms"] is not None else 1


# ---- wrk ---------------------------------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"latency '{text}'")
    return float(m.group(1)) * _UNIT_MS[m.group(2)]


def cmd_wrk(path):
    text = open(path).read()
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    if not (rps and p50 and p99):
        print(f"cannot read wrk output {path}", file=sys.stderr)
        return 1
    errors = 0
    se = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if se:
        errors += sum(int(x) for x in se.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    print(f"{float(rps.group(1)):.1f} {_ms(p50.group(1)):.3f} {_ms(p99.group(1)):.3f} {errors}")
    return 0


# ---- /proc -------------------------------------------------------------------------------------------------

def _status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def _sched_ns(pid):
    try:
        return int(open(f"/proc/{pid}/schedstat").read().split()[0])
    except (OSError, ValueError, IndexError):
        return -1


def cmd_proc(*pids):
    bad = 0
    for pid in pids:
        try:
            comm = open(f"/proc/{pid}/comm").read().strip()
            print(pid, _status_kb(pid, "RssAnon"), _pss_kb(pid), _ticks(pid), _sched_ns(pid), comm)
        except OSError as e:
            print(f"proc {pid}: {e}", file=sys.stderr)
            bad = 1
    return bad


def cmd_hostpid(refpid, nspid):
    ns = os.readlink(f"/proc/{refpid}/ns/pid")
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{d}/ns/pid") != ns:
                continue
            with open(f"/proc/{d}/status") as f:
                for line in f:
                    if line.startswith("NSpid:"):
                        if line.split()[-1] == str(nspid):
                            print(d)
                            return 0
                        break
        except OSError:
            continue
    print(f"no process {nspid} in the PID namespace of {refpid}", file=sys.stderr)
    return 1


def _children():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        kids.setdefault(ppid, []).append(d)
    return kids


def cmd_descendants(pid):
    kids, pending = _children(), [str(pid)]
    while pending:
        p = pending.pop()
        for c in kids.get(p, []):
            print(c)
            pending.append(c)
    return 0


# ---- cgroups ------------------------------------------------------------------------------------------------

def _my_cgroups():
    """Our cgroup's directory in every hierarchy mounted under /sys/fs/cgroup."""
    mounts = []  # (mountpoint, root, controllers or None for v2)
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        sep = f.index("-")
        fstype, opts, mp, root = f[sep + 1], f[sep + 3], f[4], f[3]
        if not (mp == "/sys/fs/cgroup" or mp.startswith("/sys/fs/cgroup/")):
            continue
        if fstype == "cgroup2":
            mounts.append((mp, root, None))
        elif fstype == "cgroup":
            mounts.append((mp, root, set(opts.split(","))))
    dirs = []
    for line in open("/proc/self/cgroup"):
        _, ctl, path = line.rstrip("\n").split(":", 2)
        ctls = set(ctl.split(",")) if ctl else None
        for mp, root, mctl in mounts:
            if (ctls is None) != (mctl is None) or (ctls is not None and not ctls <= mctl):
                continue
            if root != "/":
                if not path.startswith(root):
                    continue
                path = path[len(root):] or "/"
            dirs.append(mp + path.rstrip("/"))
            break
    return dirs


def cmd_cgroup_make(name):
    """NAME below our cgroup in every hierarchy, as tests/sandbox/lib.sh makes its box's: the systems on the
    host and the load generator then weigh what the box weighs (v1 cpu.shares or v2 cpu.weight of a
    sibling), instead of one task each against the whole box."""
    made = []
    for parent in _my_cgroups():
        d = os.path.join(parent, name)
        try:
            os.mkdir(d)
        except FileExistsError:
            pass
        except OSError:
            continue
        if os.path.exists(os.path.join(d, "cpuset.cpus")) and not open(os.path.join(d, "cpuset.cpus")).read().strip():
            for k in ("cpuset.cpus", "cpuset.mems"):
                try:
                    with open(os.path.join(d, k), "w") as out:
                        out.write(open(os.path.join(parent, k)).read())
                except OSError:
                    pass
        made.append(d)
    print(",".join(made))
    return 0


def cmd_cgroup_reap():
    """Remove the empty pmgen-bench.PID.* cgroups of runs whose shell (PID) is gone."""
    for parent in _my_cgroups():
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for n in names:
            m = re.fullmatch(r"pmgen-bench\.(\d+)\.\w+", n)
            if m and not os.path.exists(f"/proc/{m.group(1)}"):
                try:
                    os.rmdir(os.path.join(parent, n))
                except OSError:
                    pass
    return 0


def _cg_usage_ns(d):
    """CPU time used in cgroup dir D and below, ns: v1 cpuacct.usage or v2 cpu.stat usage_usec; None if neither."""
    try:
        return int(open(os.path.join(d, "cpuacct.usage")).read())
    except (OSError, ValueError):
        pass
    try:
        for line in open(os.path.join(d, "cpu.stat")):
            if line.startswith("usage_usec "):
                return int(line.split()[1]) * 1000
    except (OSError, ValueError):
        pass
    return None


def cmd_cpu_usage(*names):
    """"BUSY_NS OURS_NS": CPU time the whole machine spent busy (/proc/stat: user nice system irq softirq,
    all CPUs) and what the cgroups NAME… below ours used of it (the run's own processes: the box, the host
    systems, the load generator). Their difference is what others ran meanwhile."""
    f = open("/proc/stat").readline().split()
    tick_ns = 1e9 / os.sysconf("SC_CLK_TCK")
    busy = sum(int(x) for x in f[1:4] + f[6:8]) * tick_ns
    ours = 0
    for parent in _my_cgroups():
        got = False
        for n in names:
            u = _cg_usage_ns(os.path.join(parent, n))
            if u is not None:
                ours += u
                got = True
        if got:  # one hierarchy with CPU accounting is enough
            break
    print(f"{busy:.0f} {ours}")
    return 0


# ---- ecosystem files ----------------------------------------------------------------------------------------

def cmd_gen_eco(n, path, script):
    n = int(n)
    apps = []
    for i in range(n):
        # Ports are only written into units, never bound (pmgen generate does not start anything).
        apps.append(f"""        {{
                name: 'app{i:04d}',
                script: '{script}',
                cwd: __dirname,
                exec_mode: 'cluster',
                instances: 2,
                port: {20000 + i},
                max_memory_restart: '200M',
                kill_timeout: 3000,
                env: {{ GREETING: 'hello from app {i}' }},
                env_production: {{ NODE_ENV: 'production', GREETING: 'hello from app {i} in production' }},
        }},""")
    with open(path, "w") as f:
        f.write(f"// {n} apps for the compile benchmark (tests/bench/lib/bench.py gen-eco)\n")
        f.write("module.exports = {\n    apps: [\n" + "\n".join(apps) + "\n    ],\n};\n")
    return 0


# ---- statistics and tables ----------------------------------------------------------------------------------

def cmd_stat():
    values = {}
    order = []
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 2:
            continue
        if parts[0] not in values:
            order.append(parts[0])
            values[parts[0]] = []
        try:
            values[parts[0]].append(float(parts[1]))
        except ValueError:
            pass
    for k in order:
        v = values[k]
        if v:
            above = sum(1 for x in v if x > 1)
            below = sum(1 for x in v if x < 1)
            print(k, f"{statistics.median(v):.6g}", f"{min(v):.6g}", f"{max(v):.6g}", len(v), above, below)
        else:
            print(k, "nan nan nan 0 0 0")
    return 0


def cmd_table(rows_path, txt_path, md_path):
    header = ["Question", "Measure", "pmgen", "PM2", "bare", "pmgen/PM2", "pmgen/bare", "Verdict"]
    rows = []
    for line in open(rows_path):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        rows.append(cells[:len(header)])
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    with open(txt_path, "w") as t:
        fmt = lambda r: "  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip()
        t.write(fmt(header) + "\n")
        t.write("  ".join("-" * w for w in widths) + "\n")
        for r in rows:
            t.write(fmt(r) + "\n")
    with open(md_path, "w") as m:
        esc = lambda c: c.replace("|", "\\|") or " "
        m.write("| " + " | ".join(header) + " |\n")
        m.write("|" + "|".join("---" if i < 2 else "--:" if i < 7 else "---" for i in range(len(header))) + "|\n")
        for r in rows:
            m.write("| " + " | ".join(esc(c) for c in r) + " |\n")
    return 0


COMMANDS = {
    "ready": cmd_ready, "recover": cmd_recover, "wrk": cmd_wrk, "proc": cmd_proc, "hostpid": cmd_hostpid,
    "descendants": cmd_descendants, "gen-eco": cmd_gen_eco, "cgroup-make": cmd_cgroup_make,
    "cgroup-reap": cmd_cgroup_reap, "cpu-usage": cmd_cpu_usage, "stat": cmd_stat, "table": cmd_table,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
