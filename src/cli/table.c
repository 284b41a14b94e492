/* SPDX-License-Identifier: MIT */
#include "table.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *row_status(const char *active, const char *sub) {
        if (!active)
                return "unknown";
        if (strcmp(active, "active") == 0)
                return "online";
        if (strcmp(active, "activating") == 0)
                return sub && strcmp(sub, "auto-restart") == 0 ? "waiting restart" : "launching";
        if (strcmp(active, "deactivating") == 0)
                return "stopping";
        if (strcmp(active, "reloading") == 0)
                return "reloading";
        if (strcmp(active, "failed") == 0)
                return "errored";
        if (strcmp(active, "inactive") == 0)
                return "stopped";
        return active;
}

const char *fmt_uptime(uint64_t usec, char *buf) {
        uint64_t s = usec / 1000000;

        if (usec == ROW_UNKNOWN)
                return strcpy(buf, "-");
        if (s < 60)
                snprintf(buf, 32, "%" PRIu64 "s", s);
        else if (s < 3600)
                snprintf(buf, 32, "%" PRIu64 "m", s / 60);
        else if (s < 86400)
                snprintf(buf, 32, "%" PRIu64 "h", s / 3600);
        else
                snprintf(buf, 32, "%" PRIu64 "D", s / 86400);
        return buf;
}

const char *fmt_bytes(uint64_t b, char *buf) {
        if (b == ROW_UNKNOWN)
                return strcpy(buf, "-");
        if (b < 1024)
                snprintf(buf, 32, "%" PRIu64 "b", b);
        else if (b < 1024 * 1024)
                snprintf(buf, 32, "%" PRIu64 "kb", b / 1024);
        else if (b < 1024ULL * 1024 * 1024)
                snprintf(buf, 32, "%.1fmb", (double) b / (1024.0 * 1024.0));
        else
                snprintf(buf, 32, "%.1fgb", (double) b / (1024.0 * 1024.0 * 1024.0));
        return buf;
}

enum { COLS = 9 };

static void cells(const inst_row *r, char c[COLS][80]) {
        char b[32];

        snprintf(c[0], 80, "%s", r->app);
        snprintf(c[1], 80, "%s", r->instance);
        if (r->pid)
                snprintf(c[2], 80, "%" PRIu32, r->pid);
        else
                strcpy(c[2], "-");
        snprintf(c[3], 80, "%s", fmt_uptime(r->uptime_usec, b));
        snprintf(c[4], 80, "%" PRIu32, r->restarts);
        snprintf(c[5], 80, "%s", row_status(r->active, r->sub));
        if (r->cpu_percent >= 0)
                snprintf(c[6], 80, "%.0f%%", r->cpu_percent);
        else
                strcpy(c[6], "-");
        snprintf(c[7], 80, "%s", fmt_bytes(r->memory, b));
        if (r->port)
                snprintf(c[8], 80, "%u", r->port);
        else
                strcpy(c[8], "-");
}

void table_render(const inst_row *rows, size_t n, bool color, strbuf *out) {
        static const char *const head[COLS] = { "app", "id", "pid", "uptime", "restarts", "status", "cpu", "memory", "port" };
        size_t w[COLS];
        char c[COLS][80];

        for (size_t k = 0; k < COLS; k++)
                w[k] = strlen(head[k]);
        for (size_t i = 0; i < n; i++) {
                cells(&rows[i], c);
                for (size_t k = 0; k < COLS; k++)
                        if (strlen(c[k]) > w[k])
                                w[k] = strlen(c[k]);
        }
        for (size_t k = 0; k < COLS; k++)
                if (k + 1 < COLS)
                        strbuf_addf(out, "%-*s  ", (int) w[k], head[k]);
                else
                        strbuf_addf(out, "%s\n", head[k]);
        for (size_t i = 0; i < n; i++) {
                const char *st;

                cells(&rows[i], c);
                st = c[5];
                for (size_t k = 0; k < COLS; k++) {
                        const char *on = "", *off = "";

                        if (k == 5 && color) {
                                off = "\033[0m";
                                on = strcmp(st, "online") == 0    ? "\033[32m"
                                     : strcmp(st, "errored") == 0 ? "\033[31m"
                                     : strcmp(st, "stopped") == 0 ? "\033[90m"
                                                                  : "\033[33m";
                        }
                        if (k + 1 < COLS)
                                strbuf_addf(out, "%s%-*s%s  ", on, (int) w[k], c[k], off);
                        else
                                strbuf_addf(out, "%s\n", c[k]);
                }
        }
}

void json_string(strbuf *out, const char *s) {
        strbuf_addc(out, '"');
        for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++) {
                if (*p == '"' || *p == '\\')
                        strbuf_addf(out, "\\%c", *p);
                else if (*p == '\n')
                        strbuf_adds(out, "\\n");
                else if (*p == '\t')
                        strbuf_adds(out, "\\t");
                else if (*p == '\r')
                        strbuf_adds(out, "\\r");
                else if (*p < 0x20 || *p == 0x7f)
                        strbuf_addf(out, "\\u%04x", *p);
                else
                        strbuf_addc(out, (char) *p);
        }
        strbuf_addc(out, '"');
}

static void json_u64_or_null(strbuf *out, const char *key, uint64_t v) {
        strbuf_addf(out, ",\"%s\":", key);
        if (v == ROW_UNKNOWN)
                strbuf_adds(out, "null");
        else
                strbuf_addf(out, "%" PRIu64, v);
}

void table_render_json(const inst_row *rows, size_t n, strbuf *out) {
        strbuf_addc(out, '[');
        for (size_t i = 0; i < n; i++) {
                const inst_row *r = &rows[i];

                strbuf_adds(out, i ? ",\n{\"app\":" : "\n{\"app\":");
                json_string(out, r->app);
                strbuf_adds(out, ",\"instance\":");
                json_string(out, r->instance);
                strbuf_adds(out, ",\"unit\":");
                json_string(out, r->unit);
                strbuf_adds(out, ",\"status\":");
                json_string(out, row_status(r->active, r->sub));
                strbuf_adds(out, ",\"active_state\":");
                json_string(out, r->active);
                strbuf_adds(out, ",\"sub_state\":");
                json_string(out, r->sub);
                strbuf_addf(out, ",\"pid\":%" PRIu32 ",\"main_pid\":%" PRIu32, r->pid, r->main_pid);
                json_u64_or_null(out, "uptime_ms", r->uptime_usec == ROW_UNKNOWN ? ROW_UNKNOWN : r->uptime_usec / 1000);
                strbuf_addf(out, ",\"restarts\":%" PRIu32 ",\"cpu_percent\":", r->restarts);
                if (r->cpu_percent >= 0)
                        strbuf_addf(out, "%.1f", r->cpu_percent);
                else
                        strbuf_adds(out, "null");
                json_u64_or_null(out, "cpu_nsec", r->cpu_nsec);
                json_u64_or_null(out, "memory_bytes", r->memory);
                strbuf_adds(out, ",\"port\":");
                if (r->port)
                        strbuf_addf(out, "%u", r->port);
                else
                        strbuf_adds(out, "null");
                strbuf_addc(out, '}');
        }
        strbuf_adds(out, n ? "\n]\n" : "]\n");
}
