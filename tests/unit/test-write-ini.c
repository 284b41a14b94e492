/* SPDX-License-Identifier: MIT */
/* value_to_ini() (src/write-ini.c): exact output, every refusal as rendered, and the
 * round trip: tree → value_to_ini → ini_parse_text → ini_unquote()/ini_split_words()
 * gives back every original string, hostile ones included. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse-ini.h"
#include "strbuf.h"
#include "value.h"
#include "write.h"

/* ---- building trees from a table ---------------------------------------------------------- */

typedef struct item {
        char kind; /* a app, s string, n number, b bool, l list, e env object (its members follow),
                    * o nested object, z null, u undefined, N list ending in a null, C list of numbers
                    * (and "true"), t top-level key,
                    * A apps not an array, R root not an object; 0 ends */
        const char *key;
        const char *s;
        size_t len; /* of s; 0 means strlen */
        double num;
        const char *const *words;
} item;

#define END { 0, NULL, NULL, 0, 0, NULL }
#define APP(name) { 'a', NULL, name, 0, 0, NULL }
#define STR(k, v) { 's', k, v, 0, 0, NULL }
#define STRN(k, v, n) { 's', k, v, n, 0, NULL }
#define NUM(k, x) { 'n', k, NULL, 0, x, NULL }
#define BOOL(k, x) { 'b', k, NULL, 0, x, NULL }
#define LIST(k, ...) { 'l', k, NULL, 0, 0, (const char *const[]) { __VA_ARGS__, NULL } }
#define EMPTY_LIST(k) { 'l', k, NULL, 0, 0, (const char *const[]) { NULL } }
#define ENV(k) { 'e', k, NULL, 0, 0, NULL }
#define OF(k, kind) { kind, k, NULL, 0, 0, NULL }

/* Item i is on "line" i+1 of src.js: keys at column 1, values at column 5. */
static loc key_at(size_t i) {
        return (loc) { .file = "src.js", .line = (unsigned) i + 1, .col = 1 };
}

static loc val_at(size_t i) {
        return (loc) { .file = "src.js", .line = (unsigned) i + 1, .col = 5 };
}

static void put(value *obj, const char *key, loc where, value *v) {
        assert_non_null(v);
        assert_int_equal(value_object_set(obj, key, where, v), 0);
}

static value *build(const item *items) {
        loc top = { .file = "src.js" };
        value *root = value_new(V_OBJECT, top), *apps = value_new(V_ARRAY, top), *app = NULL, *into = NULL;

        put(root, "apps", top, apps);
        for (size_t i = 0; items[i].kind; i++) {
                const item *it = &items[i];
                value *v = NULL;

                switch (it->kind) {
                case 'a':
                        app = value_new(V_OBJECT, val_at(i));
                        put(app, "name", key_at(i), value_new_string(it->s, strlen(it->s), val_at(i)));
                        assert_int_equal(value_array_push(apps, app), 0);
                        into = app;
                        continue;
                case 'e':
                        v = value_new(V_OBJECT, val_at(i));
                        put(app, it->key, key_at(i), v);
                        into = v;
                        continue;
                case 't':
                        put(root, it->key, key_at(i), value_new(V_NULL, val_at(i)));
                        continue;
                case 'A':
                        put(root, "apps", key_at(i), value_new_string("x", 1, val_at(i)));
                        continue;
                case 'R':
                        value_free(root);
                        return value_new_number(1, val_at(i));
                case 's':
                        v = value_new_string(it->s, it->len ? it->len : strlen(it->s), val_at(i));
                        break;
                case 'n':
                        v = value_new_number(it->num, val_at(i));
                        break;
                case 'b':
                        v = value_new_bool(it->num != 0, val_at(i));
                        break;
                case 'l':
                case 'N':
                        v = value_new(V_ARRAY, val_at(i));
                        for (size_t j = 0; it->words && it->words[j]; j++)
                                assert_int_equal(value_array_push(v, value_new_string(it->words[j], strlen(it->words[j]),
                                                                                      val_at(i))), 0);
                        if (it->kind == 'N')
                                assert_int_equal(value_array_push(v, value_new(V_NULL, val_at(i))), 0);
                        break;
                case 'C':
                        v = value_new(V_ARRAY, val_at(i));
                        for (size_t j = 0; it->words[j]; j++) {
                                value *x = strcmp(it->words[j], "true") == 0 ? value_new_bool(true, val_at(i))
                                                                             : value_new_number(strtod(it->words[j], NULL),
                                                                                                val_at(i));

                                assert_int_equal(value_array_push(v, x), 0);
                        }
                        break;
                case 'o':
                        v = value_new(V_OBJECT, val_at(i));
                        break;
                case 'z':
                        v = value_new(V_NULL, val_at(i));
                        break;
                case 'u':
                        v = value_new(V_UNDEFINED, val_at(i));
                        break;
                default:
                        fail();
                }
                put(into, it->key, key_at(i), v);
        }
        return root;
}

/* ---- checking a written file by reading it back ------------------------------------------- */

/* The scalar as the model would read it: ini_unquote() of the raw text. */
static char *unquoted(const value *v, size_t *len) {
        strbuf sb = STRBUF_INIT;
        size_t col;
        const char *msg = NULL;

        assert_int_equal(v->type, V_STRING);
        assert_true(v->untyped);
        if (ini_unquote(v->str.s, v->str.len, &sb, &col, &msg) != 0)
                fail_msg("ini_unquote(%s): %zu: %s", v->str.s, col, msg);
        *len = sb.len;
        return strbuf_steal(&sb);
}

static void expect_scalar(const value *parsed, const char *s, size_t len) {
        size_t n;
        char *got = unquoted(parsed, &n);

        if (n != len || memcmp(got, s, len) != 0)
                fail_msg("round trip changed a string: '%s' became '%s'", s, got);
        free(got);
}

static void expect_same(const value *orig, const value *parsed) {
        char num[VALUE_NUMBER_BUF];

        switch (orig->type) {
        case V_STRING:
                expect_scalar(parsed, orig->str.s, orig->str.len);
                break;
        case V_NUMBER:
                value_number_to_string(orig->num, num);
                expect_scalar(parsed, num, strlen(num));
                break;
        case V_BOOL:
                expect_scalar(parsed, orig->b ? "true" : "false", orig->b ? 4 : 5);
                break;
        case V_ARRAY: {
                char **w = NULL;
                size_t n = 0, col;
                const char *msg = NULL;

                assert_int_equal(parsed->type, V_STRING);
                if (ini_split_words(parsed->str.s, parsed->str.len, &w, &n, &col, &msg) != 0)
                        fail_msg("ini_split_words(%s): %zu: %s", parsed->str.s, col, msg);
                assert_int_equal(n, orig->arr.n);
                for (size_t i = 0; i < n; i++) {
                        const value *it = orig->arr.items[i];
                        const char *t = it->type == V_NUMBER ? value_number_to_string(it->num, num)
                                        : it->type == V_BOOL ? (it->b ? "true" : "false")
                                                             : it->str.s;

                        assert_int_equal(strlen(w[i]), it->type == V_STRING ? it->str.len : strlen(t));
                        assert_string_equal(w[i], t);
                        free(w[i]);
                }
                free(w);
                break;
        }
        case V_OBJECT:
                assert_int_equal(parsed->type, V_OBJECT);
                assert_int_equal(parsed->obj.n, orig->obj.n);
                for (size_t i = 0; i < orig->obj.n; i++) {
                        const member *m = value_object_get(parsed, orig->obj.m[i].key);

                        if (!m)
                                fail_msg("round trip lost key '%s'", orig->obj.m[i].key);
                        expect_same(orig->obj.m[i].val, m->val);
                }
                break;
        default:
                fail();
        }
}

/* Every line fits libinih, and reading the file back gives the tree. */
static void expect_round_trip(const value *orig, const char *ini) {
        const member *oa = value_object_get(orig, "apps");
        const member *pa;
        diag_list dl = DIAG_LIST_INIT;
        strbuf sb = STRBUF_INIT;
        value *parsed = NULL;

        for (const char *p = ini; *p;) {
                const char *nl = strchr(p, '\n');

                assert_non_null(nl);
                if ((size_t) (nl - p) > PMGEN_INI_LINE_MAX)
                        fail_msg("line of %zu bytes: %.*s", (size_t) (nl - p), (int) (nl - p), p);
                p = nl + 1;
        }
        if (ini_parse_text("out.ini", ini, strlen(ini), &parsed, &dl) != 0) {
                diag_render(&dl, &sb);
                fail_msg("written file does not parse:\n%s---\n%s", ini, strbuf_str(&sb));
        }
        pa = value_object_get(parsed, "apps");
        assert_int_equal(pa->val->arr.n, oa->val->arr.n);
        for (size_t i = 0; i < oa->val->arr.n; i++)
                expect_same(oa->val->arr.items[i], pa->val->arr.items[i]);
        value_free(parsed);
        diag_list_free(&dl);
}

/* Writes the tree; expected is the text written, or (when `fails`) the rendered
 * diagnostics, with the output buffer left as it was. */
static void test_write_one(const item *items, bool fails, const char *expected) {
        value *v = build(items);
        diag_list dl = DIAG_LIST_INIT;
        strbuf out = STRBUF_INIT, d = STRBUF_INIT;
        int r;

        strbuf_adds(&out, "; head\n");
        r = value_to_ini(v, &out, &dl);
        diag_render(&dl, &d);
        if (fails) {
                assert_int_equal(r, -EINVAL);
                assert_string_equal(strbuf_str(&out), "; head\n");
                if (strcmp(strbuf_str(&d), expected) != 0)
                        fail_msg("--- got:\n%s--- expected:\n%s", strbuf_str(&d), expected);
        } else {
                if (r != 0)
                        fail_msg("value_to_ini failed:\n%s", strbuf_str(&d));
                assert_int_equal(dl.n, 0);
                if (strcmp(strbuf_str(&out) + 7, expected) != 0)
                        fail_msg("--- got:\n%s--- expected:\n%s", strbuf_str(&out) + 7, expected);
                expect_round_trip(v, strbuf_str(&out));
        }
        strbuf_free(&out);
        strbuf_free(&d);
        diag_list_free(&dl);
        value_free(v);
}

typedef struct write_row {
        const item *items;
        const char *expected;
} write_row;

#define ROW(expected, ...) { (const item[]) { __VA_ARGS__, END }, expected }

static void test_written(void **state) {
        const write_row rows[] = {
                ROW("", { 0, NULL, NULL, 0, 0, NULL }),
                ROW("\n[api]\nscript = server.js\ninstances = 4\nautorestart = true\nwatch = false\nratio = 0.5\n"
                    "big = 1e+21\n",
                    APP("api"), STR("script", "server.js"), NUM("instances", 4), BOOL("autorestart", 1),
                    BOOL("watch", 0), NUM("ratio", 0.5), NUM("big", 1e21)),
                /* bare when it reads back as itself */
                ROW("\n[api]\na = a;b\nb = a#b\nc = a=b\nd = 50%\ne = $HOME/x\nf = C:\\dir\\x\ng = h\xc3\xa9llo\n"
                    "h = two  spaces\ni = [x]\n",
                    APP("api"), STR("a", "a;b"), STR("b", "a#b"), STR("c", "a=b"), STR("d", "50%"),
                    STR("e", "$HOME/x"), STR("f", "C:\\dir\\x"), STR("g", "h\xc3\xa9llo"), STR("h", "two  spaces"),
                    STR("i", "[x]")),
                /* quoted otherwise */
                ROW("\n[api]\na = \" lead\"\nb = \"trail \"\nc = \"say \\\"hi\\\"\"\nd = \"x \\x3b y\"\ne = \"\\x3bx\"\n"
                    "f = \"#x\"\ng = \"\"\nh = \"a\\tb\"\ni = \"a\\nb\\r\"\nj = \"\\x01\\x7f\"\nk = \"back\\\\slash \\\"\"\n",
                    APP("api"), STR("a", " lead"), STR("b", "trail "), STR("c", "say \"hi\""), STR("d", "x ; y"),
                    STR("e", ";x"), STR("f", "#x"), STR("g", ""), STR("h", "a\tb"), STR("i", "a\nb\r"),
                    STR("j", "\x01\x7f"), STR("k", "back\\slash \"")),
                /* lists: words, quoted when needed */
                ROW("\n[api]\nargs = --port 3000 \"my app\" \"\" \"a\\\"b\" x;y \"\\x3b\"\nnode_args =\n",
                    APP("api"), LIST("args", "--port", "3000", "my app", "", "a\"b", "x;y", ";"),
                    EMPTY_LIST("node_args")),
                /* lists of numbers and booleans (stop_exit_codes) */
                ROW("\n[api]\nstop_exit_codes = 0 3 255 1.5 true\n",
                    APP("api"), { 'C', "stop_exit_codes", NULL, 0, 0, (const char *const[]) { "0", "3", "255", "1.5",
                                                                                          "true", NULL } }),
                /* env sections after the app's keys, in member order; an empty one */
                ROW("\n[api]\nscript = a.js\n\n[api env]\nNODE_ENV = production\nPORT = 3000\n\n[api env_production]\n"
                    "URL = \"https://x/a \\x3b b\"\n\n[api env_empty]\n",
                    APP("api"), STR("script", "a.js"), ENV("env"), STR("NODE_ENV", "production"), NUM("PORT", 3000),
                    ENV("env_production"), STR("URL", "https://x/a ; b"), ENV("env_empty")),
                /* several apps */
                ROW("\n[a]\nscript = a.js\n\n[a env]\nX = 1\n\n[b]\nscript = b.js\n",
                    APP("a"), STR("script", "a.js"), ENV("env"), STR("X", "1"), APP("b"), STR("script", "b.js")),
                /* names at the limits */
                ROW("\n[a123456789b123456789c123456789d123456789e12345678]\n\n[abc]\n\n"
                    "[abc env_x123456789b123456789c123456789d1234]\n",
                    APP("a123456789b123456789c123456789d123456789e12345678"), APP("abc"),
                    ENV("env_x123456789b123456789c123456789d1234")),
        };

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                test_write_one(rows[i].items, false, rows[i].expected);
}

#define KEY60 "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
#define KEY180 KEY60 KEY60 KEY60
#define KEY196 KEY180 "kkkkkkkkkkkkkkkk"

/* ---- long values ---------------------------------------------------------------------------- */

static char *repeat(const char *unit, size_t times) {
        strbuf sb = STRBUF_INIT;

        for (size_t i = 0; i < times; i++)
                strbuf_adds(&sb, unit);
        return strbuf_steal(&sb);
}

static void test_long_values(void **state) {
        char *a300 = repeat("a", 300), *semis = repeat(";", 100), *mixed = repeat("x \"; \\\n\x01\xc3\xa9", 300);
        char *w = repeat("w", 150), *w2 = repeat("w", 192);
        const char *words[200];
        item list[] = { APP("api"), { 'l', "args", NULL, 0, 0, words }, END };
        strbuf exp = STRBUF_INIT;

        /* a 300-byte bare string: two quoted pieces */
        strbuf_adds(&exp, "\n[api]\nk = \"");
        strbuf_add(&exp, a300, 191); /* `k += "` + 191 + `"` is 198 bytes */
        strbuf_adds(&exp, "\"\nk += \"");
        strbuf_add(&exp, a300, 109);
        strbuf_adds(&exp, "\"\n");
        test_write_one((const item[]) { APP("api"), STR("k", a300), END }, false, strbuf_str(&exp));

        /* escapes are never split: 100 ';' are 400 bytes of \x3b, 47 to a line */
        strbuf_truncate(&exp, 0);
        strbuf_adds(&exp, "\n[api]\nk = \"");
        for (int i = 0; i < 100; i++) {
                if (i && i % 47 == 0)
                        strbuf_adds(&exp, "\"\nk += \"");
                strbuf_adds(&exp, "\\x3b");
        }
        strbuf_adds(&exp, "\"\n");
        test_write_one((const item[]) { APP("api"), STR("k", semis), END }, false, strbuf_str(&exp));

        /* hostile and long: checked by the round trip only (every line <= 198 bytes) */
        {
                value *v = build((const item[]) { APP("api"), STR("k", mixed), ENV("env"), STR("K", mixed), END });
                diag_list dl = DIAG_LIST_INIT;
                strbuf out = STRBUF_INIT;

                assert_int_equal(value_to_ini(v, &out, &dl), 0);
                expect_round_trip(v, strbuf_str(&out));
                strbuf_free(&out);
                value_free(v);
        }

        /* a long list wraps at whole words */
        for (size_t i = 0; i < 199; i++)
                words[i] = i % 3 == 0 ? "--flag" : i % 3 == 1 ? "two words" : w;
        words[199] = NULL;
        {
                value *v = build(list);
                diag_list dl = DIAG_LIST_INIT;
                strbuf out = STRBUF_INIT;

                assert_int_equal(value_to_ini(v, &out, &dl), 0);
                assert_non_null(strstr(strbuf_str(&out), "\nargs += "));
                expect_round_trip(v, strbuf_str(&out));
                strbuf_free(&out);
                value_free(v);
        }

        /* a long key with a short value fits; with a long one, it does not (refused below) */
        test_write_one((const item[]) { APP("api"), STR(KEY180, "0123456789abcde"), END }, false,
                       "\n[api]\n" KEY180 " = 0123456789abcde\n");

        /* "args = " and a 191-byte word make a 198-byte line: the longest list word */
        w2[191] = '\0';
        strbuf_truncate(&exp, 0);
        strbuf_adds(&exp, "\n[api]\nargs = ");
        strbuf_adds(&exp, w2);
        strbuf_adds(&exp, "\n");
        test_write_one((const item[]) { APP("api"), LIST("args", w2), END }, false, strbuf_str(&exp));
        strbuf_free(&exp);
        free(a300);
        free(semis);
        free(mixed);
        free(w);
        free(w2);
}

/* ---- refusals ------------------------------------------------------------------------------- */

static void test_refused(void **state) {
        const write_row rows[] = {
                ROW("src.js:3:1: error: environment variable 'A B' cannot be written to pmgen.ini: it contains whitespace\n"
                    "src.js:4:1: error: environment variable 'A=B' cannot be written to pmgen.ini: it contains '='\n"
                    "src.js:5:1: error: environment variable 'A:B' cannot be written to pmgen.ini: it contains ':'\n"
                    "src.js:6:1: error: environment variable 'A\"B' cannot be written to pmgen.ini: it contains '\"'\n"
                    "src.js:7:1: error: environment variable 'A]B' cannot be written to pmgen.ini: it contains ']'\n"
                    "src.js:8:1: error: environment variable '[A' cannot be written to pmgen.ini: it starts with '['\n"
                    "src.js:9:1: error: environment variable ';A' cannot be written to pmgen.ini: it starts with a comment "
                    "character\n"
                    "src.js:10:1: error: environment variable '#A' cannot be written to pmgen.ini: it starts with a comment "
                    "character\n"
                    "src.js:11:1: error: environment variable 'A+' cannot be written to pmgen.ini: it ends in '+' (which "
                    "would read as '+=')\n"
                    "src.js:12:1: error: environment variable '' cannot be written to pmgen.ini: it is empty\n"
                    "src.js:13:1: error: environment variable \"A\\x01\" cannot be written to pmgen.ini: it contains a "
                    "control character\n",
                    APP("api"), ENV("env"), STR("A B", "x"), STR("A=B", "x"), STR("A:B", "x"), STR("A\"B", "x"),
                    STR("A]B", "x"), STR("[A", "x"), STR(";A", "x"), STR("#A", "x"), STR("A+", "x"), STR("", "x"),
                    STR("A\x01", "x")),
                ROW("src.js:2:1: error: key 'my key' cannot be written to pmgen.ini: it contains whitespace\n",
                    APP("api"), STR("my key", "x")),
                ROW("src.js:1:5: error: app name 'my app' cannot be a pmgen.ini section name: it contains whitespace\n"
                    "src.js:2:5: error: app name 'a\"b' cannot be a pmgen.ini section name: it contains '\"'\n"
                    "src.js:3:5: error: app name '' cannot be a pmgen.ini section name: it is empty\n"
                    "src.js:4:5: error: app name 'a123456789b123456789c123456789d123456789e123456789' cannot be a "
                    "pmgen.ini section name: it is longer than 49 bytes\n"
                    "src.js:5:5: error: app name 'a]' cannot be a pmgen.ini section name: it contains ']'\n"
                    "src.js:6:5: error: app name ';a' cannot be a pmgen.ini section name: it contains ';'\n"
                    "src.js:7:5: error: app name \"a\\tb\" cannot be a pmgen.ini section name: it contains whitespace\n",
                    APP("my app"), APP("a\"b"), APP(""), APP("a123456789b123456789c123456789d123456789e123456789"),
                    APP("a]"), APP(";a"), APP("a\tb")),
                ROW("src.js:2:1: error: section [a123456789b123456789c123456789d123456789e123 env_x] would be longer than "
                    "the 49 bytes pmgen.ini allows for section names\n"
                    "src.js:3:1: error: 'env_a b' cannot be a pmgen.ini section: the profile name contains whitespace\n"
                    "src.js:4:1: error: 'env_' cannot be a pmgen.ini section: the profile name is empty\n",
                    APP("a123456789b123456789c123456789d123456789e123"), ENV("env_x"), ENV("env_a b"), ENV("env_")),
                ROW("src.js:2:5: error: cfg: a nested object cannot be written to pmgen.ini\n"
                    "src.js:3:5: error: ports: pmgen.ini lists hold only strings, numbers and booleans, found null\n"
                    "src.js:4:5: error: cwd: null cannot be written to pmgen.ini\n"
                    "src.js:5:5: error: x: undefined cannot be written to pmgen.ini\n"
                    "src.js:6:5: error: script: a string with a NUL byte cannot be written to pmgen.ini\n",
                    APP("api"), OF("cfg", 'o'), { 'N', "ports", NULL, 0, 0, (const char *const[]) { "80", NULL } },
                    OF("cwd", 'z'), OF("x", 'u'), STRN("script", "a\0b", 3)),
                ROW("src.js:2:5: error: env: expected an object of environment variables, found a string\n"
                    "src.js:4:5: error: environment variable 'L' must be a string to be written to pmgen.ini, found an "
                    "array\n"
                    "src.js:5:5: error: O: a nested object cannot be written to pmgen.ini\n",
                    APP("api"), STR("env", "x"), ENV("env_p"), LIST("L", "a"), OF("O", 'o')),
                ROW("src.js:3:1: error: top-level key 'deploy' cannot be written to pmgen.ini (it holds only apps)\n",
                    APP("api"), STR("script", "a"), OF("deploy", 't')),
                ROW("src.js:1:5: error: pmgen.ini needs 'apps' to be an array, found a string\n", OF(NULL, 'A')),
                ROW("src.js:1:5: error: pmgen.ini holds an object { apps: [...] }, found a number\n", OF(NULL, 'R')),
                ROW("src.js:3:5: error: duplicate app name 'api': pmgen.ini has one section per app\n",
                    APP("api"), STR("script", "a"), APP("api")),
                ROW("src.js:2:5: error: args: a list item of 192 bytes does not fit on a 198-byte pmgen.ini line (a "
                    "list word cannot be split)\n",
                    APP("api"), LIST("args", "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww"
                                             "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww"
                                             "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww")),
                ROW("src.js:2:1: error: key 'kkkkkkkkkkkkkkkkkkkk...' is too long to write this value on 198-byte "
                    "pmgen.ini lines\n",
                    APP("api"), STR(KEY196, "v")),
        };

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                test_write_one(rows[i].items, true, rows[i].expected);
}

/* ---- the round trip of hostile strings --------------------------------------------------------- */

typedef struct hostile {
        const char *s;
        bool as_word; /* short enough to be one list word */
} hostile;

/* The string as an app key, an env value, and (when short) list words around "x". */
static void test_round_trip_one(const char *s, bool as_word) {
        const char *words[] = { s, "x", s, NULL };
        item items[] = {
                APP("rt"), STR("v", s), { 'l', "l", NULL, 0, 0, words }, ENV("env"), STR("E", s), END,
        };
        value *v;
        diag_list dl = DIAG_LIST_INIT;
        strbuf out = STRBUF_INIT;

        if (!as_word)
                items[2] = (item) STR("l", "x");
        v = build(items);
        if (value_to_ini(v, &out, &dl) != 0)
                fail_msg("value_to_ini refused '%s'", s);
        expect_round_trip(v, strbuf_str(&out));
        strbuf_free(&out);
        diag_list_free(&dl);
        value_free(v);
}

static void test_round_trip(void **state) {
        static const hostile rows[] = {
                { "", true },
                { " ", true },
                { "  leading", true },
                { "trailing  ", true },
                { "\"", true },
                { "\"quoted\"", true },
                { "a \"b\" c", true },
                { "\\", true },
                { "\\\\n\\x41\\", true },
                { "\\\"", true },
                { ";", true },
                { " ;", true },
                { "a ; b", true },
                { "a;b", true },
                { "\\x3b", true },
                { "#", true },
                { "# not a comment", true },
                { "=", true },
                { "a = b", true },
                { "k += v", true },
                { ":", true },
                { "[api]", true },
                { "[api env]", true },
                { "line\nbreak", true },
                { "\n", true },
                { "crlf\r\n", true },
                { "\ttab\t", true },
                { "%i %% %n", true },
                { "$HOME ${X} `id` $(id)", true },
                { "\x01\x02\x1b[31m\x7f", true },
                { "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", true },
                { "\xff\xfe", true },
                { "'single'", true },
                { "{\"json\": [1, 2, \"three\"], \"k\": \"v ; w\"}", true },
        };
        char *long1 = repeat("a b ", 100), *long2 = repeat("\" ; \\", 120), *long3 = repeat("\xc3\xa9", 150);

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                test_round_trip_one(rows[i].s, rows[i].as_word);
        test_round_trip_one(long1, false);
        test_round_trip_one(long2, false);
        test_round_trip_one(long3, false);
        free(long1);
        free(long2);
        free(long3);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_written),
                cmocka_unit_test(test_long_values),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_round_trip),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
