/* SPDX-License-Identifier: MIT */
/* What the JS-lite front end's expressions mean: JavaScript's ToString, ToNumber,
 * truthiness and ==, the top-level names, and the host objects a config file may
 * use (require()d path/os/url/dotenv, process, process.env, import.meta) with
 * their functions. parse-js.c parses; this file evaluates. */
#include "js-eval.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js-lex.h"
#include "js-path.h"

#define JS_MAX_NAMES 4096 /* top-level declarations */

#define EVAL_HINT "(use --eval to let node evaluate this file)"

static const char *const builtin_names[] = {
        [F_REQUIRE] = "require",    [F_JOIN] = "path.join",  [F_RESOLVE] = "path.resolve",
        [F_DIRNAME] = "path.dirname", [F_BASENAME] = "path.basename", [F_CPUS] = "os.cpus",
        [F_CWD] = "process.cwd",    [F_CONFIG] = "dotenv.config", [F_FILE_URL_TO_PATH] = "url.fileURLToPath",
};

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

static bool charge(js_eval *ev, size_t n, loc where) {
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
static jsval jv_copy(js_eval *ev, const jsval *x, loc where) {
        if (x->kind != JV_VALUE)
                return *x;
        if (ev->nest + value_depth(x->v) > JS_MAX_NEST) {
                js_error(ev, where, "found nesting deeper than %d levels, expected at most %d", JS_MAX_NEST, JS_MAX_NEST);
                return jv_err();
        }
        if (!charge(ev, value_cost(x->v, ev->budget), where))
                return jv_err();
        return jv_of(ev, value_clone(x->v));
}

static jsval new_string(js_eval *ev, const char *s, size_t len, loc where) {
        if (!charge(ev, len, where))
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
        r = new_string(ev, sb->s, sb->len, where);
        strbuf_free(sb);
        return r;
}

static const char *describe(const jsval *x, char buf[64]) {
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
                snprintf(buf, 64, "the function %s()", builtin_names[x->fn]);
                return buf;
        case JV_CPUS:
                return "os.cpus() (use os.cpus().length)";
        case JV_DOTENV_DONE:
                return "the result of dotenv's config()";
        }
        return "something";
}

/* The data in x (consumed), or NULL after reporting why there is none. */
value *js_to_value(js_eval *ev, jsval x, loc where) {
        char buf[64];

        if (x.kind == JV_VALUE)
                return x.v;
        if (x.kind != JV_ERROR)
                js_error(ev, where, "found %s, expected a value", describe(&x, buf));
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
};

static void unknown_name(js_eval *ev, const char *name, loc where) {
        const char *best = NULL;
        unsigned best_d = strlen(name) <= 4 ? 2 : 3; /* suggest names at most 1 or 2 edits away */
        char buf[72], buf2[72];

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

static jsval file_dirname(js_eval *ev, loc where) {
        strbuf sb = STRBUF_INIT;

        js_path_dirname((js_str) { ev->abs_file, strlen(ev->abs_file) }, &sb);
        return js_sb_string(ev, &sb, where);
}

jsval js_resolve_name(js_eval *ev, const char *name, loc where) {
        binding *b = js_lookup(ev, name);
        char buf[72];

        if (b)
                return jv_copy(ev, &b->val, where);
        if (strcmp(name, "__dirname") == 0)
                return file_dirname(ev, where);
        if (strcmp(name, "__filename") == 0)
                return new_string(ev, ev->abs_file, strlen(ev->abs_file), where);
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
        if (strcmp(name, "module") == 0 || strcmp(name, "exports") == 0) {
                snprintf(buf, sizeof(buf), "reading '%s'", name);
                js_unsupported(ev, where, buf);
                return jv_err();
        }
        unknown_name(ev, name, where);
        return jv_err();
}

/* ---- host objects ---- */

jsval js_module(js_eval *ev, const char *name, loc where, const char *how) {
        char buf[72], what[128];

        if (!strcmp(name, "path") || !strcmp(name, "node:path") || !strcmp(name, "path/posix") ||
            !strcmp(name, "node:path/posix"))
                return jv_host(JV_PATH);
        if (!strcmp(name, "os") || !strcmp(name, "node:os"))
                return jv_host(JV_OS);
        if (!strcmp(name, "url") || !strcmp(name, "node:url"))
                return jv_host(JV_URL);
        if (!strcmp(name, "dotenv"))
                return jv_host(JV_DOTENV);
        if (!strcmp(name, "dotenv/config"))
                return jv_host(JV_DOTENV_DONE);
        snprintf(what, sizeof(what), "%s'%s'%s", how, js_shown(name, buf), strcmp(how, "require(") == 0 ? ")" : "");
        js_unsupported(ev, where, what);
        return jv_err();
}

static bool is_index(const char *s, size_t *ret) {
        size_t v = 0;

        if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 15)
                return false;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return false;
                v = v * 10 + (size_t) (*s - '0');
        }
        *ret = v;
        return true;
}

static size_t utf16_length(const char *s, size_t len) {
        size_t n = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];

                if ((c & 0xc0) != 0x80)
                        n += c >= 0xf0 ? 2 : 1;
        }
        return n;
}

static jsval file_url(js_eval *ev, loc where) {
        strbuf sb = STRBUF_INIT;

        strbuf_adds(&sb, "file://");
        for (const char *s = ev->abs_file; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c <= 0x20 || c >= 0x7f || strchr("\"#<>?`{}%\\", c))
                        strbuf_addf(&sb, "%%%02X", c);
                else
                        strbuf_addc(&sb, (char) c);
        }
        return js_sb_string(ev, &sb, where);
}

/* obj.name (obj is borrowed). where: the name; start: the whole expression. */
jsval js_member(js_eval *ev, const jsval *obj, const char *name, loc where, loc start) {
        char buf[72], what[160];
        const value *v = obj->v;

        switch (obj->kind) {
        case JV_ERROR:
                return jv_err();
        case JV_PATH:
                if (!strcmp(name, "join"))
                        return jv_fn(F_JOIN);
                if (!strcmp(name, "resolve"))
                        return jv_fn(F_RESOLVE);
                if (!strcmp(name, "dirname"))
                        return jv_fn(F_DIRNAME);
                if (!strcmp(name, "basename"))
                        return jv_fn(F_BASENAME);
                if (!strcmp(name, "posix"))
                        return jv_host(JV_PATH);
                snprintf(what, sizeof(what), "'path.%s'", js_shown(name, buf));
                break;
        case JV_OS:
                if (!strcmp(name, "cpus"))
                        return jv_fn(F_CPUS);
                snprintf(what, sizeof(what), "'os.%s'", js_shown(name, buf));
                break;
        case JV_URL:
                if (!strcmp(name, "fileURLToPath"))
                        return jv_fn(F_FILE_URL_TO_PATH);
                snprintf(what, sizeof(what), "'url.%s'", js_shown(name, buf));
                break;
        case JV_DOTENV:
                if (!strcmp(name, "config"))
                        return jv_fn(F_CONFIG);
                snprintf(what, sizeof(what), "'dotenv.%s'", js_shown(name, buf));
                break;
        case JV_PROCESS:
                if (!strcmp(name, "env"))
                        return jv_host(JV_ENV);
                if (!strcmp(name, "cwd"))
                        return jv_fn(F_CWD);
                snprintf(what, sizeof(what), "'process.%s'", js_shown(name, buf));
                break;
        case JV_ENV: {
                const char *e = ev->host->getenv ? ev->host->getenv(ev->host->userdata, name) : NULL;

                if (!e)
                        return jv_of(ev, value_new(V_UNDEFINED, start));
                return new_string(ev, e, strlen(e), start);
        }
        case JV_META:
                if (!strcmp(name, "url"))
                        return file_url(ev, start);
                if (!strcmp(name, "filename"))
                        return new_string(ev, ev->abs_file, strlen(ev->abs_file), start);
                if (!strcmp(name, "dirname"))
                        return file_dirname(ev, start);
                snprintf(what, sizeof(what), "'import.meta.%s'", js_shown(name, buf));
                break;
        case JV_CPUS:
                if (!strcmp(name, "length"))
                        return jv_of(ev, value_new_number((double) ev->host->ncpus, start));
                snprintf(what, sizeof(what), "'os.cpus().%s'", js_shown(name, buf));
                break;
        case JV_FUNC:
                snprintf(what, sizeof(what), "'%s.%s'", builtin_names[obj->fn], js_shown(name, buf));
                break;
        case JV_DOTENV_DONE:
                snprintf(what, sizeof(what), "reading '%s' from dotenv's result", js_shown(name, buf));
                break;
        case JV_VALUE:
                if (v->type == V_OBJECT) {
                        const member *m = value_object_get(v, name);

                        if (!m)
                                return jv_of(ev, value_new(V_UNDEFINED, start));
                        return jv_copy(ev, &(jsval) { .kind = JV_VALUE, .v = m->val }, start);
                }
                if (v->type == V_ARRAY || v->type == V_STRING) {
                        size_t i;

                        if (!strcmp(name, "length"))
                                return jv_of(ev, value_new_number(v->type == V_ARRAY ? (double) v->arr.n :
                                                                 (double) utf16_length(v->str.s, v->str.len), start));
                        if (v->type == V_ARRAY && is_index(name, &i)) {
                                if (i >= v->arr.n)
                                        return jv_of(ev, value_new(V_UNDEFINED, start));
                                return jv_copy(ev, &(jsval) { .kind = JV_VALUE, .v = v->arr.items[i] }, start);
                        }
                }
                if (v->type == V_UNDEFINED || v->type == V_NULL) {
                        js_error(ev, where, "found %s, expected an object to read '%s' from", value_type_name(v->type),
                              js_shown(name, buf));
                        return jv_err();
                }
                snprintf(what, sizeof(what), "'.%s' on %s", js_shown(name, buf), value_type_name(v->type));
                break;
        }
        js_unsupported(ev, where, what);
        return jv_err();
}

static bool string_arg(js_eval *ev, const jsval *a, loc where, builtin fn, js_str *ret) {
        char buf[64];

        if (a->kind == JV_ERROR)
                return false;
        if (a->kind != JV_VALUE || a->v->type != V_STRING) {
                js_error(ev, where, "found %s, expected a string argument to %s()", describe(a, buf), builtin_names[fn]);
                return false;
        }
        *ret = (js_str) { a->v->str.s, a->v->str.len };
        return true;
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                return (c | 0x20) - 'a' + 10;
        return -1;
}

static jsval file_url_to_path(js_eval *ev, js_str u, loc where, loc start) {
        strbuf sb = STRBUF_INIT;
        size_t i = strlen("file://");

        if (u.len < i || memcmp(u.s, "file://", i) != 0) {
                js_error(ev, where, "found a string that is not a file:// URL, expected a file:// URL");
                return jv_err();
        }
        if (u.len - i >= strlen("localhost/") && memcmp(u.s + i, "localhost/", strlen("localhost/")) == 0)
                i += strlen("localhost");
        if (i >= u.len || u.s[i] != '/') {
                js_error(ev, where, "found a file:// URL with a host, expected file:///path");
                return jv_err();
        }
        for (; i < u.len && u.s[i] != '?' && u.s[i] != '#'; i++) {
                int hi, lo;

                if (u.s[i] == '%' && i + 2 < u.len && (hi = hex_digit(u.s[i + 1])) >= 0 &&
                    (lo = hex_digit(u.s[i + 2])) >= 0) {
                        int c = hi * 16 + lo;

                        if (c == 0 || c == '/') {
                                js_error(ev, where, "found an encoded %s in a file:// URL, expected a plain path",
                                      c ? "'/'" : "NUL byte");
                                strbuf_free(&sb);
                                return jv_err();
                        }
                        strbuf_addc(&sb, (char) c);
                        i += 2;
                } else
                        strbuf_addc(&sb, u.s[i]);
        }
        return js_sb_string(ev, &sb, start);
}

jsval js_call(js_eval *ev, builtin fn, jsval *args, const loc *argw, size_t n, loc start) {
        strbuf sb = STRBUF_INIT;
        js_str *parts = NULL, a0, ext = { NULL, 0 };
        jsval r = jv_err();
        bool ok = true;

        if ((fn == F_REQUIRE || fn == F_DIRNAME || fn == F_BASENAME || fn == F_FILE_URL_TO_PATH) && n == 0) {
                js_error(ev, start, "found %s() without an argument, expected one", builtin_names[fn]);
                return jv_err();
        }
        switch (fn) {
        case F_REQUIRE:
                if (args[0].kind == JV_VALUE && args[0].v->type == V_STRING)
                        return js_module(ev, args[0].v->str.s, start, "require(");
                if (args[0].kind != JV_ERROR)
                        js_unsupported(ev, argw[0], "require() of something other than a string");
                return jv_err();
        case F_JOIN:
        case F_RESOLVE:
                parts = calloc(n ? n : 1, sizeof(*parts));
                if (!parts) {
                        js_oom(ev);
                        return jv_err();
                }
                for (size_t i = 0; i < n; i++)
                        ok = string_arg(ev, &args[i], argw[i], fn, &parts[i]) && ok;
                if (!ok)
                        break;
                if (fn == F_JOIN)
                        js_path_join(parts, n, &sb);
                else
                        js_path_resolve(parts, n, (js_str) { ev->host->cwd ? ev->host->cwd : "/",
                                                             ev->host->cwd ? strlen(ev->host->cwd) : 1 }, &sb);
                r = js_sb_string(ev, &sb, start);
                break;
        case F_DIRNAME:
                if (string_arg(ev, &args[0], argw[0], fn, &a0)) {
                        js_path_dirname(a0, &sb);
                        r = js_sb_string(ev, &sb, start);
                }
                break;
        case F_BASENAME:
                ok = string_arg(ev, &args[0], argw[0], fn, &a0);
                if (n > 1 && !(args[1].kind == JV_VALUE && args[1].v->type == V_UNDEFINED))
                        ok = string_arg(ev, &args[1], argw[1], fn, &ext) && ok;
                if (ok) {
                        js_path_basename(a0, ext, &sb);
                        r = js_sb_string(ev, &sb, start);
                }
                break;
        case F_CPUS:
                r = jv_host(JV_CPUS);
                break;
        case F_CWD:
                r = new_string(ev, ev->host->cwd ? ev->host->cwd : "/", ev->host->cwd ? strlen(ev->host->cwd) : 1, start);
                break;
        case F_CONFIG:
                r = jv_host(JV_DOTENV_DONE);
                break;
        case F_FILE_URL_TO_PATH:
                if (string_arg(ev, &args[0], argw[0], fn, &a0))
                        r = file_url_to_path(ev, a0, argw[0], start);
                break;
        }
        free(parts);
        strbuf_free(&sb);
        return r;
}

bool js_supported_binop(const char *op) {
        static const char *const ops[] = { "+", "||", "&&", "??", "===", "!==", "==", "!=" };

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
        a = js_to_value(ev, l, start);
        b = js_to_value(ev, r, rstart);
        if (!a || !b) {
                value_free(a);
                value_free(b);
                return jv_err();
        }
        if (!strcmp(op, "||") || !strcmp(op, "&&") || !strcmp(op, "??")) {
                bool take_left = !strcmp(op, "||") ? js_truthy(a) : !strcmp(op, "&&") ? !js_truthy(a) :
                                 a->type != V_UNDEFINED && a->type != V_NULL;

                value_free(take_left ? b : a);
                return jv_of(ev, take_left ? a : b);
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
        ev->names = NULL;
        ev->hash = NULL;
        ev->nnames = ev->capnames = ev->hashcap = 0;
}
