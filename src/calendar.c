/* SPDX-License-Identifier: MIT */
/* cron expression → systemd OnCalendar= (see calendar.h).
 *
 * Each cron field is parsed into a list of items (start, stop, step) and a bitmap
 * of the values it matches. The bitmap answers the semantic questions (is the
 * field unrestricted, does a date exist at all); the items are rendered in
 * systemd's own syntax so that the result reads like what the user wrote:
 *
 *   N       → NN           N-M    → NN..MM       N-M/S  → NN..LL/S
 *   N/S, *\/S → NN/S where that is exact (see open_form_exact()), else NN..LL/S
 *   (LL = the last value actually hit, as systemd normalizes it)
 *
 * and sorted and de-duplicated the way systemd normalizes a chain, so that
 * `systemd-analyze calendar` prints our output back unchanged. Days of the week
 * have no repetition syntax in systemd, so that field is rendered from its bitmap
 * (Mon..Fri, Tue,Sun, …) exactly as systemd formats weekdays. */
#include "calendar.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* More list items than any field has values is a mistake, not a schedule; the
 * bound also keeps us under systemd's limit on chain length (240). */
#define ITEMS_MAX 64
/* Longest token quoted back in a message, before it is cut with "...". */
#define TOKEN_SHOWN_MAX 24
#define TOKEN_BUF (TOKEN_SHOWN_MAX * 4 + 4)

typedef enum field_kind {
        F_SECOND,
        F_MINUTE,
        F_HOUR,
        F_DOM,
        F_MONTH,
        F_DOW,
        _F_MAX,
} field_kind;

static const char *const month_names[] = {
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};

static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

/* systemd's weekday order: Monday is bit 0. */
static const char *const systemd_dow_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

typedef struct field_info {
        const char *name;
        unsigned min, max;
        const char *const *names; /* names[i] spells the value names_base + i */
        unsigned names_base;
        size_t n_names;
        const char *names_hint;
} field_info;

static const field_info field_infos[_F_MAX] = {
        [F_SECOND] = { "second", 0, 59, NULL, 0, 0, NULL },
        [F_MINUTE] = { "minute", 0, 59, NULL, 0, 0, NULL },
        [F_HOUR] = { "hour", 0, 23, NULL, 0, 0, NULL },
        [F_DOM] = { "day of month", 1, 31, NULL, 0, 0, NULL },
        [F_MONTH] = { "month", 1, 12, month_names, 1, ELEMENTSOF(month_names), "jan-dec or 1-12" },
        [F_DOW] = { "day of week", 0, 7, dow_names, 0, ELEMENTSOF(dow_names), "sun-sat or 0-7" },
};

/* The cron shortcuts, as the equivalent five- or six-field expression. */
static const struct {
        const char *name;
        const char *expansion;
} shortcuts[] = {
        { "@yearly", "0 0 1 1 *" },
        { "@annually", "0 0 1 1 *" },
        { "@monthly", "0 0 1 * *" },
        { "@weekly", "0 0 * * 0" },
        { "@daily", "0 0 * * *" },
        { "@midnight", "0 0 * * *" },
        { "@hourly", "0 * * * *" },
        { "@minutely", "* * * * *" },
        { "@secondly", "* * * * * *" },
        { "@weekdays", "0 0 * * 1-5" },
        { "@weekends", "0 0 * * 0,6" },
};

typedef struct item {
        unsigned start;
        unsigned stop; /* last value the item may reach; == start for a single value */
        unsigned step; /* 0: no step */
        bool open;     /* N/S or *\/S: runs to the end of the field */
} item;

typedef struct field {
        field_kind kind;
        unsigned pos;    /* 1-based position as written */
        size_t col;      /* offset of the field in expr */
        size_t len;
        item items[ITEMS_MAX];
        size_t n_items;
        uint64_t bits;   /* bit v: value v matches (day of week folded to 0-6) */
        bool last_day;   /* day of month "L" */
} field;

typedef struct parser {
        const char *expr;
        strbuf *err;
        size_t *err_col;
} parser;

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static char to_lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

static bool mem_eq_nocase(const char *a, size_t n, const char *b) {
        size_t i;

        if (strlen(b) != n)
                return false;
        for (i = 0; i < n; i++)
                if (to_lower(a[i]) != to_lower(b[i]))
                        return false;
        return true;
}

/* s[0..n) for a message: printable ASCII as is, anything else as \xNN, long tokens cut. */
static const char *token_str(char buf[static TOKEN_BUF], const char *s, size_t n) {
        static const char hex[] = "0123456789abcdef";
        size_t i, o = 0;

        for (i = 0; i < n && i < TOKEN_SHOWN_MAX; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c >= 0x20 && c < 0x7f)
                        buf[o++] = (char) c;
                else {
                        buf[o++] = '\\';
                        buf[o++] = 'x';
                        buf[o++] = hex[c >> 4];
                        buf[o++] = hex[c & 0xf];
                }
        }
        if (i < n) {
                memcpy(buf + o, "...", 3);
                o += 3;
        }
        buf[o] = '\0';
        return buf;
}

static int fail_va(const parser *p, size_t col, const field *f, const char *fmt, va_list ap) {
        if (p->err) {
                if (f)
                        strbuf_addf(p->err, "field %u (%s): ", f->pos, field_infos[f->kind].name);
                strbuf_vaddf(p->err, fmt, ap);
        }
        if (p->err_col)
                *p->err_col = col;
        return -EINVAL;
}

__attribute__((format(printf, 3, 4)))
static int fail(const parser *p, size_t col, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = fail_va(p, col, NULL, fmt, ap);
        va_end(ap);
        return r;
}

__attribute__((format(printf, 4, 5)))
static int fail_field(const parser *p, const field *f, size_t col, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = fail_va(p, col, f, fmt, ap);
        va_end(ap);
        return r;
}

static size_t field_end(const field *f) {
        return f->col + f->len;
}

/* A number at expr[*i], checked against lo..hi (what names it in messages: "", "step "). */
static int parse_number(const parser *p, const field *f, size_t *i, unsigned lo, unsigned hi,
                        const char *what, unsigned *ret) {
        const char *s = p->expr + *i;
        char tok[TOKEN_BUF];
        unsigned long v;
        char *end;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (end == s)
                return fail_field(p, f, *i, "expected a number");
        if (errno == ERANGE || v < lo || v > hi)
                return fail_field(p, f, *i, "%s%s is out of range %u-%u",
                                  what, token_str(tok, s, (size_t) (end - s)), lo, hi);
        *i += (size_t) (end - s);
        *ret = (unsigned) v;
        return 0;
}

/* One value, a number or (month, day of week) a three-letter name, at expr[*i]. after is the
 * character that introduced it ('-'), or 0 at the start of an item. */
static int parse_value(const parser *p, const field *f, size_t *i, char after, unsigned *ret) {
        const field_info *fi = &field_infos[f->kind];
        const char *s = p->expr + *i;
        char tok[TOKEN_BUF];
        size_t n, k;

        if (is_digit(*s))
                return parse_number(p, f, i, fi->min, fi->max, "", ret);

        if (is_alpha(*s)) {
                for (n = 0; is_alpha(s[n]); n++)
                        ;
                if (!fi->names)
                        return fail_field(p, f, *i,
                                          "unexpected '%s' (names are allowed only for months and days of the week)",
                                          token_str(tok, s, n));
                for (k = 0; k < fi->n_names; k++)
                        if (mem_eq_nocase(s, n, fi->names[k])) {
                                *i += n;
                                *ret = fi->names_base + (unsigned) k;
                                return 0;
                        }
                return fail_field(p, f, *i, "unknown %s name '%s' (expected %s)",
                                  f->kind == F_MONTH ? "month" : "day", token_str(tok, s, n), fi->names_hint);
        }

        if (after)
                return fail_field(p, f, *i, "expected a %s after '%c'",
                                  fi->names ? "number or name" : "number", after);
        if (*s == ',')
                return fail_field(p, f, *i, "empty item in list");
        return fail_field(p, f, *i, "unexpected character '%s'", token_str(tok, s, 1));
}

static int parse_step(const parser *p, const field *f, size_t *i, unsigned *ret) {
        const field_info *fi = &field_infos[f->kind];

        if (!is_digit(p->expr[*i]))
                return fail_field(p, f, *i, "expected a step number after '/'");
        return parse_number(p, f, i, 1, fi->max - fi->min + 1, "step ", ret);
}

/* One list item at expr[*i]: '*', '*\/S', N, N-M, N/S or N-M/S. */
static int parse_item(const parser *p, field *f, size_t *i) {
        const field_info *fi = &field_infos[f->kind];
        const char *e = p->expr;
        size_t col = *i;
        char tok[TOKEN_BUF];
        bool range = false;
        item it = {};
        int r;

        if (f->n_items >= ITEMS_MAX)
                return fail_field(p, f, *i, "more than %d items in the list", ITEMS_MAX);

        if (e[*i] == '*') {
                (*i)++;
                it = (item) { .start = fi->min, .stop = fi->max };
                if (e[*i] == '/') {
                        (*i)++;
                        r = parse_step(p, f, i, &it.step);
                        if (r < 0)
                                return r;
                        it.open = true;
                } else if (e[*i] != ',' && *i < field_end(f))
                        return fail_field(p, f, *i, "'*' must stand alone or be followed by '/step', not '%s'",
                                          token_str(tok, e + *i, 1));
        } else {
                r = parse_value(p, f, i, 0, &it.start);
                if (r < 0)
                        return r;
                it.stop = it.start;
                if (e[*i] == '-') {
                        range = true;
                        (*i)++;
                        r = parse_value(p, f, i, '-', &it.stop);
                        if (r < 0)
                                return r;
                        if (it.stop < it.start)
                                return fail_field(p, f, col,
                                                  "range %s is reversed (its start must not be after its end)",
                                                  token_str(tok, e + col, *i - col));
                }
                if (e[*i] == '/') {
                        (*i)++;
                        r = parse_step(p, f, i, &it.step);
                        if (r < 0)
                                return r;
                        if (!range) {
                                it.stop = fi->max;
                                it.open = true;
                        }
                }
        }

        if (e[*i] != ',' && *i < field_end(f))
                return fail_field(p, f, *i, "unexpected character '%s'", token_str(tok, e + *i, 1));

        f->items[f->n_items++] = it;
        for (unsigned v = it.start; v <= it.stop; v += it.step ? it.step : 1)
                f->bits |= UINT64_C(1) << (f->kind == F_DOW && v == 7 ? 0 : v);
        return 0;
}

static int parse_field(const parser *p, field *f) {
        const char *e = p->expr;
        size_t i = f->col;
        int r;

        if (f->kind == F_DOM && f->len == 1 && to_lower(e[i]) == 'l') {
                f->last_day = true;
                return 0;
        }

        for (;;) {
                r = parse_item(p, f, &i);
                if (r < 0)
                        return r;
                if (i >= field_end(f))
                        return 0;
                /* parse_item() stops only at the end or at a ',' */
                i++;
                if (i >= field_end(f))
                        return fail_field(p, f, i - 1, "list ends with ','");
        }
}

static uint64_t full_bits(field_kind k) {
        const field_info *fi = &field_infos[k];
        unsigned max = k == F_DOW ? 6 : fi->max;

        return (UINT64_MAX >> (63 - max)) & ~((UINT64_C(1) << fi->min) - 1);
}

static bool field_restricted(const field *f) {
        return f->last_day || f->bits != full_bits(f->kind);
}

/* Does any selected day of the month exist in any selected month (February has 29)? */
static bool date_possible(const field *dom, const field *month) {
        static const unsigned days_in[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        unsigned m;

        if (dom->last_day)
                return true;
        for (m = 1; m <= 12; m++) {
                if (!(month->bits & (UINT64_C(1) << m)))
                        continue;
                if (dom->bits & (UINT64_MAX >> (63 - days_in[m])))
                        return true;
        }
        return false;
}

/* The item as systemd stores a chain component: stop -1 for "none", repeat 1 for a plain range. */
typedef struct component {
        int start, stop, repeat;
} component;

static unsigned item_last(const item *it) {
        if (it->step > 1)
                return it->start + (it->stop - it->start) / it->step * it->step;
        return it->stop;
}

/* May an open repetition (N/S, *\/S) be written as systemd's open "NN/S"? systemd 252 (and later,
 * see systemd#22665, #40260) finds the value after the last one by adding the step and letting
 * mktime() carry the excess into the next minute, hour, day, …; whatever lies before the carried
 * value in the new period is skipped ("*:00/7" goes from :56 to the next hour's :07, missing :00).
 * So the open form is used only where that carry lands at or before the first value the field
 * selects, which makes it exact: time fields and months, whose length is fixed, and only when every
 * open item wraps that way (00/15 minutes, 00/6 hours, 01/3 months). Everything else gets an
 * explicit end, "NN..LL/S", which systemd never carries past. */
static bool open_form_exact(const field *f) {
        const field_info *fi = &field_infos[f->kind];
        unsigned span = fi->max - fi->min + 1, first = fi->min;
        size_t i;

        if (f->kind == F_DOM || f->kind == F_DOW)
                return false;
        while (!(f->bits & (UINT64_C(1) << first)))
                first++;
        for (i = 0; i < f->n_items; i++) {
                const item *it = &f->items[i];

                if (it->open && it->step > 1 && item_last(it) + it->step - span > first)
                        return false;
        }
        return true;
}

static component item_component(const item *it, bool open_ok) {
        unsigned last = item_last(it);

        if (last == it->start)
                return (component) { (int) it->start, -1, 0 };
        if (it->step <= 1)
                return (component) { (int) it->start, (int) last, 1 };
        if (it->open && open_ok)
                return (component) { (int) it->start, -1, (int) it->step };
        return (component) { (int) it->start, (int) last, (int) it->step };
}

static int component_compare(const void *a, const void *b) {
        const component *x = a, *y = b;

        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        if (x->stop != y->stop)
                return x->stop < y->stop ? -1 : 1;
        if (x->repeat != y->repeat)
                return x->repeat < y->repeat ? -1 : 1;
        return 0;
}

static void render_chain(strbuf *sb, const field *f) {
        component c[ITEMS_MAX];
        size_t i, n = f->n_items;
        bool open_ok;

        if (!field_restricted(f)) {
                strbuf_addc(sb, '*');
                return;
        }
        open_ok = open_form_exact(f);
        for (i = 0; i < n; i++)
                c[i] = item_component(&f->items[i], open_ok);
        qsort(c, n, sizeof(c[0]), component_compare);
        for (i = 0; i < n; i++) {
                if (i > 0 && component_compare(&c[i - 1], &c[i]) == 0)
                        continue;
                if (i > 0)
                        strbuf_addc(sb, ',');
                strbuf_addf(sb, "%02d", c[i].start);
                if (c[i].stop >= 0)
                        strbuf_addf(sb, "..%02d", c[i].stop);
                if (c[i].repeat > 1)
                        strbuf_addf(sb, "/%d", c[i].repeat);
        }
}

/* Weekdays the way systemd formats them: runs of three or more as "Mon..Wed", else a list. */
static void render_weekdays(strbuf *sb, const field *f) {
        unsigned bits = 0, d, start;
        bool first = true;

        for (d = 0; d < 7; d++)
                if (f->bits & (UINT64_C(1) << d))
                        bits |= 1u << ((d + 6) % 7); /* cron Sunday=0 → systemd Monday=0 */

        for (d = 0; d < 7;) {
                if (!(bits & (1u << d))) {
                        d++;
                        continue;
                }
                for (start = d; d < 7 && (bits & (1u << d)); d++)
                        ;
                if (!first)
                        strbuf_addc(sb, ',');
                first = false;
                strbuf_adds(sb, systemd_dow_names[start]);
                if (d - start >= 3)
                        strbuf_addf(sb, "..%s", systemd_dow_names[d - 1]);
                else if (d - start == 2)
                        strbuf_addf(sb, ",%s", systemd_dow_names[d - 1]);
        }
}

static int convert_shortcut(const parser *p, size_t col, strbuf *out) {
        const char *e = p->expr;
        char tok[TOKEN_BUF];
        size_t n, k;

        for (n = 0; e[col + n] && !is_blank(e[col + n]); n++)
                ;
        for (k = 0; k < ELEMENTSOF(shortcuts); k++)
                if (mem_eq_nocase(e + col, n, shortcuts[k].name))
                        break;
        if (k >= ELEMENTSOF(shortcuts))
                return fail(p, col,
                            "unknown shortcut '%s' (expected @yearly, @annually, @monthly, @weekly, @daily, "
                            "@midnight, @hourly, @minutely, @secondly, @weekdays or @weekends)",
                            token_str(tok, e + col, n));
        for (n += col; is_blank(e[n]); n++)
                ;
        if (e[n])
                return fail(p, n, "%s must stand alone, but is followed by '%s'",
                            shortcuts[k].name, token_str(tok, e + n, strlen(e + n)));

        /* The expansions are constants that always convert. */
        return cron_to_oncalendar(shortcuts[k].expansion, out, NULL, NULL);
}

int cron_to_oncalendar(const char *expr, strbuf *out, strbuf *err, size_t *err_col) {
        static const field_kind five[] = { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW };
        static const field_kind six[] = { F_SECOND, F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW };
        const parser p = { expr, err, err_col };
        size_t starts[7], lens[7], n_fields = 0, i = 0, end_col = 0;
        field fields[_F_MAX] = {};
        const field_kind *kinds;
        strbuf res = STRBUF_INIT;
        int r;

        if (!expr)
                return fail(&p, 0, "no cron expression");

        while (is_blank(expr[i]))
                i++;
        if (expr[i] == '@')
                return convert_shortcut(&p, i, out);

        /* Split into fields; remember up to one field too many for the message. */
        while (expr[i]) {
                size_t start = i;

                while (expr[i] && !is_blank(expr[i]))
                        i++;
                if (n_fields < ELEMENTSOF(starts)) {
                        starts[n_fields] = start;
                        lens[n_fields] = i - start;
                }
                n_fields++;
                end_col = i;
                while (is_blank(expr[i]))
                        i++;
        }
        if (n_fields == 0)
                return fail(&p, 0,
                            "empty cron expression (expected 5 fields: minute hour day-of-month month "
                            "day-of-week, or 6 with a seconds field first)");
        if (n_fields < 5 || n_fields > 6)
                return fail(&p, n_fields < 5 ? end_col : starts[6],
                            "expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
                            "(with a seconds field first), found %zu", n_fields);

        kinds = n_fields == 6 ? six : five;
        /* The five-field form fires at second 0. */
        fields[F_SECOND] = (field) { .kind = F_SECOND, .bits = UINT64_C(1), .n_items = 1 };
        for (i = 0; i < n_fields; i++) {
                field *f = &fields[kinds[i]];

                *f = (field) { .kind = kinds[i], .pos = (unsigned) i + 1, .col = starts[i], .len = lens[i] };
                r = parse_field(&p, f);
                if (r < 0)
                        return r;
        }

        if (field_restricted(&fields[F_DOM]) && field_restricted(&fields[F_DOW]))
                return fail(&p, fields[F_DOM].col,
                            "day of month (field %u) and day of week (field %u) are both restricted: cron "
                            "runs the job on days matching EITHER, but systemd's OnCalendar= requires BOTH; "
                            "restrict only one of them (or schedule the two cases separately)",
                            fields[F_DOM].pos, fields[F_DOW].pos);
        if (!date_possible(&fields[F_DOM], &fields[F_MONTH]))
                return fail_field(&p, &fields[F_DOM], fields[F_DOM].col,
                                  "none of these days exists in the selected months, so the job would never run");

        if (field_restricted(&fields[F_DOW])) {
                render_weekdays(&res, &fields[F_DOW]);
                strbuf_addc(&res, ' ');
        }
        strbuf_adds(&res, "*-");
        render_chain(&res, &fields[F_MONTH]);
        if (fields[F_DOM].last_day)
                strbuf_adds(&res, "~01");
        else {
                strbuf_addc(&res, '-');
                render_chain(&res, &fields[F_DOM]);
        }
        strbuf_addc(&res, ' ');
        render_chain(&res, &fields[F_HOUR]);
        strbuf_addc(&res, ':');
        render_chain(&res, &fields[F_MINUTE]);
        strbuf_addc(&res, ':');
        render_chain(&res, &fields[F_SECOND]);

        if (res.oom) {
                r = -ENOMEM;
                goto out;
        }
        strbuf_add(out, strbuf_str(&res), res.len);
        r = out->oom ? -ENOMEM : 0;
out:
        strbuf_free(&res);
        return r;
}
