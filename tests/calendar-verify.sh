#!/bin/bash
# SPDX-License-Identifier: MIT
# Checks every expected OnCalendar= value in tests/unit/test-calendar.c against systemd itself:
#   1. `systemd-analyze calendar` accepts it and prints it back unchanged as its "Normalized form";
#   2. its next elapses after fixed base times (in UTC) are exactly the next fire times of the cron
#      expression, computed independently in node: by the brute-force matcher below, and also by the
#      npm packages `cron` (the semantics pmgen follows) and `croner` (what PM2 itself runs) when node
#      can require() them, e.g. with NODE_PATH=/some/node_modules. Rows a package cannot parse are
#      skipped for that package and counted.
#
# A difference from croner is reported but does not fail the run: croner 4.1.97 (the version PM2
# pins) gets some schedules wrong itself: N/S steps in the day-of-month and month fields start one
# late ("0 0 1 2/2 *" fires in March, May, ...; "* 11 31/15 * *" never fires and hangs it), after
# 29 February it skips 1 March, and "L" also fires on the 1st after some month ends. The reference
# matcher and the `cron` package are the judges.
#
# Usage: tests/calendar-verify.sh path/to/test-calendar   (the unit test binary; it prints its table
#        with --list). Exit status 0 when every row agrees, 1 otherwise.
set -euo pipefail

helper=${1:?usage: $0 path/to/test-calendar}
iterations=5
# An arbitrary time, then the ends of an hour, a day, a month, February in a leap year and a year:
# systemd 252 mishandles some repetitions exactly when a period rolls over (see open_form_exact()
# in src/calendar.c), so each rollover is checked.
bases=("2024-02-27 13:37:11" "2025-06-15 10:59:59" "2025-06-15 23:59:59" "2025-11-30 23:59:59"
       "2024-02-29 23:59:59" "2025-12-31 23:59:59")

for tool in systemd-analyze node; do
        command -v "$tool" >/dev/null || { echo "calendar-verify: $tool is required (tests/deps.sh installs it)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$helper" --list >"$tmp/rows"
[ -s "$tmp/rows" ] || { echo "calendar-verify: $helper --list printed no rows" >&2; exit 1; }

cat >"$tmp/next.js" <<'EOF'
'use strict';
// stdin: cron<TAB>oncalendar per line. argv: source (ref, cron or croner), iterations, base times
// ("YYYY-MM-DD HH:MM:SS", UTC). stdout: row<TAB>base<TAB>source<TAB>result, result being the next
// fire times after the base, comma-separated, or "skip: why" when a package cannot handle the
// expression. Prints nothing when the source's package cannot be loaded.
const fs = require('fs');
const [only, n, ...bases] = process.argv.slice(2);
const N = Number(n);
const rows = fs.readFileSync(0, 'utf8').split('\n').filter(Boolean).map(l => l.split('\t')[0]);

const SHORTCUTS = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *', '@minutely': '* * * * *',
  '@secondly': '* * * * * *', '@weekdays': '0 0 * * 1-5', '@weekends': '0 0 * * 0,6',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function values(text, lo, hi, names, base) {
  const set = new Set();
  const value = s => {
    if (/^\d+$/.test(s)) return Number(s);
    const i = names ? names.indexOf(s.toLowerCase()) : -1;
    if (i < 0) throw new Error(`bad value ${s}`);
    return i + base;
  };
  for (const part of text.split(',')) {
    const m = /^(\*|\w+)(?:-(\w+))?(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad item ${part}`);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    let a = lo, b = hi;
    if (m[1] !== '*') {
      a = value(m[1]);
      b = m[2] !== undefined ? value(m[2]) : m[3] !== undefined ? hi : a;
    }
    for (let v = a; v <= b; v += step) set.add(v);
  }
  return set;
}

function reference(expr) {
  let e = expr.trim();
  e = SHORTCUTS[e.toLowerCase()] || e;
  const f = e.split(/\s+/);
  if (f.length === 5) f.unshift('0');
  const lastDay = f[3].toLowerCase() === 'l';
  const spec = {
    sec: values(f[0], 0, 59), min: values(f[1], 0, 59), hour: values(f[2], 0, 23),
    dom: lastDay ? new Set() : values(f[3], 1, 31), mon: values(f[4], 1, 12, MONTHS, 1),
    dow: new Set([...values(f[5], 0, 7, DAYS, 0)].map(d => d % 7)),
  };
  const sorted = s => [...s].sort((x, y) => x - y);
  const [secs, mins, hours] = [sorted(spec.sec), sorted(spec.min), sorted(spec.hour)];
  const domRestricted = lastDay || spec.dom.size !== 31, dowRestricted = spec.dow.size !== 7;
  return base => {
    const out = [];
    const b = new Date(base);
    let day = Date.UTC(b.getUTCFullYear(), b.getUTCMonth(), b.getUTCDate());
    for (let k = 0; k < 366 * 100 && out.length < N; k++, day += 86400000) {
      const d = new Date(day);
      const [y, mo, dd, wd] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCDay()];
      if (!spec.mon.has(mo)) continue;
      const domOk = lastDay ? new Date(Date.UTC(y, mo, 0)).getUTCDate() === dd : spec.dom.has(dd);
      const dowOk = spec.dow.has(wd);
      if (domRestricted && dowRestricted ? !(domOk || dowOk) : !(domOk && dowOk)) continue;
      for (const h of hours) for (const mi of mins) for (const s of secs) {
        const t = Date.UTC(y, mo - 1, dd, h, mi, s);
        if (t > base && out.length < N) out.push(t);
      }
    }
    return out;
  };
}

function tryRequire(name) {
  try { return require(name); } catch (e) { return null; }
}
const cronPkg = tryRequire('cron');
const luxon = cronPkg && tryRequire(require.resolve('luxon', { paths: [require.resolve('cron')] }));
const cronerPkg = tryRequire('croner');
const Croner = cronerPkg && (cronerPkg.Cron || cronerPkg.default || cronerPkg);

function viaCron(expr) {
  const ct = new cronPkg.CronTime(expr.trim(), 'UTC');
  return base => {
    const out = [];
    let d = luxon.DateTime.fromMillis(base, { zone: 'UTC' });
    while (out.length < N) {
      d = ct.getNextDateFrom(d);
      out.push(d.toMillis());
    }
    return out;
  };
}

function viaCroner(expr) {
  const job = Croner(expr.trim(), { timezone: 'UTC', paused: true });
  return base => {
    const out = [];
    let d = new Date(base);
    while (out.length < N) {
      d = job.next(d);
      if (!d) throw new Error('no next run');
      out.push(d.getTime());
    }
    return out;
  };
}

const fmt = t => new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
const sources = [['ref', reference]];
if (cronPkg && luxon) sources.push(['cron', viaCron]);
if (Croner) sources.push(['croner', viaCroner]);
rows.forEach((expr, i) => {
  for (const [name, make] of sources.filter(([name]) => name === only)) {
    let next;
    try {
      next = make(expr);
    } catch (e) {
      bases.forEach((_, j) => console.log(`${i}\t${j}\t${name}\tskip: ${e.message}`));
      continue;
    }
    bases.forEach((b, j) => {
      let r;
      try {
        r = next(Date.parse(b.replace(' ', 'T') + 'Z')).map(fmt).join(',');
      } catch (e) {
        r = `skip: ${e.message}`;
      }
      console.log(`${i}\t${j}\t${name}\t${r}`);
    });
  }
});
EOF

node "$tmp/next.js" ref "$iterations" "${bases[@]}" <"$tmp/rows" >"$tmp/expected"
# The packages run apart and under a time limit: croner 4.1.97 loops forever on some valid
# expressions (e.g. "* 11 31/15 * *"), which must not hang the check.
for lib in cron croner; do
        if timeout 120 node "$tmp/next.js" "$lib" "$iterations" "${bases[@]}" <"$tmp/rows" >"$tmp/expected.$lib"; then
                cat "$tmp/expected.$lib" >>"$tmp/expected"
        else
                echo "calendar-verify: note: $lib did not finish within 120 s; not compared"
        fi
done

declare -A expect agreed skipped differed
while IFS=$'\t' read -r i j source times; do
        expect["$i $j $source"]=$times
done <"$tmp/expected"

failed=0
rows=0
while IFS=$'\t' read -r cron oncalendar; do
        row=$rows
        rows=$((rows + 1))
        problems=0
        for j in "${!bases[@]}"; do
                if ! out=$(TZ=UTC LC_ALL=C systemd-analyze calendar --iterations="$iterations" \
                                --base-time="${bases[$j]} UTC" "$oncalendar" 2>&1); then
                        echo "FAIL '$cron': systemd rejects '$oncalendar': $out"
                        problems=$((problems + 1))
                        break
                fi
                normalized=$(sed -n 's/^ *Normalized form: //p' <<<"$out")
                if [ "$normalized" != "$oncalendar" ]; then
                        echo "FAIL '$cron': systemd normalizes '$oncalendar' to '$normalized'"
                        problems=$((problems + 1))
                        break
                fi
                elapses=$(sed -n 's/^ *\(Next elapse\|Iter\. #[0-9]*\): [A-Z][a-z][a-z] \([0-9-]* [0-9:]*\) UTC$/\2/p' <<<"$out" |
                          paste -sd, -)
                for source in ref cron croner; do
                        [ -n "${expect["$row $j $source"]+set}" ] || continue
                        times=${expect["$row $j $source"]}
                        if [[ $times == skip:* ]]; then
                                skipped[$source]=$(( ${skipped[$source]:-0} + 1 ))
                        elif [ "$times" != "$elapses" ]; then
                                if [ "$source" = croner ]; then
                                        echo "note: '$cron' after ${bases[$j]} UTC: croner differs from systemd and the reference"
                                        echo "    systemd: $elapses"
                                        echo "    croner:  $times"
                                        differed[$source]=$(( ${differed[$source]:-0} + 1 ))
                                        continue
                                fi
                                echo "FAIL '$cron' -> '$oncalendar' after ${bases[$j]} UTC:"
                                echo "    systemd: $elapses"
                                echo "    $source: $times"
                                problems=$((problems + 1))
                        else
                                agreed[$source]=$(( ${agreed[$source]:-0} + 1 ))
                        fi
                done
        done
        [ "$problems" -eq 0 ] || failed=$((failed + 1))
done <"$tmp/rows"

for source in ref cron croner; do
        if [ -z "${agreed[$source]:-}${skipped[$source]:-}${differed[$source]:-}" ]; then
                echo "calendar-verify: $source: not available"
                continue
        fi
        echo "calendar-verify: $source: ${agreed[$source]:-0} (row, base time) pairs agree with systemd," \
             "${differed[$source]:-0} differ (noted), ${skipped[$source]:-0} skipped (cannot parse)"
done
if [ "$failed" -eq 0 ] && [ "${agreed[ref]:-0}" -ne $((rows * ${#bases[@]})) ]; then
        echo "calendar-verify: the reference matcher did not check every row" >&2
        failed=$rows
fi
echo "calendar-verify: $((rows - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
