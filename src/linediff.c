/* SPDX-License-Identifier: MIT */
#include "linediff.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct lines {
        const char **s;
        size_t *len;
        size_t n;
} lines;

/* Splits text into lines (pointers into it; a last line without '\n' counts). */
static int split(const char *text, lines *out) {
        size_t cap = 1;

        for (const char *p = text; *p; p++)
                cap += *p == '\n';
        out->s = calloc(cap, sizeof(char *));
        out->len = calloc(cap, sizeof(size_t));
        out->n = 0;
        if (!out->s || !out->len)
                return -1;
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);

                out->s[out->n] = p;
                out->len[out->n++] = n;
                p += n + (nl != NULL);
        }
        return 0;
}

static bool same(const lines *a, size_t i, const lines *b, size_t j) {
        return a->len[i] == b->len[j] && memcmp(a->s[i], b->s[j], a->len[i]) == 0;
}

/* op per output line: ' ' kept, '-' only in a, '+' only in b; with the line's index in its text. */
typedef struct edit {
        char op;
        size_t ai, bi;
} edit;

/* The edit script from the LCS table (suffix lengths), or everything removed then added. */
static edit *script(const lines *a, const lines *b, size_t *n_out) {
        size_t n = a->n, m = b->n, k = 0, i = 0, j = 0;
        edit *e = calloc(n + m + 1, sizeof(edit));
        unsigned *t = NULL;

        if (!e)
                return NULL;
        if (n <= LINEDIFF_MAX_LINES && m <= LINEDIFF_MAX_LINES)
                t = calloc((n + 1) * (m + 1), sizeof(unsigned));
        if (t)
                for (size_t x = n; x-- > 0;)
                        for (size_t y = m; y-- > 0;)
                                t[x * (m + 1) + y] = same(a, x, b, y)
                                                             ? t[(x + 1) * (m + 1) + y + 1] + 1
                                                             : (t[(x + 1) * (m + 1) + y] > t[x * (m + 1) + y + 1]
                                                                        ? t[(x + 1) * (m + 1) + y]
                                                                        : t[x * (m + 1) + y + 1]);
        while (i < n || j < m) {
                if (t && i < n && j < m && same(a, i, b, j))
                        e[k++] = (edit) { ' ', i++, j++ };
                else if (i < n && (j == m || !t || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1]))
                        e[k++] = (edit) { '-', i++, j };
                else
                        e[k++] = (edit) { '+', i, j++ };
        }
        free(t);
        *n_out = k;
        return e;
}

void line_diff(strbuf *out, const char *a, const char *b, const char *label_a, const char *label_b, unsigned context) {
        lines la = { 0 }, lb = { 0 };
        edit *e = NULL;
        size_t n = 0;

        if (strcmp(a, b) == 0)
                return;
        if (split(a, &la) < 0 || split(b, &lb) < 0 || !(e = script(&la, &lb, &n))) {
                out->oom = true;
                goto done;
        }
        strbuf_addf(out, "--- %s\n+++ %s\n", label_a, label_b);
        for (size_t k = 0; k < n;) {
                size_t start, end, last_change;

                while (k < n && e[k].op == ' ')
                        k++;
                if (k == n)
                        break;
                /* a hunk: from `context` lines before this change to `context` lines after the last change
                 * that is not more than 2 * context unchanged lines away */
                start = k > context ? k - context : 0;
                last_change = k;
                for (end = k; end < n; end++) {
                        if (e[end].op != ' ')
                                last_change = end;
                        else if (end - last_change > 2 * (size_t) context)
                                break;
                }
                end = last_change + 1 + context < n ? last_change + 1 + context : n;
                size_t na = 0, nb = 0;

                for (size_t x = start; x < end; x++) {
                        na += e[x].op != '+';
                        nb += e[x].op != '-';
                }
                strbuf_addf(out, "@@ -%zu,%zu +%zu,%zu @@\n", e[start].ai + (na ? 1 : 0), na, e[start].bi + (nb ? 1 : 0), nb);
                for (size_t x = start; x < end; x++) {
                        const lines *src = e[x].op == '+' ? &lb : &la;
                        size_t idx = e[x].op == '+' ? e[x].bi : e[x].ai;

                        strbuf_addc(out, e[x].op);
                        strbuf_add(out, src->s[idx], src->len[idx]);
                        strbuf_addc(out, '\n');
                }
                k = end;
        }
done:
        free(e);
        free(la.s);
        free(la.len);
        free(lb.s);
        free(lb.len);
}
