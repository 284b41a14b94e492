/* SPDX-License-Identifier: MIT */
/* What the JS-lite front end's expressions mean: JavaScript's ToString, ToNumber,
 * truthiness, == and the binary operators, and the top-level names. The host
 * objects are in js-host.c, process.env in js-env.c. parse-js.c parses; these
 * files evaluate. */
#include "js-eval.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js-lex.h"
#include "js-number.h"
#include "js-path.h"

#define JS_MAX_NAMES 4096 /* top-level declarations */

#define EVAL_HINT "(use --eval to let node evaluate this file)"

/* ---- diagnostics ---- */

/* User text for a message: at most 60 bytes, control characters shown as '?'. */
const char *js_shown(const char *s, char buf[72]) {
        size_t n = 0, len = strlen(s);

        if (len > 60) {
                len = 60;
                while (len > 0 && ((unsigned char) s[len] & 0xc0) == 0x80)
                        len--;
        }
        for (size_t i = 0; i < len; i++)
                buf[n++] = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        if (len < strlen(s)) {
                memcpy(buf + n, "…", strlen("…"));
                n += strlen("…");
        }
        buf[n] = '\0';
        return buf;
}

void js_oom(js_eval *ev) {
        ev->oom = true;
        ev->fatal = true;
}

void js_report(js_eval *ev, diag_level level, loc where, const char *fmt, va_list ap) {
        strbuf sb = STRBUF_INIT;

        if (ev->fatal)
                return;
        strbuf_vaddf(&sb, fmt, ap);
        diag_add(ev->dl, level, where, "%s", strbuf_str(&sb));
        strbuf_free(&sb);
        if (ev->dl->errors - ev->errors0 >= JS_MAX_ERRORS) {
                diag_error(ev->dl, where, "too many errors; giving up");
                ev->fatal = true;
        }
}

/* A semantic error: not reported while skipping code that is already an error. */
void js_error(js_eval *ev, loc where, const char *fmt, ...) {
        va_list ap;

        if (ev->suppress)
                return;
        va_start(ap, fmt);
        js_report(ev, DIAG_ERROR, where, fmt, ap);
        va_end(ap);
}

void js_warning(js_eval *ev, loc where, const char *fmt, ...) {
        va_list ap;

        if (ev->suppress)
                return;
        va_start(ap, fmt);
        js_report(ev, DIAG_WARNING, where, fmt, ap);
        va_end(ap);
}

void js_unsupported(js_eval *ev, loc where, const char *what) {
        js_error(ev, where, "pmgen reads ecosystem files without running them; %s is not supported here " EVAL_HINT, what);
}

/* ---- values ---- */

jsval jv_of(js_eval *ev, value *v) {
        if (!v) {
                js_oom(ev);
                return jv_err();
        }
        return (jsval) { .kind = JV_VALUE, .v = v };
}

void jv_free(jsval *x) {
        if (x->kind == JV_VALUE)
                value_free(x->v);
        *x = jv_err();
}

bool js_charge(js_eval *ev, size_t n, loc where) {
        if (n <= ev->budget) {
                ev->budget -= n;
                return true;
        }
        if (!ev->fatal)
                diag_error(ev->dl, where, "found values growing beyond the size limit, expected a configuration of "
                           "reasonable size (check repeated spreads and concatenations)");
        ev->fatal = true;
        return false;
}

static size_t value_cost(const value *v, size_t limit) {
        size_t c = sizeof(*v);

        if (v->type == V_STRING)
                c += v->str.len + 1;
        else if (v->type == V_ARRAY)
                for (size_t i = 0; i < v->arr.n && c <= limit; i++)
                        c += sizeof(value *) + value_cost(v->arr.items[i], limit - c);
        else if (v->type == V_OBJECT)
                for (size_t i = 0; i < v->obj.n && c <= limit; i++)
                        c += sizeof(member) + strlen(v->obj.m[i].key) + 1 + value_cost(v->obj.m[i].val, limit - c);
        return c;
}

static unsigned value_depth(const value *v) {
        unsigned d = 0;

        if (v->type == V_ARRAY)
                for (size_t i = 0; i < v->arr.n; i++) {
                        unsigned k = value_depth(v->arr.items[i]);

                        d = k > d ? k : d;
                }
        else if (v->type == V_OBJECT)
                for (size_t i = 0; i < v->obj.n; i++) {
                        unsigned k = value_depth(v->obj.m[i].val);

                        d = k > d ? k : d;
                }
        else
                return 0;
        return d + 1;
}

/* A copy of x for a new use: values are cloned, within the nesting and size limits. */
jsval js_copy(js_eval *ev, const jsval *x, loc where) {
        if (x->kind != JV_VALUE)
                return *x;
        if (ev->nest + value_depth(x->v) > JS_MAX_NEST) {
                js_error(ev, where, "found nesting deeper than %d levels, expected at most %d", JS_MAX_NEST, JS_MAX_NEST);
                return jv_err();
        }
        if (!js_charge(ev, value_cost(x->v, ev->budget), where))
                return jv_err();
        return jv_of(ev, value_clone(x->v));
}

jsval js_string(js_eval *ev, const char *s, size_t len, loc where) {
        if (!js_charge(ev, len, where))
                return jv_err();
        return jv_of(ev, value_new_string(s ? s : "", len, where));
}

/* Takes a finished strbuf as a string value. */
jsval js_sb_string(js_eval *ev, strbuf *sb, loc where) {
        jsval r;

        if (sb->oom) {
                strbuf_free(sb);
                js_oom(ev);
                return jv_err();
        }
        r = js_string(ev, sb->s, sb->len, where);
        strbuf_free(sb);
        return r;
}

const char *js_describe(const jsval *x, char buf[64]) {
        switch (x->kind) {
        case JV_VALUE:
                return value_type_name(x->v->type);
        case JV_ERROR:
                return "an error";
        case JV_PATH:
                return "the 'path' module";
        case JV_OS:
                return "the 'os' module";
        case JV_URL:
                return "the 'url' module";
        case JV_DOTENV:
                return "the 'dotenv' module";
        case JV_PROCESS:
                return "'process'";
        case JV_ENV:
                return "'process.env' (pmgen does not copy the whole environment; name each variable)";
        case JV_META:
                return "'import.meta'";
        case JV_FUNC:
                snprintf(buf, 64, "the function %s()", js_builtin_name(x->fn));
                return buf;
        case JV_CPUS:
                return "os.cpus() (use os.cpus().length)";
        case JV_MATH:
                return "the 'Math' object";
        }
        return "something";
}

/* The data in x (consumed), or NULL after reporting why there is none. */
value *js_to_value(js_eval *ev, jsval x, loc where) {
        char buf[64];

        if (x.kind == JV_VALUE)
                return x.v;
        if (x.kind != JV_ERROR)
                js_error(ev, where, "found %s, expected a value", js_describe(&x, buf));
        return NULL;
}

bool js_truthy(const value *v) {
        switch (v->type) {
        case V_UNDEFINED:
        case V_NULL:
                return false;
        case V_BOOL:
                return v->b;
        case V_NUMBER:
                return !(v->num == 0 || isnan(v->num));
        case V_STRING:
                return v->str.len > 0;
        default:
                return true;
        }
}

/* JavaScript's ToString (arrays join their items with ','). */
void js_append_string(strbuf *sb, const value *v) {
        char buf[VALUE_NUMBER_BUF];

        switch (v->type) {
        case V_UNDEFINED:
                strbuf_adds(sb, "undefined");
                break;
        case V_NULL:
                strbuf_adds(sb, "null");
                break;
        case V_BOOL:
                strbuf_adds(sb, v->b ? "true" : "false");
                break;
        case V_NUMBER:
                strbuf_adds(sb, value_number_to_string(v->num, buf));
                break;
        case V_STRING:
                strbuf_add(sb, v->str.s, v->str.len);
                break;
        case V_ARRAY:
                for (size_t i = 0; i < v->arr.n; i++) {
                        const value *item = v->arr.items[i];

                        if (i)
                                strbuf_addc(sb, ',');
                        if (item->type != V_UNDEFINED && item->type != V_NULL)
                                js_append_string(sb, item);
                }
                break;
        case V_OBJECT:
                strbuf_adds(sb, "[object Object]");
                break;
        }
}

double js_to_number(const js_eval *ev, const value *v) {
        strbuf sb = STRBUF_INIT;
        double d;

        switch (v->type) {
        case V_UNDEFINED:
                return NAN;
        case V_NULL:
                return 0;
        case V_BOOL:
                return v->b;
        case V_NUMBER:
                return v->num;
        case V_STRING:
                return js_string_to_number(v->str.s, v->str.len, ev->cloc);
        default:
                js_append_string(&sb, v);
                d = sb.oom ? NAN : js_string_to_number(strbuf_str(&sb), sb.len, ev->cloc);
                strbuf_free(&sb);
                return d;
        }
}

bool js_is_container(const value *v) {
        return v->type == V_ARRAY || v->type == V_OBJECT;
}

/* == and ===; -1 when both sides are objects/arrays (identity is not modelled). */
static int equals(const js_eval *ev, const value *a, const value *b, bool strict) {
        bool na = a->type == V_UNDEFINED || a->type == V_NULL, nb = b->type == V_UNDEFINED || b->type == V_NULL;

        if (js_is_container(a) && js_is_container(b))
                return -1;
        if (a->type == b->type) {
                switch (a->type) {
                case V_BOOL:
                        return a->b == b->b;
                case V_NUMBER:
                        return a->num == b->num;
                case V_STRING:
                        return a->str.len == b->str.len && memcmp(a->str.s, b->str.s, a->str.len) == 0;
                default:
                        return 1;
                }
        }
        if (strict)
                return 0;
        if (na || nb)
                return na && nb;
        if (js_is_container(a) || js_is_container(b)) {
                const value *c = js_is_container(a) ? a : b, *o = c == a ? b : a;
                strbuf sb = STRBUF_INIT;
                value s = { .type = V_STRING };
                int r;

                js_append_string(&sb, c);
                s.str.s = (char *) strbuf_str(&sb);
                s.str.len = sb.len;
                r = equals(ev, &s, o, false);
                strbuf_free(&sb);
                return r;
        }
        return js_to_number(ev, a) == js_to_number(ev, b);
}

/* ---- names ---- */

static uint32_t hash_name(const char *s) {
        uint32_t h = 2166136261u;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 16777619u;
        return h;
}

binding *js_lookup(const js_eval *ev, const char *name) {
        if (ev->hashcap == 0)
                return NULL;
        for (size_t h = hash_name(name) & (ev->hashcap - 1);; h = (h + 1) & (ev->hashcap - 1)) {
                uint32_t k = ev->hash[h];

                if (k == 0)
                        return NULL;
                if (strcmp(ev->names[k - 1].name, name) == 0)
                        return &ev->names[k - 1];
        }
}

static int hash_insert(js_eval *ev, size_t index) {
        if ((ev->nnames + 1) * 2 > ev->hashcap) {
                size_t cap = ev->hashcap ? ev->hashcap * 2 : 64;
                uint32_t *h = calloc(cap, sizeof(*h));

                if (!h)
                        return -ENOMEM;
                free(ev->hash);
                ev->hash = h;
                ev->hashcap = cap;
                for (size_t i = 0; i < ev->nnames; i++)
                        if (i != index)
                                hash_insert(ev, i);
        }
        for (size_t h = hash_name(ev->names[index].name) & (ev->hashcap - 1);; h = (h + 1) & (ev->hashcap - 1))
                if (ev->hash[h] == 0) {
                        ev->hash[h] = (uint32_t) index + 1;
                        return 0;
                }
}

/* Binds name to x (consumed). */
void js_define(js_eval *ev, const char *name, loc where, bool is_var, jsval x) {
        binding *b = js_lookup(ev, name);
        char buf[72];

        if (b) {
                if (b->is_var && is_var) {
                        jv_free(&b->val);
                        b->val = x;
                        return;
                }
                js_error(ev, where, "found a second declaration of '%s', expected a new name (the first is on line %u)",
                      js_shown(name, buf), b->where.line);
                jv_free(&x);
                return;
        }
        if (ev->nnames == JS_MAX_NAMES) {
                js_error(ev, where, "found more than %d declarations, expected fewer", JS_MAX_NAMES);
                ev->fatal = true;
                jv_free(&x);
                return;
        }
        if (ev->nnames == ev->capnames) {
                size_t cap = ev->capnames ? ev->capnames * 2 : 16;
                binding *v = realloc(ev->names, cap * sizeof(*v));

                if (!v) {
                        jv_free(&x);
                        js_oom(ev);
                        return;
                }
                ev->names = v;
                ev->capnames = cap;
        }
        ev->names[ev->nnames] = (binding) { .name = strdup(name), .val = x, .where = where, .is_var = is_var };
        if (!ev->names[ev->nnames].name) {
                jv_free(&x);
                js_oom(ev);
                return;
        }
        ev->nnames++;
        if (hash_insert(ev, ev->nnames - 1) < 0)
                js_oom(ev);
}

static const char *const builtin_globals[] = {
        "__dirname", "__filename", "process", "require", "undefined", "NaN", "Infinity", "module", "exports",
        "parseInt", "parseFloat", "Number", "String", "Math",
};

static void unknown_name(js_eval *ev, const char *name, loc where) {
        const char *best = NULL;
        unsigned best_d = strlen(name) <= 4 ? 2 : 3; /* suggest names at most 1 or 2 edits away */
        char buf[72], buf2[72];

        if (!strcmp(name, "path") || !strcmp(name, "os") || !strcmp(name, "url") || !strcmp(name, "dotenv")) {
                js_error(ev, where, "unknown name '%s'; did you mean require('%s')?", name, name);
                return;
        }
        for (size_t i = 0; i < sizeof(builtin_globals) / sizeof(builtin_globals[0]) + ev->nnames; i++) {
                const char *cand = i < ev->nnames ? ev->names[i].name : builtin_globals[i - ev->nnames];
                unsigned d = edit_distance(name, cand, 2);

                if (d < best_d && d < strlen(name)) {
                        best = cand;
                        best_d = d;
                }
        }
        if (best)
                js_error(ev, where, "unknown name '%s'; did you mean '%s'?", js_shown(name, buf), js_shown(best, buf2));
        else
                js_error(ev, where, "unknown name '%s'", js_shown(name, buf));
}

jsval js_file_dirname(js_eval *ev, loc where) {
        strbuf sb = STRBUF_INIT;

        js_path_dirname((js_str) { ev->abs_file, strlen(ev->abs_file) }, &sb);
        return js_sb_string(ev, &sb, where);
}

jsval js_resolve_name(js_eval *ev, const char *name, loc where) {
        binding *b = js_lookup(ev, name);
        char buf[72];

        if (b)
                return js_copy(ev, &b->val, where);
        if (strcmp(name, "__dirname") == 0)
                return js_file_dirname(ev, where);
        if (strcmp(name, "__filename") == 0)
                return js_string(ev, ev->abs_file, strlen(ev->abs_file), where);
        if (strcmp(name, "process") == 0)
                return jv_host(JV_PROCESS);
        if (strcmp(name, "require") == 0)
                return jv_fn(F_REQUIRE);
        if (strcmp(name, "undefined") == 0)
                return jv_of(ev, value_new(V_UNDEFINED, where));
        if (strcmp(name, "NaN") == 0)
                return jv_of(ev, value_new_number(NAN, where));
        if (strcmp(name, "Infinity") == 0)
                return jv_of(ev, value_new_number(INFINITY, where));
        if (strcmp(name, "parseInt") == 0)
                return jv_fn(F_PARSE_INT);
        if (strcmp(name, "parseFloat") == 0)
                return jv_fn(F_PARSE_FLOAT);
        if (strcmp(name, "Number") == 0)
                return jv_fn(F_NUMBER);
        if (strcmp(name, "String") == 0)
                return jv_fn(F_STRING);
        if (strcmp(name, "Math") == 0)
                return jv_host(JV_MATH);
        if (strcmp(name, "module") == 0 || strcmp(name, "exports") == 0) {
                snprintf(buf, sizeof(buf), "reading '%s'", name);
                js_unsupported(ev, where, buf);
                return jv_err();
        }
        unknown_name(ev, name, where);
        return jv_err();
}

bool js_supported_binop(const char *op) {
        static const char *const ops[] = { "+", "-", "*", "/", "%", "||", "&&", "??", "===", "!==", "==", "!=" };

        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
                if (!strcmp(op, ops[i]))
                        return true;
        return false;
}

jsval js_binary(js_eval *ev, const char *op, jsval l, jsval r, loc start, loc rstart, loc opw) {
        value *a, *b, *res = NULL;
        char what[64];
        int eq;

        if (l.kind == JV_ERROR || r.kind == JV_ERROR) {
                jv_free(&l);
                jv_free(&r);
                return jv_err();
        }
        if (!strcmp(op, "||") || !strcmp(op, "&&") || !strcmp(op, "??")) {
                /* either side may be a host object: `process.env.X || require('dotenv').config()` */
                bool truthy = l.kind != JV_VALUE || js_truthy(l.v),
                     nullish = l.kind == JV_VALUE && (l.v->type == V_UNDEFINED || l.v->type == V_NULL),
                     take_left = !strcmp(op, "||") ? truthy : !strcmp(op, "&&") ? !truthy : !nullish;

                jv_free(take_left ? &r : &l);
                return take_left ? l : r;
        }
        a = js_to_value(ev, l, start);
        b = js_to_value(ev, r, rstart);
        if (!a || !b) {
                value_free(a);
                value_free(b);
                return jv_err();
        }
        if (!strcmp(op, "+")) {
                if (a->type == V_STRING || b->type == V_STRING || js_is_container(a) || js_is_container(b)) {
                        strbuf sb = STRBUF_INIT;
                        jsval s;

                        js_append_string(&sb, a);
                        js_append_string(&sb, b);
                        value_free(a);
                        value_free(b);
                        s = js_sb_string(ev, &sb, start);
                        return s;
                }
                res = value_new_number(js_to_number(ev, a) + js_to_number(ev, b), start);
        } else if (!op[1] && strchr("-*/%", op[0])) {
                double x = js_to_number(ev, a), y = js_to_number(ev, b);
                double d = op[0] == '-' ? x - y : op[0] == '*' ? x * y : op[0] == '/' ? x / y : fmod(x, y);

                res = value_new_number(d, start);
        } else {
                eq = equals(ev, a, b, strlen(op) == 3);
                if (eq < 0) {
                        snprintf(what, sizeof(what), "comparing objects or arrays with '%s'", op);
                        js_unsupported(ev, opw, what);
                } else
                        res = value_new_bool(op[0] == '=' ? eq : !eq, start);
                if (eq < 0) {
                        value_free(a);
                        value_free(b);
                        return jv_err();
                }
        }
        value_free(a);
        value_free(b);
        return jv_of(ev, res);
}

void js_strip_undefined(value *v) {
        size_t j = 0;

        if (v->type == V_ARRAY)
                for (size_t i = 0; i < v->arr.n; i++)
                        js_strip_undefined(v->arr.items[i]);
        if (v->type != V_OBJECT)
                return;
        for (size_t i = 0; i < v->obj.n; i++) {
                member *m = &v->obj.m[i];

                if (m->val->type == V_UNDEFINED) {
                        free(m->key);
                        value_free(m->val);
                        continue;
                }
                js_strip_undefined(m->val);
                v->obj.m[j++] = *m;
        }
        v->obj.n = j;
}

void js_eval_free(js_eval *ev) {
        for (size_t i = 0; i < ev->nnames; i++) {
                free(ev->names[i].name);
                jv_free(&ev->names[i].val);
        }
        free(ev->names);
        free(ev->hash);
        js_envmap_free(&ev->dotenv);
        js_envmap_free(&ev->env_refs);
        ev->names = NULL;
        ev->hash = NULL;
        ev->nnames = ev->capnames = ev->hashcap = 0;
}
