/* SPDX-License-Identifier: MIT */
/* `pmgen ls`: one row per instance, rendered as PM2's table or as JSON. Pure: rows
 * in, text out (tests/unit/test-table.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define ROW_UNKNOWN UINT64_MAX

typedef struct inst_row {
        const char *app;
        const char *instance;    /* "0", "1", … */
        const char *unit;        /* api@0.service */
        const char *active;      /* ActiveState */
        const char *sub;         /* SubState */
        uint32_t pid;            /* the app (the shim's child), else the main pid; 0: none */
        uint32_t main_pid;
        uint64_t uptime_usec;    /* ROW_UNKNOWN when not running */
        uint32_t restarts;       /* NRestarts */
        double cpu_percent;      /* < 0: unknown */
        uint64_t cpu_nsec;       /* ROW_UNKNOWN: unknown */
        uint64_t memory;         /* bytes; ROW_UNKNOWN: unknown */
        unsigned port;           /* 0: none */
} inst_row;

/* PM2's word for a systemd state: online, launching, stopping, stopped, errored, reloading. */
const char *row_status(const char *active, const char *sub);
/* "45s", "12m", "3h", "2D" (PM2's uptime); "-" for ROW_UNKNOWN. buf: 32 bytes. */
const char *fmt_uptime(uint64_t usec, char *buf);
/* "0b", "512kb", "52.4mb", "1.2gb" (PM2's memory); "-" for ROW_UNKNOWN. buf: 32 bytes. */
const char *fmt_bytes(uint64_t bytes, char *buf);

/* Columns app, id, pid, uptime, restarts, status, cpu, memory, port; aligned, a
 * header line first. color: status in green/red/yellow (a terminal without NO_COLOR). */
void table_render(const inst_row *rows, size_t n, bool color, strbuf *out);
/* A JSON array, one object per row. */
void table_render_json(const inst_row *rows, size_t n, strbuf *out);
/* A JSON string literal of s (with quotes). */
void json_string(strbuf *out, const char *s);
