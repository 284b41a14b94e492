/* SPDX-License-Identifier: MIT */
/* value_to_json() and value_to_js(). Trees come from js_parse() where it can
 * express them, or are built by hand (bytes that are not UTF-8, undefined). The
 * JSON rows were checked against node's JSON.stringify(v, null, 2). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse-js.h"
#include "write.h"

static const js_host host = { .ncpus = 2, .cwd = "/srv" };
static const loc here = { "t.js", 1, 1 };
static unsigned failures;

static value *parse(const char *in) {
        diag_list dl = DIAG_LIST_INIT;
        strbuf sb = STRBUF_INIT;
        value *v = NULL;

        if (js_parse("t.js", "/srv/t.js", in, strlen(in), &host, &v, &dl) != 0) {
                diag_render(&dl, &sb);
                fail_msg("input: %s\n%s", in, strbuf_str(&sb));
        }
        diag_list_free(&dl);
        return v;
}

static void check_str(const char *in, const char *what, const char *got, const char *want) {
        if (strcmp(got, want) != 0) {
                print_error("input: %s\n%s:\n got: %s\nwant: %s\n", in, what, got, want);
                failures++;
        }
}

static void check_json(const char *in, const value *v, int indent, const char *want) {
        strbuf sb = STRBUF_INIT;
        char what[32];

        value_to_json(v, &sb, indent);
        snprintf(what, sizeof(what), "json, indent %d", indent);
        check_str(in, what, strbuf_str(&sb), want);
        strbuf_free(&sb);
}

/* value_to_js(v) is want, and reads back to the same JSON. */
static void check_js(const char *in, const value *v, const char *want) {
        strbuf js = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
        value *again;

        value_to_js(v, &js);
        check_str(in, "js", strbuf_str(&js), want);
        again = parse(strbuf_str(&js));
        value_to_json(v, &a, 0);
        value_to_json(again, &b, 0);
        check_str(in, "js read back", strbuf_str(&b), strbuf_str(&a));
        value_free(again);
        strbuf_free(&js);
        strbuf_free(&a);
        strbuf_free(&b);
}

/* ---- JSON ---- */

static void test_json_one(const char *in, const char *compact, const char *pretty) {
        value *v = parse(in);

        check_json(in, v, 0, compact);
        check_json(in, v, 2, pretty);
        value_free(v);
}

static const struct {
        const char *in, *compact, *pretty;
} json_rows[] = {
        { "[{}]", "[{}]", "[\n  {}\n]" },
        { "[]", "[]", "[]" },
        { "({ a: [], b: {} })", "{\"a\":[],\"b\":{}}", "{\n  \"a\": [],\n  \"b\": {}\n}" },
        { "[1, 'two', true, false, null, [3, [4]]]", "[1,\"two\",true,false,null,[3,[4]]]",
          "[\n  1,\n  \"two\",\n  true,\n  false,\n  null,\n  [\n    3,\n    [\n      4\n    ]\n  ]\n]" },
        { "({ apps: [{ name: 'api', env: { A: '1' } }] })",
          "{\"apps\":[{\"name\":\"api\",\"env\":{\"A\":\"1\"}}]}",
          "{\n  \"apps\": [\n    {\n      \"name\": \"api\",\n      \"env\": {\n        \"A\": \"1\"\n      }\n    }\n  ]\n}" },
        { "['q\"b\\\\s', '\\n\\t\\r\\b\\f\\v', '\\x01\\x1f\\x7f', 'é \\u2028 😀 /']",
          "[\"q\\\"b\\\\s\",\"\\n\\t\\r\\b\\f\\u000b\",\"\\u0001\\u001f\x7f\",\"é \u2028 😀 /\"]",
          "[\n  \"q\\\"b\\\\s\",\n  \"\\n\\t\\r\\b\\f\\u000b\",\n  \"\\u0001\\u001f\x7f\",\n  \"é \u2028 😀 /\"\n]" },
        { "[0, -0, 1.5, -2.25, 1e21, 1e-7, 123456789, 0.1 + 0.2, NaN, Infinity, -Infinity]",
          "[0,0,1.5,-2.25,1e+21,1e-7,123456789,0.30000000000000004,null,null,null]",
          "[\n  0,\n  0,\n  1.5,\n  -2.25,\n  1e+21,\n  1e-7,\n  123456789,\n  0.30000000000000004,\n  null,\n  null,\n"
          "  null\n]" },
        { "({ 'a\"b': 1, 'new\\nline': 2, '': 3, 'é': 4 })", "{\"a\\\"b\":1,\"new\\nline\":2,\"\":3,\"é\":4}",
          "{\n  \"a\\\"b\": 1,\n  \"new\\nline\": 2,\n  \"\": 3,\n  \"é\": 4\n}" },
        { "[undefined, 1, , 2]", "[null,1,null,2]", "[\n  null,\n  1,\n  null,\n  2\n]" },
};

static void test_json(void **state) {
        (void) state;
        failures = 0;
        for (size_t i = 0; i < sizeof(json_rows) / sizeof(json_rows[0]); i++)
                test_json_one(json_rows[i].in, json_rows[i].compact, json_rows[i].pretty);
        assert_int_equal(failures, 0);
}

static void test_json_indent(void **state) {
        value *v = parse("({ a: [1], b: { c: true } })");

        (void) state;
        failures = 0;
        check_json("indent 4", v, 4, "{\n    \"a\": [\n        1\n    ],\n    \"b\": {\n        \"c\": true\n    }\n}");
        check_json("indent 1", v, 1, "{\n \"a\": [\n  1\n ],\n \"b\": {\n  \"c\": true\n }\n}");
        check_json("indent 99 is 10", v, 99,
                   "{\n          \"a\": [\n                    1\n          ],\n          \"b\": {\n"
                   "                    \"c\": true\n          }\n}");
        check_json("indent -1 is compact", v, -1, "{\"a\":[1],\"b\":{\"c\":true}}");
        value_free(v);
        assert_int_equal(failures, 0);
}

/* ---- ecosystem.config.js ---- */

static void test_js_one(const char *in, const char *want) {
        value *v = parse(in);

        check_js(in, v, want);
        value_free(v);
}

static const struct {
        const char *in, *js;
} js_rows[] = {
        { "module.exports = { apps: [{ name: 'api', script: './bin/www', instances: 'max', exec_mode: 'cluster', "
          "env: { NODE_ENV: 'development' }, env_production: { NODE_ENV: 'production' } }] }",
          "module.exports = {\n"
          "  apps: [\n"
          "    {\n"
          "      name: 'api',\n"
          "      script: './bin/www',\n"
          "      instances: 'max',\n"
          "      exec_mode: 'cluster',\n"
          "      env: {\n"
          "        NODE_ENV: 'development',\n"
          "      },\n"
          "      env_production: {\n"
          "        NODE_ENV: 'production',\n"
          "      },\n"
          "    },\n"
          "  ],\n"
          "};\n" },
        { "({})", "module.exports = {};\n" },
        { "[]", "module.exports = [];\n" },
        { "[1, 'a', true, null]", "module.exports = [1, 'a', true, null];\n" },
        { "({ a: [], b: {}, c: [[]] })", "module.exports = {\n  a: [],\n  b: {},\n  c: [\n    [],\n  ],\n};\n" },
        { "({ $_a1: 1, 'post-deploy': 2, '1abc': 3, 'é': 4, '': 5, default: 6, 'a b': 7, _: 8 })",
          "module.exports = {\n  $_a1: 1,\n  'post-deploy': 2,\n  '1abc': 3,\n  'é': 4,\n  '': 5,\n  default: 6,\n"
          "  'a b': 7,\n  _: 8,\n};\n" },
        { "({ s: [\"it's\", 'back\\\\slash', 'nl\\ncr\\rtab\\t', '\\b\\f\\v\\x01\\x7f', 'é😀', '\\u2028\\u2029', '\"'] })",
          "module.exports = {\n  s: [\n    'it\\'s',\n    'back\\\\slash',\n    'nl\\ncr\\rtab\\t',\n"
          "    '\\b\\f\\v\\x01\\x7f',\n    'é😀',\n    '\\u2028\\u2029',\n    '\"',\n  ],\n};\n" },
        { "({ args: ['--port', '3000', '--host', '0.0.0.0'] })",
          "module.exports = {\n  args: ['--port', '3000', '--host', '0.0.0.0'],\n};\n" },
        /* 80 columns: this one fits exactly ... */
        { "({ abcdefgh: ['aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb', 'ccccccccccccccc'] })",
          "module.exports = {\n  abcdefgh: ['aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb', 'ccccccccccccccc'],\n};\n" },
        /* ... and one more character does not */
        { "({ abcdefghi: ['aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb', 'ccccccccccccccc'] })",
          "module.exports = {\n  abcdefghi: [\n    'aaaaaaaaaaaaaaaaaaaa',\n    'bbbbbbbbbbbbbbbbbbbb',\n"
          "    'ccccccccccccccc',\n  ],\n};\n" },
        { "({ n: [0, -0, 1.5, 1e21, 1e-7, NaN, Infinity, -Infinity] })",
          "module.exports = {\n  n: [0, 0, 1.5, 1e+21, 1e-7, NaN, Infinity, -Infinity],\n};\n" },
        { "[undefined, , 1]", "module.exports = [undefined, undefined, 1];\n" },
        { "({ deploy: { production: { user: 'node', host: ['a', 'b'], 'post-deploy': 'npm ci && pm2 reload' } } })",
          "module.exports = {\n  deploy: {\n    production: {\n      user: 'node',\n      host: ['a', 'b'],\n"
          "      'post-deploy': 'npm ci && pm2 reload',\n    },\n  },\n};\n" },
};

static void test_js(void **state) {
        (void) state;
        failures = 0;
        for (size_t i = 0; i < sizeof(js_rows) / sizeof(js_rows[0]); i++)
                test_js_one(js_rows[i].in, js_rows[i].js);
        assert_int_equal(failures, 0);
}

/* ---- trees js_parse() does not produce ---- */

static value *object_with(const char *key, value *val) {
        value *o = value_new(V_OBJECT, here);

        assert_non_null(o);
        assert_int_equal(value_object_set(o, key, here, val), 0);
        return o;
}

static void test_built_one(const char *name, value *v, const char *json, const char *js) {
        strbuf sb = STRBUF_INIT;

        check_json(name, v, 0, json);
        value_to_js(v, &sb);
        check_str(name, "js", strbuf_str(&sb), js);
        strbuf_free(&sb);
        value_free(v);
}

static void test_built(void **state) {
        value *v;

        (void) state;
        failures = 0;
        /* bytes that are not UTF-8 become U+FFFD, so both outputs stay valid */
        test_built_one("bad UTF-8", value_new_string("a\xff" "b\xc3", 4, here), "\"a\\ufffdb\\ufffd\"",
                       "module.exports = 'a\\ufffdb\\ufffd';\n");
        test_built_one("surrogate bytes", value_new_string("\xed\xa0\x80", 3, here), "\"\\ufffd\\ufffd\\ufffd\"",
                       "module.exports = '\\ufffd\\ufffd\\ufffd';\n");
        /* a __proto__ key must not set the prototype when the file is read back */
        test_built_one("__proto__", object_with("__proto__", value_new_number(1, here)), "{\"__proto__\":1}",
                       "module.exports = {\n  ['__proto__']: 1,\n};\n");
        /* undefined members are skipped, like JSON.stringify */
        v = object_with("a", value_new(V_UNDEFINED, here));
        assert_int_equal(value_object_set(v, "b", here, value_new_bool(false, here)), 0);
        assert_int_equal(value_object_set(v, "c", here, value_new(V_UNDEFINED, here)), 0);
        test_built_one("undefined members", v, "{\"b\":false}", "module.exports = {\n  b: false,\n};\n");
        test_built_one("only undefined members", object_with("a", value_new(V_UNDEFINED, here)), "{}",
                       "module.exports = {};\n");
        test_built_one("undefined", value_new(V_UNDEFINED, here), "null", "module.exports = undefined;\n");
        test_built_one("a control key", object_with("\x01", value_new(V_NULL, here)), "{\"\\u0001\":null}",
                       "module.exports = {\n  '\\x01': null,\n};\n");
        assert_int_equal(failures, 0);
}

static void test_pretty_json_of_built(void **state) {
        value *v = object_with("a", value_new(V_UNDEFINED, here));

        (void) state;
        failures = 0;
        assert_int_equal(value_object_set(v, "b", here, value_new(V_ARRAY, here)), 0);
        check_json("undefined first", v, 2, "{\n  \"b\": []\n}");
        value_free(v);
        assert_int_equal(failures, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_json_indent),
                cmocka_unit_test(test_js),
                cmocka_unit_test(test_built),
                cmocka_unit_test(test_pretty_json_of_built),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
