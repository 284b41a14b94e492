/* SPDX-License-Identifier: MIT */
/* The host objects an ecosystem file may use and their functions: the modules
 * require() and import give (path, os, url, dotenv), process, import.meta, Math,
 * parseInt/parseFloat/Number/String, with node's results. */
#include "js-eval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js-number.h"
#include "js-path.h"

static const char *const builtin_names[] = {
        [F_REQUIRE] = "require",    [F_JOIN] = "path.join",  [F_RESOLVE] = "path.resolve",
        [F_DIRNAME] = "path.dirname", [F_BASENAME] = "path.basename", [F_CPUS] = "os.cpus",
        [F_CWD] = "process.cwd",    [F_CONFIG] = "dotenv.config", [F_FILE_URL_TO_PATH] = "url.fileURLToPath",
        [F_HOMEDIR] = "os.homedir", [F_PARALLELISM] = "os.availableParallelism", [F_PARSE_INT] = "parseInt",
        [F_PARSE_FLOAT] = "parseFloat", [F_NUMBER] = "Number", [F_STRING] = "String", [F_MAX] = "Math.max",
        [F_MIN] = "Math.min",       [F_FLOOR] = "Math.floor", [F_CEIL] = "Math.ceil", [F_ROUND] = "Math.round",
};

const char *js_builtin_name(builtin fn) {
        return builtin_names[fn];
}

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
                return js_dotenv_config(ev, true, NULL, NULL, 0, where);
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
                if (!strcmp(name, "availableParallelism"))
                        return jv_fn(F_PARALLELISM);
                if (!strcmp(name, "homedir"))
                        return jv_fn(F_HOMEDIR);
                if (!strcmp(name, "hostname")) {
                        js_error(ev, where, "found os.hostname(), expected a fixed value: the units would carry the "
                                 "name of the machine that compiles them (write the name, or use --eval)");
                        return jv_err();
                }
                snprintf(what, sizeof(what), "'os.%s'", js_shown(name, buf));
                break;
        case JV_MATH: {
                static const struct {
                        const char *name;
                        builtin fn;
                } math[] = {
                        { "max", F_MAX }, { "min", F_MIN }, { "floor", F_FLOOR }, { "ceil", F_CEIL }, { "round", F_ROUND },
                };

                for (size_t i = 0; i < sizeof(math) / sizeof(math[0]); i++)
                        if (!strcmp(name, math[i].name))
                                return jv_fn(math[i].fn);
                snprintf(what, sizeof(what), "'Math.%s'", js_shown(name, buf));
                break;
        }
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
                size_t len;
                const char *e = js_env_get(ev, name, &len);

                if (!e)
                        return jv_of(ev, value_new(V_UNDEFINED, start));
                return js_string(ev, e, len, start);
        }
        case JV_META:
                if (!strcmp(name, "url"))
                        return file_url(ev, start);
                if (!strcmp(name, "filename"))
                        return js_string(ev, ev->abs_file, strlen(ev->abs_file), start);
                if (!strcmp(name, "dirname"))
                        return js_file_dirname(ev, start);
                snprintf(what, sizeof(what), "'import.meta.%s'", js_shown(name, buf));
                break;
        case JV_CPUS:
                if (!strcmp(name, "length"))
                        return jv_of(ev, value_new_number((double) ev->host->ncpus, start));
                snprintf(what, sizeof(what), "'os.cpus().%s'", js_shown(name, buf));
                break;
        case JV_FUNC:
                if (obj->fn == F_NUMBER && !strcmp(name, "parseInt"))
                        return jv_fn(F_PARSE_INT);
                if (obj->fn == F_NUMBER && !strcmp(name, "parseFloat"))
                        return jv_fn(F_PARSE_FLOAT);
                snprintf(what, sizeof(what), "'%s.%s'", builtin_names[obj->fn], js_shown(name, buf));
                break;
        case JV_VALUE:
                if (v->type == V_OBJECT) {
                        const member *m = value_object_get(v, name);

                        if (!m)
                                return jv_of(ev, value_new(V_UNDEFINED, start));
                        return js_copy(ev, &(jsval) { .kind = JV_VALUE, .v = m->val }, start);
                }
                if (v->type == V_ARRAY || v->type == V_STRING) {
                        size_t i;

                        if (!strcmp(name, "length"))
                                return jv_of(ev, value_new_number(v->type == V_ARRAY ? (double) v->arr.n :
                                                                 (double) utf16_length(v->str.s, v->str.len), start));
                        if (v->type == V_ARRAY && is_index(name, &i)) {
                                if (i >= v->arr.n)
                                        return jv_of(ev, value_new(V_UNDEFINED, start));
                                return js_copy(ev, &(jsval) { .kind = JV_VALUE, .v = v->arr.items[i] }, start);
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
                js_error(ev, where, "found %s, expected a string argument to %s()", js_describe(a, buf), builtin_names[fn]);
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

/* The arguments as data (n of them), or NULL after reporting why one is not. */
static value **data_args(js_eval *ev, jsval *args, const loc *argw, size_t n) {
        value **v = calloc(n ? n : 1, sizeof(*v));
        bool ok = true;

        if (!v) {
                js_oom(ev);
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                if (args[i].kind == JV_VALUE) {
                        v[i] = args[i].v;
                        continue;
                }
                if (args[i].kind != JV_ERROR) {
                        char buf[64];

                        js_error(ev, argw[i], "found %s, expected a value", js_describe(&args[i], buf));
                }
                ok = false;
        }
        if (!ok) {
                free(v);
                return NULL;
        }
        return v;
}

/* parseInt, parseFloat, Number, String and Math.*: every argument converted as
 * JavaScript does (ToString, ToNumber), missing ones undefined. */
static jsval call_number(js_eval *ev, builtin fn, jsval *args, const loc *argw, size_t n, loc start) {
        value **v = data_args(ev, args, argw, n);
        strbuf sb = STRBUF_INIT;
        double *x = NULL, d = NAN;
        jsval r = jv_err();

        if (!v)
                return r;
        if (fn == F_PARSE_INT || fn == F_PARSE_FLOAT || fn == F_STRING) {
                if (n > 0)
                        js_append_string(&sb, v[0]);
                else if (fn != F_STRING)
                        strbuf_adds(&sb, "undefined");
                if (sb.oom) {
                        js_oom(ev);
                        goto out;
                }
                if (fn == F_STRING) {
                        r = js_sb_string(ev, &sb, start);
                        goto out;
                }
                if (fn == F_PARSE_INT)
                        d = js_parse_int(strbuf_str(&sb), sb.len, n > 1 ? js_to_number(ev, v[1]) : NAN, ev->cloc);
                else
                        d = js_parse_float(strbuf_str(&sb), sb.len, ev->cloc);
        } else {
                x = calloc(n ? n : 1, sizeof(*x));
                if (!x) {
                        js_oom(ev);
                        goto out;
                }
                for (size_t i = 0; i < n; i++)
                        x[i] = js_to_number(ev, v[i]);
                switch (fn) {
                case F_NUMBER:
                        d = n ? x[0] : 0;
                        break;
                case F_MAX:
                        d = js_math_max(x, n);
                        break;
                case F_MIN:
                        d = js_math_min(x, n);
                        break;
                case F_FLOOR:
                        d = n ? floor(x[0]) : NAN;
                        break;
                case F_CEIL:
                        d = n ? ceil(x[0]) : NAN;
                        break;
                default:
                        d = n ? js_math_round(x[0]) : NAN;
                        break;
                }
        }
        r = jv_of(ev, value_new_number(d, start));
out:
        strbuf_free(&sb);
        free(x);
        free(v);
        return r;
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
                r = js_string(ev, ev->host->cwd ? ev->host->cwd : "/", ev->host->cwd ? strlen(ev->host->cwd) : 1, start);
                break;
        case F_CONFIG:
                r = js_dotenv_config(ev, false, args, argw, n, start);
                break;
        case F_HOMEDIR:
                if (!ev->host->homedir)
                        js_error(ev, start, "found os.homedir(), but the home directory is unknown (HOME is not set "
                                 "and the user has none), expected a path");
                else
                        r = js_string(ev, ev->host->homedir, strlen(ev->host->homedir), start);
                break;
        case F_PARALLELISM:
                r = jv_of(ev, value_new_number((double) ev->host->ncpus, start));
                break;
        case F_PARSE_INT:
        case F_PARSE_FLOAT:
        case F_NUMBER:
        case F_STRING:
        case F_MAX:
        case F_MIN:
        case F_FLOOR:
        case F_CEIL:
        case F_ROUND:
                r = call_number(ev, fn, args, argw, n, start);
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
