/* SPDX-License-Identifier: MIT */
/* Evaluation for the JS-lite front end (private to parse-js.c and js-eval.c).
 *
 * The parser reduces every expression to a jsval as it reads it: plain data
 * (a value tree), or one of the few host objects a config file may hold in a
 * name (the path module, process.env, path.join …), or JV_ERROR when a problem
 * was already reported (it propagates without further messages).
 *
 * Ownership: a jsval owns its value tree; jv_free() releases it. Functions that
 * take a `jsval` by value consume it; `const jsval *` is borrowed. */
#pragma once

#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "parse-js.h"
#include "strbuf.h"
#include "value.h"

#define JS_MAX_NEST 64 /* object/array nesting, in the file and in the result */

typedef enum jv_kind {
        JV_VALUE,       /* plain data in v */
        JV_ERROR,       /* already reported */
        JV_PATH,        /* the modules require() and import give */
        JV_OS,
        JV_URL,
        JV_DOTENV,
        JV_PROCESS,
        JV_ENV,         /* process.env */
        JV_META,        /* import.meta */
        JV_FUNC,        /* a builtin function, in fn */
        JV_CPUS,        /* what os.cpus() returns */
        JV_MATH,        /* the Math object */
} jv_kind;

typedef enum builtin {
        F_REQUIRE,
        F_JOIN,
        F_RESOLVE,
        F_DIRNAME,
        F_BASENAME,
        F_CPUS,
        F_CWD,
        F_CONFIG,
        F_FILE_URL_TO_PATH,
        F_HOMEDIR,
        F_PARALLELISM, /* os.availableParallelism */
        F_PARSE_INT,
        F_PARSE_FLOAT,
        F_NUMBER,
        F_STRING,
        F_MAX,
        F_MIN,
        F_FLOOR,
        F_CEIL,
        F_ROUND,
} builtin;

typedef struct jsval {
        jv_kind kind;
        builtin fn;
        value *v; /* owned */
} jsval;

typedef struct binding {
        char *name; /* owned */
        jsval val;
        loc where;
        bool is_var;
} binding;

/* A set of names, or names with values: the variables dotenv loaded, the names
 * the file reads from process.env. Open addressing; everything in it is owned. */
typedef struct js_envvar {
        char *name;
        char *value; /* NUL-terminated, len bytes; NULL in a plain set */
        size_t len;
} js_envvar;

typedef struct js_envmap {
        js_envvar *v; /* in insertion order */
        size_t n, cap;
        uint32_t *hash; /* index+1 into v, 0 = free */
        size_t hashcap;
} js_envmap;

/* What evaluation needs: the host, the diagnostics and the top-level names. */
typedef struct js_eval {
        const char *file, *abs_file;
        const js_host *host;
        diag_list *dl;
        size_t errors0;  /* dl->errors when parsing started */
        locale_t cloc;   /* "C", for strtod_l */
        unsigned nest;   /* current object/array nesting */
        unsigned suppress; /* > 0 while skipping code that is already an error */
        unsigned dead;   /* > 0 in an operand JavaScript would not evaluate (a || b with a
                          * truthy, the other branch of ?:): no side effects (dotenv) there */
        bool fatal, oom; /* stop: too many errors, too deep, too big, or out of memory */
        size_t budget;   /* bytes that evaluation may still create */
        binding *names;
        size_t nnames, capnames;
        uint32_t *hash;  /* index+1 into names, 0 = free; open addressing */
        size_t hashcap;
        js_envmap dotenv; /* what dotenv's config() put into process.env */
        bool dotenv_config_loaded; /* require('dotenv/config') ran (modules load once) */
        size_t dotenv_calls; /* config() calls and dotenv/config imports read so far */
        js_envmap env_refs; /* the names the file reads from process.env (see js_env_spread) */
} js_eval;

void js_eval_free(js_eval *ev);

/* Diagnostics. js_error/js_warning/js_unsupported are silent while ev->suppress. */
void js_report(js_eval *ev, diag_level level, loc where, const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));
void js_error(js_eval *ev, loc where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void js_warning(js_eval *ev, loc where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "pmgen reads ecosystem files without running them; WHAT is not supported here (use --eval …)" */
void js_unsupported(js_eval *ev, loc where, const char *what);
void js_oom(js_eval *ev);
/* User text for a message: at most 60 bytes, control characters shown as '?'. */
const char *js_shown(const char *s, char buf[72]);

static inline jsval jv_err(void) {
        return (jsval) { .kind = JV_ERROR };
}

static inline jsval jv_host(jv_kind kind) {
        return (jsval) { .kind = kind };
}

static inline jsval jv_fn(builtin fn) {
        return (jsval) { .kind = JV_FUNC, .fn = fn };
}

jsval jv_of(js_eval *ev, value *v); /* v NULL (allocation failed): JV_ERROR and ev->oom */
/* Takes n bytes from the size budget; false (reported, ev->fatal) when it is spent. */
bool js_charge(js_eval *ev, size_t n, loc where);
/* "a string", "the 'path' module", "the function path.join()" … */
const char *js_describe(const jsval *x, char buf[64]);
void jv_free(jsval *x);
/* Takes the contents of sb (freed) as a string value, within the size budget. */
jsval js_sb_string(js_eval *ev, strbuf *sb, loc where);
/* A string value of s[0..len), within the size budget. */
jsval js_string(js_eval *ev, const char *s, size_t len, loc where);
/* A copy of x for a new use (values are cloned, within the nesting and size limits). */
jsval js_copy(js_eval *ev, const jsval *x, loc where);
/* __dirname: the directory of ev->abs_file. */
jsval js_file_dirname(js_eval *ev, loc where);
/* The data in x (consumed), or NULL after reporting that x is not data. */
value *js_to_value(js_eval *ev, jsval x, loc where);

/* JavaScript semantics on data. */
bool js_truthy(const value *v);
bool js_is_container(const value *v);
void js_append_string(strbuf *sb, const value *v); /* ToString; arrays join with ',' */
double js_to_number(const js_eval *ev, const value *v);
bool js_supported_binop(const char *op);            /* + || && ?? === !== == != */
jsval js_binary(js_eval *ev, const char *op, jsval l, jsval r, loc start, loc rstart, loc opw);
/* Drops undefined object members everywhere, as JSON.stringify would. */
void js_strip_undefined(value *v);

/* Names: declarations, then __dirname, process, require … */
binding *js_lookup(const js_eval *ev, const char *name);
void js_define(js_eval *ev, const char *name, loc where, bool is_var, jsval x);
jsval js_resolve_name(js_eval *ev, const char *name, loc where);

/* process.env (js-env.c). */
/* The value of process.env[name]: what dotenv loaded, else pmgen's environment;
 * NULL when unset. */
const char *js_env_get(const js_eval *ev, const char *name, size_t *len);
/* dotenv's config(options) (n arguments) or, with module, require('dotenv/config'):
 * loads the .env files into ev->dotenv unless ev->dead or ev->suppress, and
 * returns what they return ({ parsed: {…} } and {}). */
jsval js_dotenv_config(js_eval *ev, bool module, const jsval *args, const loc *argw, size_t n, loc start);
/* `{ ...process.env }`: copies into obj the variables named in ev->env_refs that
 * are set, and warns at where. */
void js_env_spread(js_eval *ev, value *obj, loc where);
/* Adds name to a set; 0, or -ENOMEM. */
int js_envmap_add(js_envmap *m, const char *name, size_t len);
void js_envmap_free(js_envmap *m);

/* Host objects (js-host.c). "path.join", "parseInt" … for messages. */
const char *js_builtin_name(builtin fn);
/* how: "require(", "import " or "import from ", for the message
 * about a module that is not supported. */
jsval js_module(js_eval *ev, const char *name, loc where, const char *how);
/* obj.name; where: the name, start: the whole expression (the result's place). */
jsval js_member(js_eval *ev, const jsval *obj, const char *name, loc where, loc start);
jsval js_call(js_eval *ev, builtin fn, jsval *args, const loc *argw, size_t n, loc start);
