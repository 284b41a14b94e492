/* SPDX-License-Identifier: MIT */
/* pmgen.ini reader (src/parse-ini.c): accepted forms with their exact locations,
 * every error as rendered, the libinih quirks (each shown on libinih itself, then
 * caught by the reader), the INI_* pins, and the quoting helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ini.h>

#include "parse-ini.h"
#include "strbuf.h"

/* ---- the pins: compiled with the Makefile's INI_PIN, they must match the library ---- */

_Static_assert(INI_MAX_LINE == 200, "Makefile INI_PIN: Debian's libinih r55 reads 200-byte lines");
_Static_assert(INI_ALLOW_MULTILINE == 1, "Makefile INI_PIN: libinih joins indented lines");
_Static_assert(INI_ALLOW_INLINE_COMMENTS == 1, "Makefile INI_PIN: libinih cuts values at ' ;'");
_Static_assert(INI_STOP_ON_FIRST_ERROR == 0, "Makefile INI_PIN: libinih keeps going after an error");
_Static_assert(INI_HANDLER_LINENO == 0, "Makefile INI_PIN: the handler has no lineno");
_Static_assert(INI_CALL_HANDLER_ON_NEW_SECTION == 0, "Makefile INI_PIN: no handler call for sections");
_Static_assert(INI_ALLOW_NO_VALUE == 0, "Makefile INI_PIN: a line without '=' is an error");
_Static_assert(INI_USE_STACK == 1, "Makefile INI_PIN: the line buffer is on the stack");
_Static_assert(PMGEN_INI_LINE_MAX == INI_MAX_LINE - 2, "line limit follows INI_MAX_LINE");

/* Debian's libinih also exports its settings as variables; check them where present. */
#pragma weak ini_max_line
#pragma weak ini_allow_multiline
#pragma weak ini_allow_inline_comments
#pragma weak ini_inline_comment_prefixes
#pragma weak ini_start_comment_prefixes
#pragma weak ini_stop_on_first_error
#pragma weak ini_allow_no_value
#pragma weak ini_use_stack

static void test_pins(void **state) {
        assert_string_equal(INI_INLINE_COMMENT_PREFIXES, ";");
        assert_string_equal(INI_START_COMMENT_PREFIXES, ";#");
        if (&ini_max_line)
                assert_int_equal(ini_max_line, INI_MAX_LINE);
        if (&ini_allow_multiline)
                assert_int_equal(ini_allow_multiline, INI_ALLOW_MULTILINE);
        if (&ini_allow_inline_comments)
                assert_int_equal(ini_allow_inline_comments, INI_ALLOW_INLINE_COMMENTS);
        if (&ini_inline_comment_prefixes)
                assert_string_equal(ini_inline_comment_prefixes, INI_INLINE_COMMENT_PREFIXES);
        if (&ini_start_comment_prefixes)
                assert_string_equal(ini_start_comment_prefixes, INI_START_COMMENT_PREFIXES);
        if (&ini_stop_on_first_error)
                assert_int_equal(ini_stop_on_first_error, INI_STOP_ON_FIRST_ERROR);
        if (&ini_allow_no_value)
                assert_int_equal(ini_allow_no_value, INI_ALLOW_NO_VALUE);
        if (&ini_use_stack)
                assert_int_equal(ini_use_stack, INI_USE_STACK);
}

/* ---- helpers -------------------------------------------------------------------------- */

static void add_escaped(strbuf *sb, const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c == '\n')
                        strbuf_adds(sb, "\\n");
                else if (c == '\t')
                        strbuf_adds(sb, "\\t");
                else if (c == '"' || c == '\\')
                        strbuf_addf(sb, "\\%c", c);
                else if (c < 0x20 || c == 0x7f)
                        strbuf_addf(sb, "\\x%02x", c);
                else
                        strbuf_addc(sb, (char) c);
        }
}

static void dump_members(strbuf *sb, const value *obj, int indent) {
        for (size_t i = 0; i < obj->obj.n; i++) {
                const member *m = &obj->obj.m[i];
                const value *v = m->val;

                strbuf_addf(sb, "%*s%s %u:%u", indent, "", m->key, m->key_where.line, m->key_where.col);
                if (v->type == V_OBJECT) {
                        strbuf_addf(sb, " {} %u:%u\n", v->where.line, v->where.col);
                        dump_members(sb, v, indent + 2);
                        continue;
                }
                assert_int_equal(v->type, V_STRING);
                strbuf_addf(sb, " = %u:%u%s \"", v->where.line, v->where.col, v->untyped ? "" : " TYPED");
                add_escaped(sb, v->str.s, v->str.len);
                strbuf_adds(sb, "\"\n");
        }
}

/* "[app] L:C" per app, then "  key L:C = L:C \"raw\"" per member; env objects nested. */
static char *dump_tree(const value *root) {
        strbuf sb = STRBUF_INIT;
        const member *apps;

        assert_int_equal(root->type, V_OBJECT);
        assert_int_equal(root->obj.n, 1);
        apps = value_object_get(root, "apps");
        assert_non_null(apps);
        assert_int_equal(apps->val->type, V_ARRAY);
        for (size_t i = 0; i < apps->val->arr.n; i++) {
                const value *app = apps->val->arr.items[i];
                const member *name = value_object_get(app, "name");

                assert_int_equal(app->type, V_OBJECT);
                assert_non_null(name);
                strbuf_addf(&sb, "[%s] %u:%u\n", name->val->str.s, app->where.line, app->where.col);
                dump_members(&sb, app, 2);
        }
        return strbuf_steal(&sb);
}

/* Parses `input` (len bytes; strlen when len is 0) and compares: on success the tree
 * dump, on failure the rendered diagnostics (which must all be errors). */
static void test_parse_one(const char *input, size_t len, const char *expected) {
        value *v = (value *) (uintptr_t) 1; /* must stay untouched on failure */
        diag_list dl = DIAG_LIST_INIT;
        strbuf out = STRBUF_INIT;
        char *got;
        int r;

        r = ini_parse_text("t.ini", input, len ? len : strlen(input), &v, &dl);
        if (r == 0) {
                assert_int_equal(dl.n, 0);
                got = dump_tree(v);
                value_free(v);
        } else {
                assert_int_equal(r, -EINVAL);
                assert_ptr_equal(v, (value *) (uintptr_t) 1);
                assert_int_equal(dl.errors, dl.n);
                diag_render(&dl, &out);
                got = strbuf_steal(&out);
        }
        if (strcmp(got, expected) != 0)
                fail_msg("input:\n%s\n--- got:\n%s--- expected:\n%s", input, got, expected);
        free(got);
        diag_list_free(&dl);
}

typedef struct parse_row {
        const char *input;
        const char *expected;
} parse_row;

static void run_rows(const parse_row *rows, size_t n) {
        for (size_t i = 0; i < n; i++)
                test_parse_one(rows[i].input, 0, rows[i].expected);
}

#define RUN(rows) run_rows((rows), sizeof(rows) / sizeof((rows)[0]))

/* ---- accepted forms ------------------------------------------------------------------- */

static void test_accepted(void **state) {
        static const parse_row rows[] = {
                { "", "" },
                { "; a comment\n# another\n\n   \n", "" },
                { "[api]\nscript = server.js\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  script 2:1 = 2:10 \"server.js\"\n" },
                /* no newline at the end; no spaces around '=' */
                { "[api]\nscript=server.js",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  script 2:1 = 2:8 \"server.js\"\n" },
                /* CRLF line ends */
                { "[api]\r\nscript = a\r\n\r\nargs = b c\r\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  script 2:1 = 2:10 \"a\"\n  args 4:1 = 4:8 \"b c\"\n" },
                /* a UTF-8 BOM: columns count from after it */
                { "\xef\xbb\xbf[api]\nscript = a\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  script 2:1 = 2:10 \"a\"\n" },
                /* whitespace around keys and values is trimmed; tabs inside are kept */
                { "[api]\nscript \t=   a\tb  \n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  script 2:1 = 2:13 \"a\\tb\"\n" },
                /* an empty value */
                { "[api]\nk =\nj = ; only a comment\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  k 2:1 = 2:4 \"\"\n  j 3:1 = 3:5 \"\"\n" },
                /* '=' and ':' inside values, key characters */
                { "[api]\nurl = http://h:1/?a=b&c=d\nlog.out-file_2 = x\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  url 2:1 = 2:7 \"http://h:1/?a=b&c=d\"\n"
                  "  log.out-file_2 3:1 = 3:18 \"x\"\n" },
                /* quotes and escapes are kept as written (model.c reads them) */
                { "[api]\nk = \"a \\\" \\\\ b\"\nw = --x \"y z\" \"\"\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  k 2:1 = 2:5 \"\\\"a \\\\\\\" \\\\\\\\ b\\\"\"\n"
                  "  w 3:1 = 3:5 \"--x \\\"y z\\\" \\\"\\\"\"\n" },
                /* indented comments are comments */
                { "[api]\n  ; note\n\t# note\nk = v\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  k 4:1 = 4:5 \"v\"\n" },
                /* a header with inner spaces and a comment after it */
                { "[ api ] ; the API\n[  api   env_prod  ]   # its env\nK = v\n",
                  "[api] 1:1\n  name 1:1 = 1:3 \"api\"\n  env_prod 2:10 {} 2:1\n    K 3:1 = 3:5 \"v\"\n" },
                /* env sections before and after the app; apps ordered by their [NAME] */
                { "[web env]\nA = 1\n[api]\nscript = a.js\n[web]\nscript = w.js\n[api env_production]\nB = 2\n"
                  "[api env]\nC = 3\n",
                  "[api] 3:1\n  name 3:1 = 3:2 \"api\"\n  script 4:1 = 4:10 \"a.js\"\n"
                  "  env_production 7:6 {} 7:1\n    B 8:1 = 8:5 \"2\"\n  env 9:6 {} 9:1\n    C 10:1 = 10:5 \"3\"\n"
                  "[web] 5:1\n  name 5:1 = 5:2 \"web\"\n  script 6:1 = 6:10 \"w.js\"\n  env 1:6 {} 1:1\n"
                  "    A 2:1 = 2:5 \"1\"\n" },
                /* an empty env section; env keys may be named like app keys */
                { "[api]\n[api env]\nname = x\nenv = y\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  env 2:6 {} 2:1\n    name 3:1 = 3:8 \"x\"\n"
                  "    env 4:1 = 4:7 \"y\"\n" },
                /* `KEY +=` pieces joined by '\n', located at the first */
                { "[api]\nargs = --a \"b c\"\n; between\nargs += --d\nargs+=\"e;f\"\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  args 2:1 = 2:8 \"--a \\\"b c\\\"\\n--d\\n\\\"e;f\\\"\"\n" },
                /* '#' only starts a comment at the start of a line; ';' needs whitespace before it */
                { "[api]\na = x # y\nb = x;y\nc = x ; y\nd = x\t;y\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  a 2:1 = 2:5 \"x # y\"\n  b 3:1 = 3:5 \"x;y\"\n"
                  "  c 4:1 = 4:5 \"x\"\n  d 5:1 = 5:5 \"x\"\n" },
                /* UTF-8 in values */
                { "[caf\xc3\xa9]\nk = h\xc3\xa9llo w\xc3\xb6rld\n",
                  "[caf\xc3\xa9] 1:1\n  name 1:1 = 1:2 \"caf\xc3\xa9\"\n  k 2:1 = 2:5 \"h\xc3\xa9llo w\xc3\xb6rld\"\n" },
        };
        RUN(rows);
}

/* ';' inside double quotes is hidden from libinih, so it is not a comment. */
static void test_quoted_semicolon(void **state) {
        static const parse_row rows[] = {
                { "[api]\nk = \"a ; b\" ; real comment\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  k 2:1 = 2:5 \"\\\"a ; b\\\"\"\n" },
                /* an escaped quote does not close the string */
                { "[api]\nk = \"a \\\" ; b\"\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  k 2:1 = 2:5 \"\\\"a \\\\\\\" ; b\\\"\"\n" },
                /* list words */
                { "[api]\nargs = \"x ;y\" z \"w ; v\" ; c\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  args 2:1 = 2:8 \"\\\"x ;y\\\" z \\\"w ; v\\\"\"\n" },
                /* unterminated: everything is kept, model.c reports the missing quote */
                { "[api]\nk = \"a ; b\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  k 2:1 = 2:5 \"\\\"a ; b\"\n" },
                /* quotes inside a comment do not matter */
                { "[api]\nk = a ; \"x ; y\n",
                  "[api] 1:1\n  name 1:1 = 1:2 \"api\"\n  k 2:1 = 2:5 \"a\"\n" },
        };
        RUN(rows);
}

/* ---- errors ---------------------------------------------------------------------------- */

static void test_errors(void **state) {
        static const parse_row rows[] = {
                { "k = v\n[api]\n", "t.ini:1:1: error: key 'k' is outside any section: start the app with [NAME]\n" },
                { "[api]\nfoo\n", "t.ini:2:1: error: expected 'key = value', '[section]' or a comment\n" },
                { "[api]\nfoo ; bar = x\n", "t.ini:2:1: error: expected 'key = value', '[section]' or a comment\n" },
                { "[api]\n= v\n", "t.ini:2:1: error: missing key before '='\n" },
                { "[api]\n+= v\n", "t.ini:2:1: error: missing key before '+='\n" },
                { "[api]\na b = c\n", "t.ini:2:2: error: invalid key 'a b': keys cannot contain space\n" },
                { "[api]\n\"a\" = c\n", "t.ini:2:1: error: invalid key '\"a\"': keys cannot contain '\"'\n" },
                { "[api]\narr[0] = c\n", "t.ini:2:6: error: invalid key 'arr[0]': keys cannot contain ']'\n" },
                { "[api]\nname = x\n",
                  "t.ini:2:1: error: 'name' cannot be set: the app's name is its section name [api]\n" },
                { "[api]\nenv = x\nenv_prod = y\n",
                  "t.ini:2:1: error: 'env' is written as a section: [api env]\n"
                  "t.ini:3:1: error: 'env_prod' is written as a section: [api env_prod]\n" },
                { "[api]\nk = 1\n\nk = 2\n[api env]\nA = 1\nA = 2\n",
                  "t.ini:4:1: error: duplicate key 'k', first set at line 2\n"
                  "t.ini:7:1: error: duplicate key 'A', first set at line 6\n" },
                { "[api]\nk += 1\n[web]\nk = 1\n[api env]\nk += 2\n",
                  "t.ini:2:1: error: 'k +=' continues a value, but 'k' is not set above in this section\n"
                  "t.ini:6:1: error: 'k +=' continues a value, but 'k' is not set above in this section\n" },
                /* `+=` pieces are checked here, with their columns */
                { "[api]\nk = ok\nk += a\"b\nk += \"x\\q\"\nk += \"open\nk += \"a\"b\n",
                  "t.ini:3:7: error: unexpected '\"': quote the whole value or word (\"...\") and write \\\" for a quote\n"
                  "t.ini:4:8: error: unknown escape sequence: use \\\\ \\\" \\n \\t \\r or \\xHH\n"
                  "t.ini:5:6: error: missing closing '\"'\n"
                  "t.ini:6:9: error: unexpected text after the closing '\"'\n" },
                { "[api]\nk = \"bad\\x0\"\nk += more\n",
                  "t.ini:2:9: error: expected two hex digits after \\x\n" },
                { "[api]\nk = \"a\\x00b\"\nk += more\n",
                  "t.ini:2:7: error: \\x00 is not allowed: values cannot contain NUL bytes\n" },
                /* sections */
                { "[api\n", "t.ini:1:5: error: expected ']' to close the section header\n" },
                { "[]\n[ \t]\n",
                  "t.ini:1:2: error: empty section name: expected [NAME], [NAME env], [NAME env_PROFILE] or [NAME health]\n"
                  "t.ini:2:2: error: empty section name: expected [NAME], [NAME env], [NAME env_PROFILE] or [NAME health]\n" },
                { "[a b c]\n[a prod]\n[a env_]\n[a environment]\n",
                  "t.ini:1:1: error: expected [NAME], [NAME env], [NAME env_PROFILE] or [NAME health], found [a b c]\n"
                  "t.ini:2:1: error: expected [NAME], [NAME env], [NAME env_PROFILE] or [NAME health], found [a prod]\n"
                  "t.ini:3:1: error: expected [NAME], [NAME env], [NAME env_PROFILE] or [NAME health], found [a env_]\n"
                  "t.ini:4:1: error: expected [NAME], [NAME env], [NAME env_PROFILE] or [NAME health], found [a environment]\n" },
                { "[a\"b]\n[a[b]\n[ ;x]\n",
                  "t.ini:1:3: error: '\"' is not allowed in a section name\n"
                  "t.ini:2:3: error: '[' is not allowed in a section name\n"
                  "t.ini:3:3: error: ';' is not allowed in a section name\n" },
                { "[api]\nk = 1\n\n[api]\nk = 2\n", "t.ini:4:1: error: duplicate section [api], first at line 1\n" },
                { "[api]\n[api env]\n[api env_p]\n[api env]\n[api env_p]\n",
                  "t.ini:4:1: error: duplicate section [api env], first at line 2\n"
                  "t.ini:5:1: error: duplicate section [api env_p], first at line 3\n" },
                { "[api env]\nA = 1\n[web]\n[db env_prod]\n",
                  "t.ini:1:1: error: section [api env] has no [api] section\n"
                  "t.ini:4:1: error: section [db env_prod] has no [db] section\n" },
                /* the keys of a bad section are skipped without more errors */
                { "[a b c]\nk = 1\nk = 2\nname = x\n",
                  "t.ini:1:1: error: expected [NAME], [NAME env], [NAME env_PROFILE] or [NAME health], found [a b c]\n" },
                /* lines */
                { "[api]\nk = a\x01z\n",
                  "t.ini:2:6: error: control character (byte 0x01) in line: write it as an escape (\\t \\n \\r \\xHH) "
                  "inside a double-quoted value\n" },
                { "[api]\nk = a\rb\n",
                  "t.ini:2:6: error: control character (byte 0x0d) in line: write it as an escape (\\t \\n \\r \\xHH) "
                  "inside a double-quoted value\n" },
                { "[api]\nk = a\x7f\n",
                  "t.ini:2:6: error: control character (byte 0x7f) in line: write it as an escape (\\t \\n \\r \\xHH) "
                  "inside a double-quoted value\n" },
                /* every error in the file, with line numbers in step after skipped lines */
                { "x = 0\n[api]\n  y = 1\nbad\n[api]\nz: 2\n[api env]\nA = 1\nA = 2\n",
                  "t.ini:1:1: error: key 'x' is outside any section: start the app with [NAME]\n"
                  "t.ini:3:1: error: indented line: pmgen.ini has no continuation lines (remove the indentation; "
                  "continue a long value on 'KEY += ...' lines)\n"
                  "t.ini:4:1: error: expected 'key = value', '[section]' or a comment\n"
                  "t.ini:5:1: error: duplicate section [api], first at line 2\n"
                  "t.ini:6:2: error: expected '=' after the key, found ':' (pmgen.ini separates keys and values with '=')\n"
                  "t.ini:9:1: error: duplicate key 'A', first set at line 8\n" },
        };
        RUN(rows);
}

static void test_too_large(void **state) {
        size_t n = PMGEN_INI_FILE_MAX + 1;
        char *big = malloc(n);

        assert_non_null(big);
        memset(big, '\n', n);
        test_parse_one(big, n, "t.ini: error: file is 4194305 bytes long; pmgen.ini files are limited to 4194304 bytes\n");
        free(big);
}

/* ---- the libinih quirks: each shown on libinih itself, then caught ------------------------ */

typedef struct probe {
        strbuf calls; /* "[section] name=value\n" per handler call */
        const char *text;
        size_t len, pos;
} probe;

static int probe_handler(void *user, const char *section, const char *name, const char *val) {
        probe *p = user;

        strbuf_addf(&p->calls, "[%s] %s=%s\n", section, name, val);
        return 1;
}

/* An fgets() over memory that, unlike ini_parse_string(), passes NUL bytes on. */
static char *probe_reader(char *str, int num, void *stream) {
        probe *p = stream;
        size_t n = 0;

        if (p->pos >= p->len)
                return NULL;
        while (n < (size_t) num - 1 && p->pos < p->len) {
                str[n++] = p->text[p->pos++];
                if (str[n - 1] == '\n')
                        break;
        }
        str[n] = '\0';
        return str;
}

/* What libinih alone makes of text: its handler calls and return value. */
static char *libinih_alone(const char *text, size_t len) {
        probe p = { .calls = STRBUF_INIT, .text = text, .len = len ? len : strlen(text) };
        int r = ini_parse_stream(probe_reader, &p, probe_handler, &p);

        strbuf_addf(&p.calls, "-> %d\n", r);
        return strbuf_steal(&p.calls);
}

static void test_quirk_one(const char *input, size_t len, const char *libinih, const char *pmgen) {
        char *got = libinih_alone(input, len);

        if (strcmp(got, libinih) != 0)
                fail_msg("libinih changed behaviour on:\n%s\n--- got:\n%s--- expected:\n%s", input, got, libinih);
        free(got);
        test_parse_one(input, len, pmgen);
}

static char *long_line(size_t content, const char *key, const char *tail) {
        strbuf sb = STRBUF_INIT;

        strbuf_adds(&sb, "[a]\n");
        strbuf_adds(&sb, key);
        while (sb.len < 4 + content - strlen(tail))
                strbuf_addc(&sb, 'v');
        strbuf_adds(&sb, tail);
        strbuf_adds(&sb, "\nafter = 1\n");
        return strbuf_steal(&sb);
}

/* A 300-byte line: libinih cuts it at 199 bytes and parses the rest as a new line. */
static void test_quirk_long_line(void **state) {
        char *in = long_line(300, "k = ", " tail=value");
        strbuf lib = STRBUF_INIT;

        strbuf_adds(&lib, "[a] k=");
        for (int i = 0; i < 195; i++)
                strbuf_addc(&lib, 'v');
        strbuf_adds(&lib, "\n[a] ");
        for (int i = 0; i < 90; i++)
                strbuf_addc(&lib, 'v');
        strbuf_adds(&lib, " tail=value\n[a] after=1\n-> 0\n");
        test_quirk_one(in, 0, strbuf_str(&lib),
                       "t.ini:2:199: error: line is 300 bytes long; pmgen.ini lines are limited to 198 bytes: "
                       "continue a long value on 'KEY += ...' lines\n");
        strbuf_free(&lib);
        free(in);
}

/* A 199-byte line: libinih reads its newline as one more line, so every later line
 * number is off by one (here its error for `bad` names line 5, not 4). 198 is fine. */
static void test_quirk_line_199(void **state) {
        char *in = long_line(199, "k = ", "");
        char *ok = long_line(198, "k = ", "");
        strbuf sb = STRBUF_INIT;
        char *lib;

        strbuf_adds(&sb, in);
        strbuf_adds(&sb, "bad\n");
        lib = libinih_alone(strbuf_str(&sb), 0);
        assert_non_null(strstr(lib, "-> 5\n"));
        free(lib);
        test_parse_one(strbuf_str(&sb), 0,
                       "t.ini:2:199: error: line is 199 bytes long; pmgen.ini lines are limited to 198 bytes: "
                       "continue a long value on 'KEY += ...' lines\n"
                       "t.ini:4:1: error: expected 'key = value', '[section]' or a comment\n");
        lib = libinih_alone(ok, 0);
        assert_non_null(strstr(lib, "[a] after=1\n-> 0\n"));
        free(lib);
        strbuf_truncate(&sb, 0);
        strbuf_adds(&sb, "[a] 1:1\n  name 1:1 = 1:2 \"a\"\n  k 2:1 = 2:5 \"");
        for (int i = 0; i < 194; i++)
                strbuf_addc(&sb, 'v');
        strbuf_adds(&sb, "\"\n  after 3:1 = 3:9 \"1\"\n");
        test_parse_one(ok, 0, strbuf_str(&sb));
        strbuf_free(&sb);
        free(in);
        free(ok);
}

/* An indented line continues the previous key (and an indented [section] is not one). */
static void test_quirk_multiline(void **state) {
        test_quirk_one("[a]\nk = 1\n  j = 2\n  [b]\n", 0, "[a] k=1\n[a] k=j = 2\n[a] k=[b]\n-> 0\n",
                       "t.ini:3:1: error: indented line: pmgen.ini has no continuation lines (remove the indentation; "
                       "continue a long value on 'KEY += ...' lines)\n"
                       "t.ini:4:1: error: indented line: pmgen.ini has no continuation lines (remove the indentation; "
                       "continue a long value on 'KEY += ...' lines)\n");
}

/* " ;" inside quotes starts a comment for libinih. */
static void test_quirk_inline_comment(void **state) {
        test_quirk_one("[a]\nk = \"x ; y\"\n", 0, "[a] k=\"x\n-> 0\n",
                       "[a] 1:1\n  name 1:1 = 1:2 \"a\"\n  k 2:1 = 2:5 \"\\\"x ; y\\\"\"\n");
}

/* Section names are cut at 49 bytes, so two long names become one section. */
static void test_quirk_section_length(void **state) {
        static const char in[] = "[a123456789b123456789c123456789d123456789e12345678X]\nk=1\n"
                                 "[a123456789b123456789c123456789d123456789e12345678Y]\nk=2\n";
        static const char ok[] = "[a123456789b123456789c123456789d123456789e12345678]\n";

        test_quirk_one(in, 0,
                       "[a123456789b123456789c123456789d123456789e12345678] k=1\n"
                       "[a123456789b123456789c123456789d123456789e12345678] k=2\n-> 0\n",
                       "t.ini:1:2: error: section name is 50 bytes long; pmgen.ini (libinih) limits it to 49 bytes\n"
                       "t.ini:3:2: error: section name is 50 bytes long; pmgen.ini (libinih) limits it to 49 bytes\n");
        test_parse_one(ok, 0,
                       "[a123456789b123456789c123456789d123456789e12345678] 1:1\n"
                       "  name 1:1 = 1:2 \"a123456789b123456789c123456789d123456789e12345678\"\n");
}

/* ':' separates a key from its value too, even inside what looks like a key. */
static void test_quirk_colon(void **state) {
        test_quirk_one("[a]\nk: v\nA:B = c\n", 0, "[a] k=v\n[a] A=B = c\n-> 0\n",
                       "t.ini:2:2: error: expected '=' after the key, found ':' (pmgen.ini separates keys and values with "
                       "'=')\nt.ini:3:2: error: expected '=' after the key, found ':' (pmgen.ini separates keys and "
                       "values with '=')\n");
}

/* Text after a section's ']' is ignored. */
static void test_quirk_after_section(void **state) {
        test_quirk_one("[a] b = 1\nk = 2\n", 0, "[a] k=2\n-> 0\n",
                       "t.ini:1:5: error: unexpected text after ']': only a comment may follow a section header\n");
}

/* A NUL byte ends the line for libinih: the rest vanishes. */
static void test_quirk_nul(void **state) {
        static const char in[] = "[a]\nk = x\0y\n";

        test_quirk_one(in, sizeof(in) - 1, "[a] k=x\n-> 0\n", "t.ini:2:6: error: NUL byte in line: pmgen.ini files are text\n");
}

/* libinih's positive return is the first bad line only, and the handler has still
 * seen every later key: the reader reports each bad line itself. */
static void test_quirk_return(void **state) {
        test_quirk_one("[a]\nk=1\nbad\nj=2\nworse\n", 0, "[a] k=1\n[a] j=2\n-> 3\n",
                       "t.ini:3:1: error: expected 'key = value', '[section]' or a comment\n"
                       "t.ini:5:1: error: expected 'key = value', '[section]' or a comment\n");
}

/* '#' is a comment only at the start of a line; ";" only after whitespace. */
static void test_quirk_hash(void **state) {
        test_quirk_one("[a]\nk = x #y\nj = x;y\n#i = 1\n", 0, "[a] k=x #y\n[a] j=x;y\n-> 0\n",
                       "[a] 1:1\n  name 1:1 = 1:2 \"a\"\n  k 2:1 = 2:5 \"x #y\"\n  j 3:1 = 3:5 \"x;y\"\n");
}

/* `KEY += v` reaches the handler as the key "KEY +". */
static void test_quirk_plus(void **state) {
        test_quirk_one("[a]\nk = 1\nk += 2\n", 0, "[a] k=1\n[a] k +=2\n-> 0\n",
                       "[a] 1:1\n  name 1:1 = 1:2 \"a\"\n  k 2:1 = 2:5 \"1\\n2\"\n");
}

/* ---- ini_unquote() and ini_split_words() ------------------------------------------------ */

typedef struct quote_row {
        const char *input;
        const char *expected; /* output, or NULL for an error */
        size_t err_col;
        const char *err_msg;
} quote_row;

static void test_unquote_one(const quote_row *row) {
        strbuf out = STRBUF_INIT;
        size_t col = 999;
        const char *msg = NULL;
        int r;

        strbuf_adds(&out, "pre:");
        r = ini_unquote(row->input, strlen(row->input), &out, &col, &msg);
        if (row->expected) {
                if (r != 0)
                        fail_msg("ini_unquote(%s) failed: %zu %s", row->input, col, msg);
                assert_int_equal(out.len, 4 + strlen(row->expected));
                assert_memory_equal(out.s + 4, row->expected, strlen(row->expected));
        } else {
                assert_int_equal(r, -EINVAL);
                assert_string_equal(strbuf_str(&out), "pre:"); /* untouched */
                assert_int_equal(col, row->err_col);
                assert_string_equal(msg, row->err_msg);
        }
        strbuf_free(&out);
}

static void test_unquote(void **state) {
        static const quote_row rows[] = {
                { "", "", 0, NULL },
                { "plain text", "plain text", 0, NULL },
                { "a\\nb", "a\\nb", 0, NULL }, /* bare: backslashes as they are */
                { "\"\"", "", 0, NULL },
                { "\" lead and trail \"", " lead and trail ", 0, NULL },
                { "\"q\\\"b\\\\s\\n\\t\\r\"", "q\"b\\s\n\t\r", 0, NULL },
                { "\"\\x3b\\x01\\xFF\\x7f\"", ";\x01\xff\x7f", 0, NULL },
                { "\"a ; b # c\"", "a ; b # c", 0, NULL },
                /* pieces of `+=` lines are concatenated */
                { "\"abc \"\ndef\n\" ghi\"", "abc def ghi", 0, NULL },
                { "a\n\nb", "ab", 0, NULL },
                { "a\"b", NULL, 1, "unexpected '\"': quote the whole value (\"...\") and write \\\" for a quote" },
                { "\"a\" b", NULL, 3, "unexpected text after the closing '\"': quote the whole value" },
                { "\"a\" \"b\"", NULL, 3, "unexpected text after the closing '\"': quote the whole value" },
                { "x \"abc", NULL, 2, "unexpected '\"': quote the whole value (\"...\") and write \\\" for a quote" },
                { "\"abc", NULL, 0, "missing closing '\"'" },
                { "\"abc\\", NULL, 0, "missing closing '\"'" },
                { "\"a\\qb\"", NULL, 2, "unknown escape sequence: use \\\\ \\\" \\n \\t \\r or \\xHH" },
                { "\"a\\x4\"", NULL, 2, "expected two hex digits after \\x" },
                { "\"a\\x00\"", NULL, 2, "\\x00 is not allowed: values cannot contain NUL bytes" },
                /* an error in a `+=` piece: column 0, the message says where */
                { "ok\n\"a\" b", NULL, 0,
                  "unexpected text after the closing '\"' in a '+=' line: quote the whole piece" },
                { "\"ok\"\n\"open", NULL, 0,
                  "missing closing '\"' in a '+=' line (quotes close on the line they open)" },
        };

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                test_unquote_one(&rows[i]);
}

typedef struct words_row {
        const char *input;
        const char *expected; /* words each followed by '|', or NULL for an error */
        size_t err_col;
        const char *err_msg;
} words_row;

static void test_split_one(const words_row *row) {
        char **w = (char **) (uintptr_t) 1;
        size_t n = 999, col = 999;
        const char *msg = NULL;
        strbuf got = STRBUF_INIT;
        int r = ini_split_words(row->input, strlen(row->input), &w, &n, &col, &msg);

        if (!row->expected) {
                assert_int_equal(r, -EINVAL);
                assert_ptr_equal(w, (char **) (uintptr_t) 1);
                assert_int_equal(n, 999);
                assert_int_equal(col, row->err_col);
                assert_string_equal(msg, row->err_msg);
                return;
        }
        if (r != 0)
                fail_msg("ini_split_words(%s) failed: %zu %s", row->input, col, msg);
        for (size_t i = 0; i < n; i++) {
                strbuf_adds(&got, w[i]);
                strbuf_addc(&got, '|');
                free(w[i]);
        }
        free(w);
        assert_string_equal(strbuf_str(&got), row->expected);
        strbuf_free(&got);
}

static void test_split_words(void **state) {
        static const words_row rows[] = {
                { "", "", 0, NULL },
                { "   \t ", "", 0, NULL },
                { "--port 3000", "--port|3000|", 0, NULL },
                { "  a\t\tb  ", "a|b|", 0, NULL },
                { "--name \"my app\" \"\" x", "--name|my app||x|", 0, NULL },
                { "\"a\\\"b\" c\\d", "a\"b|c\\d|", 0, NULL },
                { "\"semi\\x3bcolon\" 'single'", "semi;colon|'single'|", 0, NULL },
                /* `+=` pieces separate words */
                { "a b\nc\n\"d e\"", "a|b|c|d e|", 0, NULL },
                { "a\"b\"", NULL, 1, "unexpected '\"' inside a word: quote the whole word" },
                { "\"a\"b", NULL, 3, "expected a space after the closing '\"'" },
                { "x \"open", NULL, 2, "missing closing '\"'" },
                { "\"\\e\"", NULL, 1, "unknown escape sequence: use \\\\ \\\" \\n \\t \\r or \\xHH" },
                { "a\n\"open\nclose\"", NULL, 0,
                  "missing closing '\"' in a '+=' line (quotes close on the line they open)" },
        };

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                test_split_one(&rows[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pins),
                cmocka_unit_test(test_accepted),
                cmocka_unit_test(test_quoted_semicolon),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_quirk_long_line),
                cmocka_unit_test(test_quirk_line_199),
                cmocka_unit_test(test_quirk_multiline),
                cmocka_unit_test(test_quirk_inline_comment),
                cmocka_unit_test(test_quirk_section_length),
                cmocka_unit_test(test_quirk_colon),
                cmocka_unit_test(test_quirk_after_section),
                cmocka_unit_test(test_quirk_nul),
                cmocka_unit_test(test_quirk_return),
                cmocka_unit_test(test_quirk_hash),
                cmocka_unit_test(test_quirk_plus),
                cmocka_unit_test(test_unquote),
                cmocka_unit_test(test_split_words),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
