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
        JV_DOTENV_DONE, /* what dotenv.config() and require('dotenv/config') return */
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

/* What evaluation needs: the host, the diagnostics and the top-level names. */
typedef struct js_eval {
        const char *file, *abs_file;
        const js_host *host;
        diag_list *dl;
        size_t errors0;  /* dl->errors when parsing started */
        locale_t cloc;   /* "C", for strtod_l */
        unsigned nest;   /* current object/array nesting */
        unsigned suppress; /* > 0 while skipping code that is already an error */
        bool fatal, oom; /* stop: too many errors, too deep, too big, or out of memory */
        size_t budget;   /* bytes that evaluation may still create */
        binding *names;
        size_t nnames, capnames;
        uint32_t *hash;  /* index+1 into names, 0 = free; open addressing */
        size_t hashcap;
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
void jv_free(jsval *x);
/* Takes the contents of sb (freed) as a string value, within the size budget. */
jsval js_sb_string(js_eval *ev, strbuf *sb, loc where);
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

/* Host objects. how: "require(", "import " or "import from ", for the message
 * about a module that is not supported. */
jsval js_module(js_eval *ev, const char *name, loc where, const char *how);
/* obj.name; where: the name, start: the whole expression (the result's place). */
jsval js_member(js_eval *ev, const jsval *obj, const char *name, loc where, loc start);
jsval js_call(js_eval *ev, builtin fn, jsval *args, const loc *argw, size_t n, loc start);
