/* SPDX-License-Identifier: MIT */
/* `pmgen monit`: a live terminal view of every app and instance (pmgen(1), MONIT),
 * in plain ANSI (no curses library): state, pid, uptime, restarts, CPU and memory of
 * each instance, memory against its limit (max_memory_restart, else MemoryMax=), and
 * the selected app's journal tail. Keys: up/down (k/j) select, r reload the selected
 * app (rolling), R restart it, PgUp/PgDn ([/]) scroll the journal, q quit.
 *
 * It reads the manager over sd-bus (the units' state, MainPID, NRestarts,
 * MemoryCurrent, CPUUsageNSec, ControlGroup, MemoryMax), the cgroup files where
 * systemd has no figure (cgroup.h: v1 cpuacct.usage and memory.usage_in_bytes, v2
 * cpu.stat and memory.current) and sd-journal, once a second; never systemctl.
 *
 * monit_render() and monit_key() are pure (tests/unit/test-monit.c); cmd_monit()
 * is the edge. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "strbuf.h"
#include "table.h"

typedef struct monit_row {
        inst_row r;     /* table.h; cpu_percent < 0 and memory ROW_UNKNOWN when unknown */
        uint64_t limit; /* bytes: the app's max_memory_restart, else MemoryMax=; 0: none */
} monit_row;

typedef struct monit_view {
        const monit_row *rows;
        size_t n;
        size_t selected;    /* a row index (ignored when n is 0) */
        const char *log;    /* the selected app's journal lines, oldest first, '\n'-separated */
        size_t scroll;      /* journal lines hidden below (0: the newest are shown) */
        const char *status; /* the bottom line (the last action), or NULL */
        unsigned width, height;
        bool color;
} monit_view;

/* The whole screen: cursor home, `height` lines each cut to `width` columns and
 * cleared to the end, then cleared below. Pure. */
void monit_render(const monit_view *v, strbuf *out);

typedef enum monit_key {
        MK_NONE,
        MK_UP,
        MK_DOWN,
        MK_PGUP,
        MK_PGDN,
        MK_RELOAD,
        MK_RESTART,
        MK_QUIT,
        MK_INCOMPLETE, /* the start of an escape sequence: wait for more bytes */
} monit_key;

/* The key at the start of buf (n bytes); *used: the bytes it took. Pure. */
monit_key monit_key_parse(const char *buf, size_t n, size_t *used);

int cmd_monit(const verb_opts *o);
