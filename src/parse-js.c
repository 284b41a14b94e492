/* SPDX-License-Identifier: MIT */
/* The JS-lite front end: a recursive-descent parser that evaluates as it parses.
 * The subset has no functions, loops or side effects, so every expression can be
 * reduced to its value on the spot; top-level declarations bind names to values
 * (or to the few host objects we understand: the path/os/url/dotenv modules, Math,
 * process, process.env, import.meta and their functions).
 *
 * Errors: a semantic problem (unknown name, unsupported construct) is reported
 * and the expression becomes JV_ERROR, which propagates silently so one mistake
 * gives one message. A syntax error sets `panic`: parsing unwinds to the
 * statement and skips to the next declaration or export. Both sides of ||, ?:
 * and friends are always evaluated, so every error in the file is found. */
#include "parse-js.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js-eval.h"
#include "js-lex.h"
#include "strbuf.h"

#define JS_MAX_RECURSION 200 /* expressions inside expressions (stack safety) */

typedef enum export_kind {
        EXPORT_NONE,
        EXPORT_CJS,  /* module.exports… */
        EXPORT_ESM,  /* export default */
        EXPORT_BARE, /* a JSON file, or a top-level ({…}) or […] */
} export_kind;

typedef struct parser {
        js_eval ev;
        const char *text;
        js_tokens toks;
        size_t pos;
        js_token eof;
        unsigned depth;
        bool panic; /* after a syntax error: unwind to the statement and skip it */
        value *exported;
        export_kind export_kind;
        loc export_where;
        bool exports_replaced;
} parser;

static jsval parse_assign(parser *p);
static jsval parse_unary(parser *p);

static void report_always(parser *p, loc where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report_always(parser *p, loc where, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        js_report(&p->ev, DIAG_ERROR, where, fmt, ap);
        va_end(ap);
}

/* Syntax errors are reported even while skipping (the file cannot be read past them). */
static void syntax_error(parser *p, const js_token *t, const char *expected) {
        char buf[64];

        if (!p->panic)
                report_always(p, t->where, "found %s, expected %s", js_tok_describe(t, p->text, buf), expected);
        p->panic = true;
}

/* ---- tokens ---- */

static const js_token *peek(const parser *p) {
        return p->ev.fatal ? &p->eof : &p->toks.v[p->pos];
}

static const js_token *peek_at(const parser *p, size_t k) {
        if (p->ev.fatal || p->pos + k >= p->toks.n)
                return &p->eof;
        return &p->toks.v[p->pos + k];
}

static const js_token *next(parser *p) {
        const js_token *t = peek(p);

        if (t->type != JT_EOF)
                p->pos++;
        return t;
}

static bool is_p(const js_token *t, const char *s) {
        return js_tok_punct(t, s);
}

static bool accept(parser *p, const char *s) {
        if (!is_p(peek(p), s))
                return false;
        next(p);
        return true;
}

static bool expect(parser *p, const char *s, const char *expected) {
        if (accept(p, s))
                return true;
        syntax_error(p, peek(p), expected);
        return false;
}

static bool is_opener(const js_token *t) {
        return is_p(t, "(") || is_p(t, "[") || is_p(t, "{");
}

static bool is_closer(const js_token *t) {
        return is_p(t, ")") || is_p(t, "]") || is_p(t, "}");
}

/* Skips a bracketed group starting at the current token (an opener). */
static void skip_balanced(parser *p) {
        long depth = 0;

        do {
                const js_token *t = next(p);

                if (t->type == JT_EOF) {
                        syntax_error(p, t, "a closing bracket");
                        return;
                }
                if (is_opener(t))
                        depth++;
                else if (is_closer(t))
                        depth--;
        } while (depth > 0);
}

/* The index of the token after the group opened at index i, or 0 if unclosed. */
static size_t group_end(const parser *p, size_t i) {
        long depth = 0;

        for (; i < p->toks.n && p->toks.v[i].type != JT_EOF; i++) {
                if (is_opener(&p->toks.v[i]))
                        depth++;
                else if (is_closer(&p->toks.v[i]) && --depth == 0)
                        return i + 1;
        }
        return 0;
}

static bool enter(parser *p) {
        if (++p->depth > JS_MAX_RECURSION && !p->ev.fatal) {
                diag_error(p->ev.dl, peek(p)->where, "found expressions nested more than %d levels deep, expected simpler code",
                           JS_MAX_RECURSION);
                p->ev.fatal = true;
        }
        return !p->ev.fatal;
}

static void leave(parser *p) {
        p->depth--;
}

/* ---- expressions ---- */

/* At '(' after a callee (consumed): parses the arguments and calls. */
static jsval parse_call(parser *p, jsval callee, size_t first_tok, loc start) {
        jsval *args = NULL, r = jv_err();
        loc *argw = NULL;
        size_t n = 0, cap = 0;

        next(p);
        while (!p->panic && !is_p(peek(p), ")")) {
                loc w = peek(p)->where;
                jsval a;

                if (accept(p, "...")) {
                        js_unsupported(&p->ev, w, "spreading arguments with '...'");
                        a = parse_assign(p);
                        jv_free(&a);
                } else
                        a = parse_assign(p);
                if (n == cap) {
                        size_t c = cap ? cap * 2 : 4;
                        jsval *na = realloc(args, c * sizeof(*na));
                        loc *nw = na ? realloc(argw, c * sizeof(*nw)) : NULL;

                        if (na)
                                args = na;
                        if (nw)
                                argw = nw;
                        if (!na || !nw) {
                                jv_free(&a);
                                js_oom(&p->ev);
                                break;
                        }
                        cap = c;
                }
                args[n] = a;
                argw[n++] = w;
                if (!accept(p, ","))
                        break;
        }
        expect(p, ")", "',' or ')'");
        if (!p->panic) {
                if (callee.kind == JV_FUNC)
                        r = js_call(&p->ev, callee.fn, args, argw, n, start);
                else if (callee.kind != JV_ERROR) {
                        const js_token *a = &p->toks.v[first_tok], *b = &p->toks.v[p->pos - 1];
                        size_t len = b->end - a->off;
                        char *src = xstrndup(p->text + a->off, len), buf[72], what[100];

                        if (!src)
                                js_oom(&p->ev);
                        else {
                                snprintf(what, sizeof(what), "calling '%s'", js_shown(src, buf));
                                js_unsupported(&p->ev, start, what);
                        }
                        free(src);
                }
        }
        for (size_t i = 0; i < n; i++)
                jv_free(&args[i]);
        free(args);
        free(argw);
        jv_free(&callee);
        return r;
}

static void skip_arrow_body(parser *p) {
        if (is_p(peek(p), "{"))
                skip_balanced(p);
        else {
                jsval x;

                p->ev.suppress++;
                x = parse_assign(p);
                p->ev.suppress--;
                jv_free(&x);
        }
}

static void skip_function(parser *p) {
        accept(p, "*");
        if (peek(p)->type == JT_NAME)
                next(p);
        if (!is_p(peek(p), "(")) {
                syntax_error(p, peek(p), "'('");
                return;
        }
        skip_balanced(p);
        if (!is_p(peek(p), "{")) {
                syntax_error(p, peek(p), "'{'");
                return;
        }
        skip_balanced(p);
}

/* After 'async': skips `function …`, `x => …` or `(…) => …`. */
static void skip_async(parser *p) {
        size_t end;

        if (js_tok_name(peek(p), "function")) {
                next(p);
                skip_function(p);
                return;
        }
        if (peek(p)->type == JT_NAME && is_p(peek_at(p, 1), "=>")) {
                next(p);
                next(p);
                skip_arrow_body(p);
                return;
        }
        if (is_p(peek(p), "(") && !p->ev.fatal && (end = group_end(p, p->pos)) && end < p->toks.n &&
            is_p(&p->toks.v[end], "=>")) {
                p->pos = end + 1;
                skip_arrow_body(p);
        }
}

static jsval parse_template(parser *p) {
        const js_token *t = next(p);
        loc where = t->where;
        strbuf sb = STRBUF_INIT;
        bool ok = true;

        strbuf_add(&sb, t->s, t->len);
        if (t->type == JT_TEMPLATE_HEAD)
                for (;;) {
                        loc w = peek(p)->where;
                        value *v = js_to_value(&p->ev, parse_assign(p), w);

                        if (v)
                                js_append_string(&sb, v);
                        else
                                ok = false;
                        value_free(v);
                        t = peek(p);
                        if (t->type != JT_TEMPLATE_MIDDLE && t->type != JT_TEMPLATE_TAIL) {
                                syntax_error(p, t, "'}' ending the ${…} substitution");
                                ok = false;
                                break;
                        }
                        next(p);
                        strbuf_add(&sb, t->s, t->len);
                        if (t->type == JT_TEMPLATE_TAIL)
                                break;
                }
        if (!ok) {
                strbuf_free(&sb);
                return jv_err();
        }
        return js_sb_string(&p->ev, &sb, where);
}

static bool enter_nest(parser *p, loc where) {
        if (p->ev.nest >= JS_MAX_NEST) {
                if (!p->ev.fatal)
                        diag_error(p->ev.dl, where, "found nesting deeper than %d levels, expected at most %d", JS_MAX_NEST,
                                   JS_MAX_NEST);
                p->ev.fatal = true;
                return false;
        }
        p->ev.nest++;
        return true;
}

static jsval parse_array(parser *p) {
        const js_token *open = next(p);
        value *arr;

        if (!enter_nest(p, open->where))
                return jv_err();
        arr = value_new(V_ARRAY, open->where);
        if (!arr) {
                p->ev.nest--;
                js_oom(&p->ev);
                return jv_err();
        }
        while (!p->panic && !is_p(peek(p), "]")) {
                loc w = peek(p)->where;
                value *v;

                if (accept(p, ",")) { /* a hole */
                        if (value_array_push(arr, value_new(V_UNDEFINED, w)) < 0)
                                js_oom(&p->ev);
                        continue;
                }
                if (accept(p, "...")) {
                        w = peek(p)->where;
                        v = js_to_value(&p->ev, parse_assign(p), w);
                        if (v && v->type == V_ARRAY) {
                                for (size_t i = 0; i < v->arr.n; i++) {
                                        if (value_array_push(arr, v->arr.items[i]) < 0)
                                                js_oom(&p->ev);
                                        v->arr.items[i] = NULL;
                                }
                        } else if (v && v->type == V_STRING)
                                js_unsupported(&p->ev, w, "spreading a string");
                        else if (v)
                                js_error(&p->ev, w, "found %s, expected an array to spread", value_type_name(v->type));
                        value_free(v);
                } else {
                        v = js_to_value(&p->ev, parse_assign(p), w);
                        if (v && value_array_push(arr, v) < 0)
                                js_oom(&p->ev);
                }
                if (!accept(p, ","))
                        break;
        }
        expect(p, "]", "',' or ']'");
        p->ev.nest--;
        return jv_of(&p->ev, arr);
}

static void set_member(parser *p, value *obj, const char *key, loc key_where, jsval x, loc where) {
        value *v = js_to_value(&p->ev, x, where);

        if (v && value_object_set(obj, key, key_where, v) < 0)
                js_oom(&p->ev);
}

static void spread_object(parser *p, value *obj, loc where) {
        jsval x = parse_assign(p);
        value *v;

        if (x.kind == JV_ENV) {
                js_env_spread(&p->ev, obj, where);
                return;
        }
        v = js_to_value(&p->ev, x, where);
        if (!v)
                return;
        if (v->type == V_OBJECT) {
                for (size_t i = 0; i < v->obj.n; i++) {
                        member *m = &v->obj.m[i];

                        if (value_object_set(obj, m->key, m->key_where, m->val) < 0)
                                js_oom(&p->ev);
                        m->val = NULL;
                }
        } else if (v->type == V_ARRAY) {
                for (size_t i = 0; i < v->arr.n; i++) {
                        char key[32];

                        snprintf(key, sizeof(key), "%zu", i);
                        if (value_object_set(obj, key, v->arr.items[i]->where, v->arr.items[i]) < 0)
                                js_oom(&p->ev);
                        v->arr.items[i] = NULL;
                }
        } else if (v->type == V_STRING)
                js_unsupported(&p->ev, where, "spreading a string");
        value_free(v);
}

/* Skips the rest of a method: (params) { body }. */
static void skip_method(parser *p) {
        if (!is_p(peek(p), "(")) {
                syntax_error(p, peek(p), "'('");
                return;
        }
        skip_balanced(p);
        if (!is_p(peek(p), "{")) {
                syntax_error(p, peek(p), "'{'");
                return;
        }
        skip_balanced(p);
}

static void parse_member(parser *p, value *obj) {
        const js_token *k = peek(p), *t;
        char nbuf[VALUE_NUMBER_BUF];
        const char *key;
        loc vw;

        if (k->type == JT_NAME || k->type == JT_STRING)
                key = k->s;
        else if (k->type == JT_NUMBER)
                key = value_number_to_string(k->num, nbuf);
        else if (is_p(k, "[")) {
                jsval x;

                js_unsupported(&p->ev, k->where, "a computed key '[…]'");
                skip_balanced(p);
                if (is_p(peek(p), "(")) {
                        skip_method(p);
                        return;
                }
                if (expect(p, ":", "':'")) {
                        x = parse_assign(p);
                        jv_free(&x);
                }
                return;
        } else if (is_p(k, "*")) {
                js_unsupported(&p->ev, k->where, "a generator method");
                next(p);
                if (peek(p)->type != JT_EOF && !is_opener(peek(p)))
                        next(p);
                skip_method(p);
                return;
        } else {
                syntax_error(p, k, "a key or '}'");
                return;
        }
        next(p);
        t = peek(p);
        if (k->type == JT_NAME && (!strcmp(key, "get") || !strcmp(key, "set") || !strcmp(key, "async")) &&
            (t->type == JT_NAME || t->type == JT_STRING || t->type == JT_NUMBER || is_p(t, "[") || is_p(t, "*"))) {
                js_unsupported(&p->ev, k->where, "a getter, setter or async method");
                accept(p, "*");
                if (is_p(peek(p), "["))
                        skip_balanced(p);
                else
                        next(p);
                skip_method(p);
                return;
        }
        if (is_p(t, "(")) {
                js_unsupported(&p->ev, k->where, "a method");
                skip_method(p);
                return;
        }
        if (!strcmp(key, "__proto__")) {
                js_error(&p->ev, k->where, "found the key '__proto__', expected another key (it would set the object's prototype)");
                if (accept(p, ":")) {
                        jsval x = parse_assign(p);

                        jv_free(&x);
                }
                return;
        }
        if (accept(p, ":")) {
                vw = peek(p)->where;
                set_member(p, obj, key, k->where, parse_assign(p), vw);
                return;
        }
        if (k->type == JT_NAME && !js_is_reserved(key) && (is_p(t, ",") || is_p(t, "}"))) {
                set_member(p, obj, key, k->where, js_resolve_name(&p->ev, key, k->where), k->where);
                return;
        }
        syntax_error(p, t, "':'");
}

static jsval parse_object(parser *p) {
        const js_token *open = next(p);
        value *obj;

        if (!enter_nest(p, open->where))
                return jv_err();
        obj = value_new(V_OBJECT, open->where);
        if (!obj) {
                p->ev.nest--;
                js_oom(&p->ev);
                return jv_err();
        }
        while (!p->panic && !is_p(peek(p), "}")) {
                if (accept(p, "..."))
                        spread_object(p, obj, peek(p)->where);
                else
                        parse_member(p, obj);
                if (!accept(p, ","))
                        break;
        }
        expect(p, "}", "',' or '}'");
        p->ev.nest--;
        return jv_of(&p->ev, obj);
}

/* Might the '(' at the current position start arrow-function parameters? */
static bool maybe_arrow(const parser *p) {
        const js_token *a = peek_at(p, 1), *b = peek_at(p, 2);

        return is_p(a, ")") || is_p(a, "...") || is_p(a, "{") || is_p(a, "[") ||
               (a->type == JT_NAME && (is_p(b, ",") || is_p(b, ")") || is_p(b, "=")));
}

static jsval parse_paren(parser *p) {
        const js_token *open = peek(p);
        jsval x;

        if (!p->ev.fatal && maybe_arrow(p)) {
                size_t end = group_end(p, p->pos);

                if (end && end < p->toks.n && is_p(&p->toks.v[end], "=>") && !p->toks.v[end].nl_before) {
                        js_unsupported(&p->ev, open->where, "an arrow function");
                        p->pos = end + 1;
                        skip_arrow_body(p);
                        return jv_err();
                }
        }
        next(p);
        x = parse_assign(p);
        if (!expect(p, ")", "')'"))
                jv_free(&x);
        return x;
}

static jsval parse_keyword(parser *p, const js_token *t) {
        const char *w = t->s;
        char what[64];
        jsval x;

        if (!strcmp(w, "true") || !strcmp(w, "false"))
                return jv_of(&p->ev, value_new_bool(w[0] == 't', t->where));
        if (!strcmp(w, "null"))
                return jv_of(&p->ev, value_new(V_NULL, t->where));
        if (!strcmp(w, "function")) {
                js_unsupported(&p->ev, t->where, "'function'");
                skip_function(p);
                return jv_err();
        }
        if (!strcmp(w, "class")) {
                js_unsupported(&p->ev, t->where, "'class'");
                while (peek(p)->type != JT_EOF && !is_p(peek(p), "{"))
                        next(p);
                skip_balanced(p);
                return jv_err();
        }
        if (!strcmp(w, "new")) {
                js_unsupported(&p->ev, t->where, "'new'");
                p->ev.suppress++;
                x = parse_unary(p);
                p->ev.suppress--;
                jv_free(&x);
                return jv_err();
        }
        if (!strcmp(w, "import")) {
                if (accept(p, ".")) {
                        if (!js_tok_name(peek(p), "meta")) {
                                syntax_error(p, peek(p), "'meta'");
                                return jv_err();
                        }
                        next(p);
                        return jv_host(JV_META);
                }
                js_unsupported(&p->ev, t->where, "import()");
                if (is_p(peek(p), "("))
                        skip_balanced(p);
                return jv_err();
        }
        if (!strcmp(w, "this") || !strcmp(w, "super")) {
                snprintf(what, sizeof(what), "'%s'", w);
                js_unsupported(&p->ev, t->where, what);
                return jv_err();
        }
        p->pos--;
        syntax_error(p, t, "a value");
        return jv_err();
}

static jsval parse_primary(parser *p) {
        const js_token *t = peek(p);

        switch (t->type) {
        case JT_NUMBER:
                next(p);
                return jv_of(&p->ev, value_new_number(t->num, t->where));
        case JT_STRING:
                next(p);
                return jv_of(&p->ev, value_new_string(t->s, t->len, t->where));
        case JT_TEMPLATE:
        case JT_TEMPLATE_HEAD:
                return parse_template(p);
        case JT_REGEX:
                next(p);
                js_unsupported(&p->ev, t->where, "a regular expression literal");
                return jv_err();
        case JT_NAME:
                next(p);
                if (is_p(peek(p), "=>") && !peek(p)->nl_before) {
                        js_unsupported(&p->ev, t->where, "an arrow function");
                        next(p);
                        skip_arrow_body(p);
                        return jv_err();
                }
                if (!strcmp(t->s, "async") && !js_lookup(&p->ev, "async") &&
                    (js_tok_name(peek(p), "function") || is_p(peek(p), "(") || peek(p)->type == JT_NAME)) {
                        js_unsupported(&p->ev, t->where, "an async function");
                        skip_async(p);
                        return jv_err();
                }
                if (js_is_reserved(t->s))
                        return parse_keyword(p, t);
                return js_resolve_name(&p->ev, t->s, t->where);
        case JT_PUNCT:
                if (is_p(t, "("))
                        return parse_paren(p);
                if (is_p(t, "["))
                        return parse_array(p);
                if (is_p(t, "{"))
                        return parse_object(p);
                break;
        default:
                break;
        }
        syntax_error(p, t, "a value");
        return jv_err();
}

static jsval computed_member(parser *p, const jsval *obj, loc start) {
        const js_token *open = next(p);
        loc w = peek(p)->where;
        char nbuf[VALUE_NUMBER_BUF];
        value *k = js_to_value(&p->ev, parse_assign(p), w);
        jsval r = jv_err();

        expect(p, "]", "']'");
        if (k && !p->panic) {
                if (k->type == V_STRING)
                        r = js_member(&p->ev, obj, k->str.s, w, start);
                else if (k->type == V_NUMBER)
                        r = js_member(&p->ev, obj, value_number_to_string(k->num, nbuf), w, start);
                else
                        js_unsupported(&p->ev, open->where, "a computed member that is not a string or number");
        }
        value_free(k);
        return r;
}

static jsval parse_postfix(parser *p) {
        size_t first = p->pos;
        loc start = peek(p)->where;
        jsval x = parse_primary(p);

        while (!p->panic) {
                const js_token *t = peek(p);
                jsval y;

                if (accept(p, ".")) {
                        const js_token *name = peek(p);

                        if (name->type != JT_NAME) {
                                syntax_error(p, name, "a property name");
                                break;
                        }
                        next(p);
                        y = js_member(&p->ev, &x, name->s, name->where, start);
                } else if (is_p(t, "?.")) {
                        js_unsupported(&p->ev, t->where, "optional chaining '?.'");
                        next(p);
                        if (peek(p)->type == JT_NAME)
                                next(p);
                        y = jv_err();
                } else if (is_p(t, "[")) {
                        if (!enter(p)) {
                                leave(p);
                                break;
                        }
                        y = computed_member(p, &x, start);
                        leave(p);
                } else if (is_p(t, "(")) {
                        if (!enter(p)) {
                                leave(p);
                                break;
                        }
                        x = parse_call(p, x, first, start);
                        leave(p);
                        continue;
                } else if (t->type == JT_TEMPLATE || t->type == JT_TEMPLATE_HEAD) {
                        js_unsupported(&p->ev, t->where, "a tagged template");
                        y = parse_template(p);
                        jv_free(&y);
                } else if ((is_p(t, "++") || is_p(t, "--")) && !t->nl_before) {
                        js_unsupported(&p->ev, t->where, is_p(t, "++") ? "'++'" : "'--'");
                        next(p);
                        y = jv_err();
                } else
                        break;
                jv_free(&x);
                x = y;
        }
        return x;
}

static jsval parse_unary(parser *p) {
        const js_token *t = peek(p);
        static const char *const bad_words[] = { "typeof", "void", "delete", "await", "yield" };
        char what[64];
        value *v;
        jsval x;

        if (is_p(t, "!") || is_p(t, "-") || is_p(t, "+")) {
                loc w;

                next(p);
                w = peek(p)->where;
                if (enter(p))
                        x = parse_unary(p);
                else
                        x = jv_err();
                leave(p);
                v = js_to_value(&p->ev, x, w);
                if (!v)
                        return jv_err();
                if (is_p(t, "!"))
                        x = jv_of(&p->ev, value_new_bool(!js_truthy(v), t->where));
                else {
                        double d = js_to_number(&p->ev, v);

                        x = jv_of(&p->ev, value_new_number(is_p(t, "-") ? -d : d, t->where));
                }
                value_free(v);
                return x;
        }
        what[0] = '\0';
        if (is_p(t, "~") || is_p(t, "++") || is_p(t, "--"))
                snprintf(what, sizeof(what), "the prefix operator '%s'", t->p);
        for (size_t i = 0; t->type == JT_NAME && i < sizeof(bad_words) / sizeof(bad_words[0]); i++)
                if (!strcmp(t->s, bad_words[i]))
                        snprintf(what, sizeof(what), "'%s'", t->s);
        if (what[0]) {
                js_unsupported(&p->ev, t->where, what);
                next(p);
                p->ev.suppress++;
                if (enter(p)) {
                        x = parse_unary(p);
                        jv_free(&x);
                }
                leave(p);
                p->ev.suppress--;
                return jv_err();
        }
        return parse_postfix(p);
}

static int binop_prec(const js_token *t) {
        static const struct {
                const char *op;
                int prec;
        } ops[] = {
                { "??", 1 }, { "||", 1 }, { "&&", 2 }, { "|", 3 }, { "^", 4 }, { "&", 5 },
                { "==", 6 }, { "!=", 6 }, { "===", 6 }, { "!==", 6 },
                { "<", 7 }, { ">", 7 }, { "<=", 7 }, { ">=", 7 }, { "in", 7 }, { "instanceof", 7 },
                { "<<", 8 }, { ">>", 8 }, { ">>>", 8 }, { "+", 9 }, { "-", 9 }, { "*", 10 }, { "/", 10 },
                { "%", 10 }, { "**", 11 },
        };
        const char *s = t->type == JT_PUNCT ? t->p : t->type == JT_NAME ? t->s : NULL;

        for (size_t i = 0; s && i < sizeof(ops) / sizeof(ops[0]); i++)
                if (!strcmp(s, ops[i].op) && (t->type == JT_PUNCT) == (ops[i].op[0] != 'i'))
                        return ops[i].prec;
        return 0;
}

/* Is x truthy? -1 for an error (unknown). Host objects are objects: truthy. */
static int truthiness(const jsval *x) {
        if (x->kind == JV_ERROR)
                return -1;
        return x->kind != JV_VALUE || js_truthy(x->v);
}

/* Would JavaScript skip the right operand of op after left? (Unknown: yes, so an
 * expression that is already wrong has no side effects.) */
static bool short_circuits(const jsval *left, const char *op) {
        int t = truthiness(left);

        if (t < 0)
                return true;
        if (!strcmp(op, "||"))
                return t;
        if (!strcmp(op, "&&"))
                return !t;
        if (!strcmp(op, "??"))
                return !(left->kind == JV_VALUE && (left->v->type == V_UNDEFINED || left->v->type == V_NULL));
        return false;
}

static bool mixes(const char *op, const char *other) {
        bool a = !strcmp(op, "??"), b = other && !strcmp(other, "??");

        return other && (!strcmp(other, "||") || !strcmp(other, "&&") || b) &&
               (!strcmp(op, "||") || !strcmp(op, "&&") || a) && a != b;
}

/* Precedence climbing; *top is the operator applied last (for the ?? mixing rule). */
static jsval parse_binary(parser *p, int min_prec, const char **top) {
        loc start = peek(p)->where;
        const char *ltop = NULL;
        jsval left = parse_unary(p);

        while (!p->panic) {
                const js_token *t = peek(p);
                int prec = binop_prec(t);
                const char *op, *rtop = NULL;
                loc rstart;
                jsval right;
                bool skip;

                if (prec == 0 || prec < min_prec)
                        break;
                op = t->type == JT_PUNCT ? t->p : t->s;
                next(p);
                rstart = peek(p)->where;
                if (!js_supported_binop(op)) {
                        char what[64];

                        snprintf(what, sizeof(what), "the operator '%s'", op);
                        js_unsupported(&p->ev, t->where, what);
                        jv_free(&left);
                        p->ev.suppress++;
                        right = parse_binary(p, prec + 1, &rtop);
                        p->ev.suppress--;
                        jv_free(&right);
                        ltop = op;
                        continue;
                }
                skip = short_circuits(&left, op);
                p->ev.dead += skip;
                right = parse_binary(p, prec + 1, &rtop);
                p->ev.dead -= skip;
                if (mixes(op, ltop) || mixes(op, rtop))
                        js_error(&p->ev, t->where, "found '%s' mixed with '%s', expected parentheses around one of them", op,
                              mixes(op, ltop) ? ltop : rtop);
                left = js_binary(&p->ev, op, left, right, start, rstart, t->where);
                ltop = op;
        }
        *top = ltop;
        return left;
}

static jsval parse_cond(parser *p) {
        loc start = peek(p)->where;
        const char *top;
        jsval c = parse_binary(p, 1, &top), a, b;
        value *cv;
        int t;

        if (!is_p(peek(p), "?"))
                return c;
        next(p);
        t = truthiness(&c); /* the branch JavaScript skips is read for errors only */
        p->ev.dead += t != 1;
        a = parse_assign(p);
        p->ev.dead -= t != 1;
        expect(p, ":", "':'");
        p->ev.dead += t != 0;
        b = parse_assign(p);
        p->ev.dead -= t != 0;
        cv = js_to_value(&p->ev, c, start);
        if (!cv) {
                jv_free(&a);
                jv_free(&b);
                return jv_err();
        }
        if (js_truthy(cv))
                jv_free(&b);
        else
                jv_free(&a);
        value_free(cv);
        return a.kind == JV_ERROR ? b : a;
}

static bool is_assign_op(const js_token *t) {
        static const char *const ops[] = { "=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=",
                                           "&=", "|=", "^=", "&&=", "||=", "?\?=" };

        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
                if (is_p(t, ops[i]))
                        return true;
        return false;
}

static jsval parse_assign(parser *p) {
        jsval x = jv_err();

        if (p->panic)
                return x;
        if (enter(p)) {
                const js_token *t;

                x = parse_cond(p);
                t = peek(p);
                if (!p->panic && is_assign_op(t)) {
                        char what[64];
                        jsval r;

                        snprintf(what, sizeof(what), "assignment with '%s'", t->p);
                        js_unsupported(&p->ev, t->where, what);
                        next(p);
                        p->ev.suppress++;
                        r = parse_assign(p);
                        p->ev.suppress--;
                        jv_free(&r);
                        jv_free(&x);
                }
        }
        leave(p);
        return x;
}

/* ---- statements ---- */

static void set_export(parser *p, export_kind kind, jsval x, loc stmt, loc where) {
        value *v = js_to_value(&p->ev, x, where);

        if (p->export_kind != EXPORT_NONE && !(kind == EXPORT_CJS && p->export_kind == EXPORT_CJS)) {
                js_error(&p->ev, stmt, "found a second export, expected one exported configuration (the first is on line %u)",
                      p->export_where.line);
                value_free(v);
                return;
        }
        p->export_kind = kind;
        p->export_where = stmt;
        if (kind == EXPORT_CJS)
                p->exports_replaced = true;
        if (!v)
                return;
        value_free(p->exported);
        p->exported = v;
}

static void set_export_member(parser *p, bool via_exports, const char *key, loc key_where, jsval x, loc stmt,
                              loc where) {
        value *v = js_to_value(&p->ev, x, where);
        char buf[72];

        if (!v)
                return;
        if (p->export_kind == EXPORT_ESM || p->export_kind == EXPORT_BARE) {
                js_error(&p->ev, stmt, "found a second export, expected one exported configuration (the first is on line %u)",
                      p->export_where.line);
        } else if (via_exports && p->exports_replaced) {
                js_error(&p->ev, stmt, "found exports.%s after module.exports was replaced, expected module.exports.%s",
                      js_shown(key, buf), buf);
        } else if (p->exported && p->exported->type != V_OBJECT) {
                js_error(&p->ev, key_where, "found module.exports.%s, but module.exports is %s, expected an object",
                      js_shown(key, buf), value_type_name(p->exported->type));
        } else {
                if (!p->exported) {
                        p->exported = value_new(V_OBJECT, stmt);
                        if (!p->exported) {
                                value_free(v);
                                js_oom(&p->ev);
                                return;
                        }
                        p->export_kind = EXPORT_CJS;
                        p->export_where = stmt;
                }
                if (value_object_set(p->exported, key, key_where, v) < 0)
                        js_oom(&p->ev);
                return;
        }
        value_free(v);
}

/* module.exports = X, module.exports.key = X, module.exports['key'] = X, exports.key = X */
static void parse_exports_assign(parser *p) {
        const js_token *t0 = next(p), *k = NULL;
        bool via_exports = !strcmp(t0->s, "exports");
        loc w;
        jsval x;

        if (!via_exports) {
                next(p); /* '.' */
                if (!js_tok_name(peek(p), "exports")) {
                        syntax_error(p, peek(p), "'exports'");
                        return;
                }
                next(p);
        }
        if (accept(p, ".")) {
                k = peek(p);
                if (k->type != JT_NAME) {
                        syntax_error(p, k, "a property name");
                        return;
                }
                next(p);
        } else if (accept(p, "[")) {
                k = peek(p);
                if (k->type != JT_STRING) {
                        syntax_error(p, k, "a quoted key");
                        return;
                }
                next(p);
                if (!expect(p, "]", "']'"))
                        return;
        } else if (via_exports) {
                js_unsupported(&p->ev, t0->where, "assigning to 'exports' (write module.exports = …)");
        }
        if (k && (is_p(peek(p), ".") || is_p(peek(p), "["))) {
                char buf[72], what[128];

                snprintf(what, sizeof(what), "changing module.exports.%s in place", js_shown(k->s, buf));
                js_unsupported(&p->ev, peek(p)->where, what);
                p->panic = true; /* skip the statement quietly */
                return;
        }
        if (!expect(p, "=", "'='"))
                return;
        w = peek(p)->where;
        x = parse_assign(p);
        if (p->panic) {
                jv_free(&x);
                return;
        }
        if (k)
                set_export_member(p, via_exports, k->s, k->where, x, t0->where, w);
        else if (!via_exports)
                set_export(p, EXPORT_CJS, x, t0->where, w);
        else
                jv_free(&x);
}

typedef struct pattern_entry {
        const js_token *key, *name;
        jsval def;
        bool has_def;
} pattern_entry;

/* const { a, b: c, d = 1 } = X */
static void parse_object_pattern(parser *p, bool is_var) {
        pattern_entry *e = NULL;
        size_t n = 0, cap = 0;
        loc w;
        jsval init;

        next(p);
        while (!p->panic && !is_p(peek(p), "}")) {
                const js_token *k = peek(p);
                pattern_entry pe = { .key = k, .name = k, .def = jv_err() };

                if (is_p(k, "...")) {
                        js_unsupported(&p->ev, k->where, "rest properties '...'");
                        next(p);
                        if (peek(p)->type == JT_NAME)
                                next(p);
                        pe.name = NULL;
                } else if (k->type == JT_NAME || k->type == JT_STRING) {
                        next(p);
                        if (accept(p, ":")) {
                                const js_token *t = peek(p);

                                if (t->type == JT_NAME && !js_is_reserved(t->s)) {
                                        next(p);
                                        pe.name = t;
                                } else if (is_p(t, "{") || is_p(t, "[")) {
                                        js_unsupported(&p->ev, t->where, "nested destructuring");
                                        skip_balanced(p);
                                        pe.name = NULL;
                                } else
                                        syntax_error(p, t, "a name");
                        } else if (k->type != JT_NAME || js_is_reserved(k->s))
                                syntax_error(p, peek(p), "':'");
                        if (accept(p, "=")) {
                                pe.def = parse_assign(p);
                                pe.has_def = true;
                        }
                } else {
                        syntax_error(p, k, "a name or '}'");
                        break;
                }
                if (n == cap) {
                        size_t c = cap ? cap * 2 : 8;
                        pattern_entry *ne = realloc(e, c * sizeof(*ne));

                        if (!ne) {
                                jv_free(&pe.def);
                                js_oom(&p->ev);
                                break;
                        }
                        e = ne;
                        cap = c;
                }
                e[n++] = pe;
                if (!accept(p, ","))
                        break;
        }
        if (expect(p, "}", "',' or '}'"))
                expect(p, "=", "'=' and a value to destructure");
        w = peek(p)->where;
        init = p->panic ? jv_err() : parse_assign(p);
        for (size_t i = 0; i < n; i++) {
                jsval v;

                if (!e[i].name) {
                        jv_free(&e[i].def);
                        continue;
                }
                v = p->panic ? jv_err() : js_member(&p->ev, &init, e[i].key->s, e[i].key->where, w);
                if (e[i].has_def && v.kind == JV_VALUE && v.v->type == V_UNDEFINED) {
                        jv_free(&v);
                        v = e[i].def;
                        e[i].def = jv_err();
                }
                jv_free(&e[i].def);
                js_define(&p->ev, e[i].name->s, e[i].name->where, is_var, v);
        }
        jv_free(&init);
        free(e);
}

static void parse_declaration(parser *p) {
        const js_token *kw = next(p);
        bool is_const = !strcmp(kw->s, "const"), is_var = !strcmp(kw->s, "var");

        do {
                const js_token *t = peek(p);
                jsval x;

                if (is_p(t, "{")) {
                        parse_object_pattern(p, is_var);
                } else if (is_p(t, "[")) {
                        js_unsupported(&p->ev, t->where, "array destructuring");
                        skip_balanced(p);
                        if (accept(p, "=")) {
                                x = parse_assign(p);
                                jv_free(&x);
                        }
                } else if (t->type == JT_NAME && !js_is_reserved(t->s)) {
                        next(p);
                        if (accept(p, "="))
                                x = parse_assign(p);
                        else if (is_const) {
                                syntax_error(p, peek(p), "'=' and a value");
                                x = jv_err();
                        } else
                                x = jv_of(&p->ev, value_new(V_UNDEFINED, t->where));
                        js_define(&p->ev, t->s, t->where, is_var, x);
                } else {
                        syntax_error(p, t, "a name");
                }
        } while (!p->panic && accept(p, ","));
}

/* import 'm'; import x from 'm'; import * as x from 'm'; import { a, b as c } from 'm' */
static void parse_import(parser *p) {
        const js_token *t, *def = NULL, *ns = NULL;
        const js_token **named = NULL; /* pairs: imported name, local name */
        size_t n = 0;
        jsval m;

        next(p); /* import */
        t = peek(p);
        if (t->type == JT_STRING) {
                next(p);
                m = js_module(&p->ev, t->s, t->where, "import ");
                jv_free(&m);
                return;
        }
        if (t->type == JT_NAME && !js_is_reserved(t->s)) {
                def = next(p);
                if (!accept(p, ","))
                        goto from;
        }
        if (accept(p, "*")) {
                if (!js_tok_name(peek(p), "as")) {
                        syntax_error(p, peek(p), "'as'");
                        return;
                }
                next(p);
                ns = peek(p);
                if (ns->type != JT_NAME || js_is_reserved(ns->s)) {
                        syntax_error(p, ns, "a name");
                        return;
                }
                next(p);
        } else if (accept(p, "{")) {
                while (!p->panic && !is_p(peek(p), "}")) {
                        const js_token *a = peek(p), *b = a, **nn;

                        if (a->type != JT_NAME) {
                                syntax_error(p, a, "a name");
                                break;
                        }
                        next(p);
                        if (js_tok_name(peek(p), "as")) {
                                next(p);
                                b = peek(p);
                                if (b->type != JT_NAME) {
                                        syntax_error(p, b, "a name");
                                        break;
                                }
                                next(p);
                        }
                        if (js_is_reserved(b->s)) {
                                syntax_error(p, b, "a name that is not a reserved word");
                                break;
                        }
                        nn = realloc(named, (n + 2) * sizeof(*nn));
                        if (!nn) {
                                js_oom(&p->ev);
                                break;
                        }
                        named = nn;
                        named[n++] = a;
                        named[n++] = b;
                        if (!accept(p, ","))
                                break;
                }
                expect(p, "}", "',' or '}'");
        } else if (!def) {
                syntax_error(p, peek(p), "a name, '*' or '{'");
        }
from:
        if (!p->panic && !js_tok_name(peek(p), "from"))
                syntax_error(p, peek(p), "'from'");
        else if (!p->panic) {
                next(p);
                t = peek(p);
                if (t->type != JT_STRING)
                        syntax_error(p, t, "a module name");
                else
                        next(p);
        }
        if (p->panic) {
                free(named);
                return;
        }
        if (js_tok_name(peek(p), "with") || js_tok_name(peek(p), "assert")) {
                js_unsupported(&p->ev, peek(p)->where, "an import with attributes");
                next(p);
                if (is_p(peek(p), "{"))
                        skip_balanced(p);
        }
        m = js_module(&p->ev, t->s, t->where, "import from ");
        if (def)
                js_define(&p->ev, def->s, def->where, false, js_copy(&p->ev, &m, def->where));
        if (ns)
                js_define(&p->ev, ns->s, ns->where, false, js_copy(&p->ev, &m, ns->where));
        for (size_t i = 0; i < n; i += 2)
                js_define(&p->ev, named[i + 1]->s, named[i + 1]->where, false,
                       js_member(&p->ev, &m, named[i]->s, named[i]->where, named[i]->where));
        jv_free(&m);
        free(named);
}

static void parse_export(parser *p) {
        const js_token *kw = next(p);
        loc w;

        if (!js_tok_name(peek(p), "default")) {
                js_unsupported(&p->ev, kw->where, "a named export (write export default …)");
                p->panic = true;
                return;
        }
        next(p);
        w = peek(p)->where;
        set_export(p, EXPORT_ESM, parse_assign(p), kw->where, w);
}

static void parse_expression_statement(parser *p) {
        const js_token *t = peek(p);
        size_t start = p->pos;
        bool bare = is_p(t, "{") || is_p(t, "[") || is_p(t, "(");
        size_t dotenv_calls = p->ev.dotenv_calls;
        jsval x = parse_assign(p);

        if (p->panic || x.kind == JV_ERROR) {
                jv_free(&x);
                return;
        }
        if (p->ev.dotenv_calls != dotenv_calls) {
                /* require('dotenv').config(), require('dotenv/config'), cond && dotenv.config() */
                jv_free(&x);
                return;
        }
        if (t->type == JT_STRING && p->pos == start + 1 && !strcmp(t->s, "use strict")) {
                jv_free(&x);
                return;
        }
        if (bare && x.kind == JV_VALUE && js_is_container(x.v)) {
                set_export(p, EXPORT_BARE, x, t->where, t->where);
                return;
        }
        js_error(&p->ev, t->where, "found an expression, expected a declaration, module.exports = … or export default …");
        jv_free(&x);
}

static bool is_statement_start(const parser *p, const js_token *t) {
        const js_token *t1 = peek_at(p, 1);

        if (t->type != JT_NAME || !t->nl_before)
                return false;
        return !strcmp(t->s, "const") || !strcmp(t->s, "let") || !strcmp(t->s, "var") || !strcmp(t->s, "import") ||
               !strcmp(t->s, "export") || ((!strcmp(t->s, "module") || !strcmp(t->s, "exports")) && is_p(t1, "."));
}

/* After an error: skips to the next statement (a ';' or a declaration or export
 * at the start of a line, outside brackets). */
static void recover(parser *p) {
        long depth = 0;

        for (;;) {
                const js_token *t = peek(p);

                if (t->type == JT_EOF || (depth <= 0 && is_statement_start(p, t)))
                        return;
                next(p);
                if (depth <= 0 && is_p(t, ";"))
                        return;
                if (is_opener(t))
                        depth++;
                else if (is_closer(t))
                        depth--;
        }
}

static void end_statement(parser *p) {
        const js_token *t = peek(p);

        if (p->panic || accept(p, ";") || t->type == JT_EOF || t->nl_before)
                return;
        syntax_error(p, t, "';' or a new line");
}

static void parse_statement(parser *p) {
        static const char *const rejected[] = { "if", "for", "while", "do", "switch", "try", "throw", "return",
                                                "function", "class", "break", "continue", "debugger", "with" };
        const js_token *t = peek(p), *t1 = peek_at(p, 1);
        char what[128];

        if (accept(p, ";"))
                return;
        if (t->type == JT_NAME) {
                const char *w = t->s;

                if (!strcmp(w, "const") || !strcmp(w, "let") || !strcmp(w, "var")) {
                        parse_declaration(p);
                        end_statement(p);
                        return;
                }
                if (!strcmp(w, "import") && !is_p(t1, ".") && !is_p(t1, "(")) {
                        parse_import(p);
                        end_statement(p);
                        return;
                }
                if (!strcmp(w, "export")) {
                        parse_export(p);
                        end_statement(p);
                        return;
                }
                if (((!strcmp(w, "module") && is_p(t1, ".")) ||
                     (!strcmp(w, "exports") && (is_p(t1, ".") || is_p(t1, "[") || is_p(t1, "=")))) && !js_lookup(&p->ev, w)) {
                        parse_exports_assign(p);
                        end_statement(p);
                        return;
                }
                for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++)
                        if (!strcmp(w, rejected[i])) {
                                snprintf(what, sizeof(what), "'%s'", w);
                                js_unsupported(&p->ev, t->where, what);
                                next(p);
                                recover(p);
                                return;
                        }
                if (is_assign_op(t1) && !js_is_reserved(w)) {
                        char buf[72];

                        snprintf(what, sizeof(what), "assigning to '%s'", js_shown(w, buf));
                        js_unsupported(&p->ev, t->where, what);
                        next(p);
                        recover(p);
                        return;
                }
                if (is_p(t1, ":") && !js_is_reserved(w)) {
                        js_unsupported(&p->ev, t->where, "a label");
                        next(p);
                        recover(p);
                        return;
                }
        }
        parse_expression_statement(p);
        end_statement(p);
}

#define PATTERN_SCAN_MAX 4096 /* tokens looked back over for `{ … } = process.env` */

static void add_env_ref(parser *p, const js_token *t) {
        if (js_envmap_add(&p->ev.env_refs, t->s, t->len) < 0)
                js_oom(&p->ev);
}

/* The keys of the pattern `{ … }` closed at index close (at its own level). */
static void add_pattern_refs(parser *p, size_t close) {
        const js_token *v = p->toks.v;
        size_t open = close;
        long depth = 0;

        for (;; open--) {
                if (is_closer(&v[open]))
                        depth++;
                else if (is_opener(&v[open]) && --depth == 0)
                        break;
                if (open == 0 || close - open > PATTERN_SCAN_MAX)
                        return;
        }
        if (!is_p(&v[open], "{"))
                return;
        depth = 0;
        for (size_t i = open + 1; i < close; i++) {
                const js_token *t = &v[i];

                if (is_opener(t))
                        depth++;
                else if (is_closer(t))
                        depth--;
                else if (depth == 0 && (t->type == JT_NAME || t->type == JT_STRING) &&
                         (i == open + 1 || is_p(&v[i - 1], ",")) &&
                         (is_p(&v[i + 1], ",") || is_p(&v[i + 1], ":") || is_p(&v[i + 1], "=") || i + 1 == close))
                        add_env_ref(p, t);
        }
}

/* The variables the file names in process.env.NAME, process.env['NAME'] and
 * `{ NAME, … } = process.env`, in order: what `{ ...process.env }` copies. */
static void scan_env_refs(parser *p) {
        const js_token *v = p->toks.v;
        size_t n = p->toks.n;

        for (size_t i = 0; i + 2 < n && !p->ev.fatal; i++) {
                if (!js_tok_name(&v[i], "process") || !is_p(&v[i + 1], ".") || !js_tok_name(&v[i + 2], "env"))
                        continue;
                if (i + 4 < n && is_p(&v[i + 3], ".") && v[i + 4].type == JT_NAME)
                        add_env_ref(p, &v[i + 4]);
                else if (i + 5 < n && is_p(&v[i + 3], "[") &&
                         (v[i + 4].type == JT_STRING || v[i + 4].type == JT_TEMPLATE) && is_p(&v[i + 5], "]"))
                        add_env_ref(p, &v[i + 4]);
                else if (i >= 2 && is_p(&v[i - 1], "=") && is_p(&v[i - 2], "}"))
                        add_pattern_refs(p, i - 2);
        }
}

int js_parse(const char *file, const char *abs_file, const char *text, size_t len, const js_host *host, value **ret,
             diag_list *dl) {
        static const js_host no_host = { .ncpus = 1, .cwd = "/" };
        parser p = {
                .ev = { .file = file, .abs_file = abs_file ? abs_file : file, .host = host, .dl = dl,
                        .errors0 = dl->errors },
                .text = text,
        };
        int r;

        if (!p.ev.host)
                p.ev.host = &no_host;
        p.ev.budget = len < (SIZE_MAX - (1u << 20)) / 64 ? (1u << 20) + 64 * len : SIZE_MAX;
        p.ev.cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
        if (!p.ev.cloc)
                return -ENOMEM;
        r = js_lex(file, text, len, p.ev.cloc, &p.toks, dl);
        if (r < 0)
                goto out;
        p.eof = p.toks.v[p.toks.n - 1];
        scan_env_refs(&p);
        if (dl->errors - p.ev.errors0 < JS_MAX_ERRORS)
                while (peek(&p)->type != JT_EOF) {
                        size_t before = p.pos;

                        parse_statement(&p);
                        if (p.panic) {
                                p.panic = false;
                                recover(&p);
                        }
                        if (p.pos == before)
                                next(&p);
                }
        if (p.ev.oom) {
                r = -ENOMEM;
                goto out;
        }
        if (p.export_kind == EXPORT_NONE && dl->errors == p.ev.errors0) {
                loc whole = { file, 0, 0 };

                diag_error(dl, whole, "found nothing exported, expected module.exports = …, export default … or a JSON value");
        }
        if (dl->errors != p.ev.errors0 || !p.exported) {
                r = -EINVAL;
                goto out;
        }
        js_strip_undefined(p.exported);
        *ret = p.exported;
        p.exported = NULL;
        r = 0;
out:
        value_free(p.exported);
        js_eval_free(&p.ev);
        js_tokens_free(&p.toks);
        freelocale(p.ev.cloc);
        return r;
}
