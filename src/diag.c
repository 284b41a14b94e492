/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void diag_add(diag_list *dl, diag_level level, loc where, const char *fmt, ...) {
        strbuf sb = STRBUF_INIT;
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        strbuf_vaddf(&sb, fmt, ap);
        va_end(ap);
        msg = strbuf_steal(&sb);
        /* One line per diagnostic, whatever the declaration held: control bytes
         * quoted from the input are shown as escapes. */
        if (msg && strpbrk(msg, "\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13"
                                "\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f")) {
                for (const unsigned char *p = (const unsigned char *) msg; *p; p++) {
                        if (*p == '\n')
                                strbuf_adds(&sb, "\\n");
                        else if (*p == '\t')
                                strbuf_adds(&sb, "\\t");
                        else if (*p < 0x20 || *p == 0x7f)
                                strbuf_addf(&sb, "\\x%02x", *p);
                        else
                                strbuf_addc(&sb, (char) *p);
                }
                free(msg);
                msg = strbuf_steal(&sb);
        }

        if (level == DIAG_ERROR)
                dl->errors++;
        else if (level == DIAG_WARNING)
                dl->warnings++;

        if (!msg)
                goto oom;
        if (dl->n == dl->cap) {
                size_t cap = dl->cap ? dl->cap * 2 : 8;
                diag *v = realloc(dl->v, cap * sizeof(*v));

                if (!v) {
                        free(msg);
                        goto oom;
                }
                dl->v = v;
                dl->cap = cap;
        }
        dl->v[dl->n++] = (diag) { .level = level, .where = where, .msg = msg };
        return;
oom:
        dl->oom = true;
}

static const char *level_name(diag_level l) {
        switch (l) {
        case DIAG_ERROR:
                return "error";
        case DIAG_WARNING:
                return "warning";
        default:
                return "note";
        }
}

void diag_render_one(const diag *d, strbuf *out) {
        if (d->where.file && d->where.line)
                strbuf_addf(out, "%s:%u:%u: ", d->where.file, d->where.line, d->where.col);
        else if (d->where.file)
                strbuf_addf(out, "%s: ", d->where.file);
        strbuf_addf(out, "%s: %s\n", level_name(d->level), d->msg);
}

void diag_render(const diag_list *dl, strbuf *out) {
        for (size_t i = 0; i < dl->n; i++)
                diag_render_one(&dl->v[i], out);
        if (dl->oom)
                strbuf_adds(out, "error: out of memory while recording diagnostics\n");
}

void diag_list_free(diag_list *dl) {
        if (!dl)
                return;
        for (size_t i = 0; i < dl->n; i++)
                free(dl->v[i].msg);
        free(dl->v);
        *dl = (diag_list) DIAG_LIST_INIT;
}

unsigned edit_distance(const char *a, const char *b, unsigned max) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[64];

        if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
                return max + 1;
        if ((la > lb ? la - lb : lb - la) > max)
                return max + 1;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                unsigned prev = row[0], best;

                row[0] = (unsigned) i;
                best = row[0];
                for (size_t j = 1; j <= lb; j++) {
                        unsigned cur = row[j];
                        unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
                        unsigned v = prev + cost;

                        if (row[j] + 1 < v)
                                v = row[j] + 1;
                        if (row[j - 1] + 1 < v)
                                v = row[j - 1] + 1;
                        row[j] = v;
                        prev = cur;
                        if (v < best)
                                best = v;
                }
                if (best > max)
                        return max + 1;
        }
        return row[lb];
}

const char *describe_char(unsigned char c, char buf[16]) {
        if (c == '\n')
                return "newline";
        if (c == '\t')
                return "tab";
        if (c == ' ')
                return "space";
        if (c < 0x20 || c >= 0x7f)
                snprintf(buf, 16, "byte 0x%02x", c);
        else
                snprintf(buf, 16, "'%c'", c);
        return buf;
}
