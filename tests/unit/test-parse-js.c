/* SPDX-License-Identifier: MIT */
/* js_parse(): every supported construct (checked against node's own result when
 * the rows were written), every diagnostic with its exact text, locations, and
 * round trips through value_to_json() and value_to_js(). */
#include <errno.h>
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

#define FILE_NAME "t.js"
#define ABS_FILE "/srv/app/ecosystem.config.js"

static const char *fake_getenv(void *userdata, const char *name) {
        static const char *const env[][2] = {
                { "NODE_ENV", "production" }, { "HOME", "/home/u" }, { "X", "42" }, { "EMPTY", "" },
        };

        (void) userdata;
        for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
                if (strcmp(env[i][0], name) == 0)
                        return env[i][1];
        return NULL;
}

static const js_host host = { fake_getenv, 4, "/srv/cwd", NULL };

/* Parses in, returning the result (or NULL) and the rendered diagnostics. */
static value *parse(const char *in, size_t len, int *r, char **diags) {
        diag_list dl = DIAG_LIST_INIT;
        strbuf sb = STRBUF_INIT;
        value *v = NULL;

        *r = js_parse(FILE_NAME, ABS_FILE, in, len, &host, &v, &dl);
        diag_render(&dl, &sb);
        *diags = strbuf_steal(&sb);
        diag_list_free(&dl);
        assert_non_null(*diags);
        assert_true((*r == 0) == (v != NULL));
        return v;
}

static char *to_json(const value *v) {
        strbuf sb = STRBUF_INIT;

        value_to_json(v, &sb, 0);
        return strbuf_steal(&sb);
}

/* Mismatches are counted, so one run shows every failing row of a table. */
static unsigned failures;

static void check_str(const char *in, const char *what, const char *got, const char *want) {
        if (strcmp(got, want) != 0) {
                print_error("input: %s\n%s:\n got: %s\nwant: %s\n", in, what, got, want);
                failures++;
        }
}

/* Re-reads text (JSON or value_to_js output) and compares its JSON with json. */
static void check_reparse(const char *in, const char *what, const char *text, const char *json) {
        char *diags, *again;
        int r;
        value *v = parse(text, strlen(text), &r, &diags);

        if (r != 0)
                fail_msg("input: %s\n%s did not parse back:\n%s\n%s", in, what, text, diags);
        again = to_json(v);
        check_str(in, what, again, json);
        free(again);
        free(diags);
        value_free(v);
}

/* ---- accepted input: expected compact JSON, no diagnostics ---- */

static void test_ok_one(const char *in, const char *json) {
        char *diags, *got;
        strbuf js = STRBUF_INIT;
        int r;
        value *v = parse(in, strlen(in), &r, &diags);

        if (r != 0)
                fail_msg("input: %s\nfailed with %d:\n%s", in, r, diags);
        check_str(in, "diagnostics", diags, "");
        got = to_json(v);
        check_str(in, "json", got, json);
        /* JSON is a subset: the JSON output reads back to the same JSON ... */
        check_reparse(in, "JSON round trip", got, json);
        /* ... and so does the ecosystem.config.js value_to_js() writes. */
        value_to_js(v, &js);
        check_reparse(in, "value_to_js round trip", strbuf_str(&js), json);
        strbuf_free(&js);
        free(got);
        free(diags);
        value_free(v);
}

static const struct {
        const char *in, *json;
} ok_rows[] = {
        /* exports */
        { "module.exports = { apps: [{ name: 'api', script: './bin/www', cwd: __dirname, instances: 'max', exec_mode: "
          "'cluster', env: { NODE_ENV: 'development' }, env_production: { NODE_ENV: 'production' } }] };",
          "{\"apps\":[{\"name\":\"api\",\"script\":\"./bin/www\",\"cwd\":\"/srv/app\",\"instances\":\"max\",\"exec_mode\":"
          "\"cluster\",\"env\":{\"NODE_ENV\":\"development\"},\"env_production\":{\"NODE_ENV\":\"production\"}}]}" },
        { "module.exports.apps = [{ name: 'a' }]\nmodule.exports.deploy = {}\nmodule.exports['x'] = 1",
          "{\"apps\":[{\"name\":\"a\"}],\"deploy\":{},\"x\":1}" },
        { "exports.apps = [{ name: 'a' }]; exports.other = 2", "{\"apps\":[{\"name\":\"a\"}],\"other\":2}" },
        { "module.exports = { apps: [] }; module.exports.apps = [{ name: 'later' }]",
          "{\"apps\":[{\"name\":\"later\"}]}" },
        { "module.exports = { a: 1 }\nmodule.exports = { b: 2 }", "{\"b\":2}" },
        { "export default {\n  apps: [{ name: 'esm' }],\n};\n", "{\"apps\":[{\"name\":\"esm\"}]}" },
        { "{\n  \"apps\": [ { \"name\": \"json\", \"env\": { \"A\": \"1\" }, \"n\": -1.5e3, \"t\": true, \"z\": null } ]\n}\n",
          "{\"apps\":[{\"name\":\"json\",\"env\":{\"A\":\"1\"},\"n\":-1500,\"t\":true,\"z\":null}]}" },
        { "[ { name: 'x' }, { name: 'y' } ]", "[{\"name\":\"x\"},{\"name\":\"y\"}]" },
        { "({ apps: [{ name: 'paren' }] })", "{\"apps\":[{\"name\":\"paren\"}]}" },
        { "'use strict';\n\"use strict\"\nmodule.exports = {}", "{}" },
        /* require, path, os */
        { "const path = require('path');\nconst { join } = require('path');\nconst os = require('os');\n"
          "const base = path.join(__dirname, 'app');\n"
          "module.exports = { script: path.join(base, 'server.js'), s2: join(base, '..', 'x'), n: os.cpus().length }",
          "{\"script\":\"/srv/app/app/server.js\",\"s2\":\"/srv/app/x\",\"n\":4}" },
        { "module.exports = [require('path').join('a', 'b'), require('node:path').resolve(__dirname, '../x'), "
          "require('os').cpus().length, require('node:os').cpus().length, require('path').posix.join('p', 'q')]",
          "[\"a/b\",\"/srv/x\",4,4,\"p/q\"]" },
        { "const { join, resolve: r, dirname, basename } = require('path'); const { cpus } = require('os');\n"
          "module.exports = [join('a', '../b'), r('rel'), r('/abs', 'x'), dirname(__filename), basename(__filename, '.js'), "
          "cpus().length, process.cwd()]",
          "[\"b\",\"/srv/cwd/rel\",\"/abs/x\",\"/srv/app\",\"ecosystem.config\",4,\"/srv/cwd\"]" },
        { "const path = require('path'); module.exports = [path.join('/a/', '/b/'), path.join(''), path.join(), "
          "path.resolve(), path.resolve('/'), path.join('a', '..', '..', 'b'), path.join('a/./b', './c'), "
          "path.resolve('a', '/b', 'c'), path.join('..', '..'), path.join('./'), path.resolve('a/../..'), "
          "path.join('/..', 'a'), path.resolve('//a//b'), path.join('//a'), path.join('a//b/', 'c/')]",
          "[\"/a/b/\",\".\",\".\",\"/srv/cwd\",\"/\",\"../b\",\"a/b/c\",\"/b/c\",\"../..\",\"./\",\"/srv\",\"/a\","
          "\"/a/b\",\"/a\",\"a/b/c/\"]" },
        { "const path = require('path'); module.exports = [path.dirname('a'), path.dirname('/'), path.dirname('//a'), "
          "path.dirname('a//b//'), path.dirname(''), path.dirname('/a/b/c'), path.basename('/a/b/', 'b'), "
          "path.basename('aaa', 'a'), path.basename('a.js', '.js'), path.basename('x/.js', '.js'), "
          "path.basename('.js', '.js'), path.basename('a/b.js/', '.js'), path.basename('/'), path.basename(''), "
          "path.basename('abc', ''), path.basename('abc', 'abcd'), path.basename('/a/b.js', undefined)]",
          "[\".\",\"/\",\"//\",\"a/\",\".\",\"/a/b\",\"b\",\"aa\",\"a\",\".js\",\"\",\"b\",\"\",\"\",\"abc\",\"abc\","
          "\"b.js\"]" },
        /* process.env */
        { "module.exports = { port: process.env.PORT || 3000, x: process.env.X || 3000, "
          "env: process.env.NODE_ENV ?? 'dev', nope: process.env.NOPE ?? 'dev', e: process.env.EMPTY || 'def', "
          "e2: process.env.EMPTY ?? 'def', k: process.env['HO' + 'ME'], unset: process.env.PORT }",
          "{\"port\":3000,\"x\":\"42\",\"env\":\"production\",\"nope\":\"dev\",\"e\":\"def\",\"e2\":\"\","
          "\"k\":\"/home/u\"}" },
        { "const { env } = process; const { NODE_ENV, PORT = 8080, X: xx } = process.env;\n"
          "module.exports = { h: env.HOME, NODE_ENV, PORT, xx }",
          "{\"h\":\"/home/u\",\"NODE_ENV\":\"production\",\"PORT\":8080,\"xx\":\"42\"}" },
        { "module.exports = { mode: process.env.NODE_ENV === 'production' ? 'cluster' : 'fork', "
          "m: process.env.NOPE ? 1 : 2 }",
          "{\"mode\":\"cluster\",\"m\":2}" },
        /* templates and + */
        { "const name = 'api';\nmodule.exports = { log: `${__dirname}/logs/${name}.log`, t: `a${1}b${'c'}d`, "
          "n: `${`n${1}`}`, m: `line1\nline2`, e: `\\${x}`, d: `$`, o: `$ {`, c: `}`, j: `${[1, 2]}${null}${undefined}`, "
          "obj: `${{}}` }",
          "{\"log\":\"/srv/app/logs/api.log\",\"t\":\"a1bcd\",\"n\":\"n1\",\"m\":\"line1\\nline2\",\"e\":\"${x}\","
          "\"d\":\"$\",\"o\":\"$ {\",\"c\":\"}\",\"j\":\"1,2nullundefined\",\"obj\":\"[object Object]\"}" },
        { "module.exports = [ 'a' + 1, 1 + 2, 1 + '2', 'x' + 0.1, '' + 1e-7, 0.1 + 0.2, true + 1, null + 1, "
          "undefined + 1, [1, 2] + '', ({}) + 'a', [] + [], 'a' + [1, [2, 3]], '' + null, 123456789012345680000 + '', "
          "-0 + '', 1e21 + '' ]",
          "[\"a1\",3,\"12\",\"x0.1\",\"1e-7\",0.30000000000000004,2,1,null,\"1,2\",\"[object Object]a\",\"\","
          "\"a1,2,3\",\"null\",\"123456789012345680000\",\"0\",\"1e+21\"]" },
        /* objects */
        { "const common = { exec_mode: 'cluster', name: 'base' };\nmodule.exports = { ...common, name: 'x' }",
          "{\"exec_mode\":\"cluster\",\"name\":\"x\"}" },
        { "const name = 'api', instances = 2;\nmodule.exports = { name, instances, }",
          "{\"name\":\"api\",\"instances\":2}" },
        { "module.exports = [ {...['a','b']}, {...null}, {...5}, {...undefined}, {...true}, { a: 1, b: 2, a: 3 }, "
          "{ a: 1, ...{ a: undefined }, c: 1 }, { a: undefined, b: 1 }, [...[1, 2], ...[]] ]",
          "[{\"0\":\"a\",\"1\":\"b\"},{},{},{},{},{\"a\":3,\"b\":2},{\"c\":1},{\"b\":1},[1,2]]" },
        { "module.exports = { 'quoted key': 1, \"d\": 2, 3: 3, 1.50: 4, 0x10: 5, new: 6, default: 7, class: 8 }",
          "{\"quoted key\":1,\"d\":2,\"3\":3,\"1.5\":4,\"16\":5,\"new\":6,\"default\":7,\"class\":8}" },
        { "module.exports = { apps: [{ name: 'a', deploy: undefined }], deploy: { production: { user: 'node', "
          "host: ['h1', 'h2'], ref: 'origin/main', 'post-deploy': 'npm ci' } } }",
          "{\"apps\":[{\"name\":\"a\"}],\"deploy\":{\"production\":{\"user\":\"node\",\"host\":[\"h1\",\"h2\"],"
          "\"ref\":\"origin/main\",\"post-deploy\":\"npm ci\"}}}" },
        { "const a = { b: { c: [10, 20] } };\nmodule.exports = [a.b.c[1], a['b'].c.length, a.missing, [1, 2][5], "
          "'héllo😀'.length, ''.length, [[1]][0][0], [5, 6]['1']]",
          "[20,2,null,null,7,0,1,6]" },
        /* arrays */
        { "module.exports = [1,,2,]", "[1,null,2]" },
        { "module.exports = [[[[]]], [], {}]", "[[[[]]],[],{}]" },
        /* operators */
        { "module.exports = [ -'5', -'', -'abc', !'', !'0', -null, -[], -[5], -true, !!NaN, -'-0x10', - -1, "
          "-(-'3'), !{}, ![] ]",
          "[-5,0,null,true,false,0,0,-5,-1,false,null,1,3,false,false]" },
        { "module.exports = [ '' || 'd', 0 || 'd', NaN || 'd', [] && 'x', null ?? 'd', 0 ?? 'd', '' ?? 'd', "
          "undefined ?? null ?? 3, 'a' && 'b' && 0, (null || 0) ?? 5, 1 ? 2 ? 3 : 4 : 5, 0 ? 1 : '' ? 2 : 3 ]",
          "[\"d\",\"d\",\"d\",\"x\",\"d\",0,\"\",3,0,0,3,3]" },
        { "module.exports = [ '1' == 1, null == undefined, null == 0, '' == 0, '0' == false, [1] == 1, [] == '', "
          "NaN == NaN, 'abc' == 'abc', ' 12 ' == 12, '0x10' == 16, '1e3' == 1000, 'Infinity' == Infinity, "
          "'-0x10' == -16, '1_000' == 1000, '.5' == 0.5, '5.' == 5, '+5' == 5, '0b11' == 3, 'e5' == 0, "
          "null === null, undefined === undefined, 1 !== '1', true == 1, true == '1', false == '', '' != 0, "
          "[null] == '', 1 === 1.0, 'a' !== 'b', 0 === -0 ]",
          "[true,true,false,true,true,true,true,false,true,true,true,true,true,false,false,true,true,true,true,false,"
          "true,true,true,true,true,true,false,true,true,true,true]" },
        /* numbers */
        { "module.exports = [0xff, 0XFF, 0o17, 0b101, 1_000_000, 1.5e3, .5, 5., 1E-7, 0.1e1_0, 1_0.0_1, 0, -0, 1e21, "
          "0xFFFFFFFFFFFFFFFFF, 0b1111111111111111111111111111111111111111111111111111111, 9007199254740993, "
          "5e-324, 1.7976931348623157e308, 1e309, NaN, Infinity, -Infinity]",
          "[255,255,15,5,1000000,1500,0.5,5,1e-7,1000000000,10.01,0,0,1e+21,295147905179352830000,"
          "36028797018963970,9007199254740992,5e-324,1.7976931348623157e+308,null,null,null,null]" },
        /* strings */
        { "module.exports = ['a\\n\\t\\r\\b\\f\\v', '\\x41\\u0042\\u{43}\\u{1F600}\\uD83D\\uDE00', 'q\\'\"', \"d\\\"'\", "
          "'bs\\\\', '\\a\\c\\d', 'é', '\\u2028', 'line\\\ncont', 'crlf\\\r\ncont', '\\u{10FFFF}']",
          "[\"a\\n\\t\\r\\b\\f\\u000b\",\"ABC😀😀\",\"q'\\\"\",\"d\\\"'\",\"bs\\\\\",\"acd\",\"é\",\"\u2028\","
          "\"linecont\",\"crlfcont\",\"\U0010FFFF\"]" },
        { "module.exports = { t: `a\r\nb\rc` }", "{\"t\":\"a\\nb\\nc\"}" },
        /* comments, hashbang, BOM, ASI */
        { "#!/usr/bin/env node\n// line\n/* block\n   comment */ module.exports = { a: 1 } // trailing\n",
          "{\"a\":1}" },
        { "\xef\xbb\xbfmodule.exports = {a:1}\r\nmodule.exports.b = 'é'", "{\"a\":1,\"b\":\"é\"}" },
        { "const a = 1\nconst b = a\nlet c\nvar d = 1\nvar d = 2\nmodule.exports = { a, b, c, d }\n;",
          "{\"a\":1,\"b\":1,\"d\":2}" },
        { "const a = 'x'\nconst b = a\n  + 'y'\nconst c = [\n1\n]\nmodule.exports = { b, c }", "{\"b\":\"xy\",\"c\":[1]}" },
        /* ESM */
        { "import path from 'path';\nimport * as os from 'node:os';\nimport { join, resolve as res } from 'node:path';\n"
          "import { fileURLToPath } from 'url';\n"
          "const __dirname = path.dirname(fileURLToPath(import.meta.url));\n"
          "export default { s: join(__dirname, 'i.js'), n: os.cpus().length, r: res('x'), u: import.meta.url, "
          "f: import.meta.filename, d: import.meta.dirname, p: fileURLToPath('file:///a%20b/c') };",
          "{\"s\":\"/srv/app/i.js\",\"n\":4,\"r\":\"/srv/cwd/x\",\"u\":\"file:///srv/app/ecosystem.config.js\","
          "\"f\":\"/srv/app/ecosystem.config.js\",\"d\":\"/srv/app\",\"p\":\"/a b/c\"}" },
        /* names */
        { "const café = 'ü'; const $x = 1, _y = 2; module.exports = { café, $x, _y, undefined, z: undefined }",
          "{\"café\":\"ü\",\"$x\":1,\"_y\":2}" },
};

static void test_ok(void **state) {
        (void) state;
        failures = 0;
        for (size_t i = 0; i < sizeof(ok_rows) / sizeof(ok_rows[0]); i++)
                test_ok_one(ok_rows[i].in, ok_rows[i].json);
        assert_int_equal(failures, 0);
}

/* ---- rejected input: the exact diagnostics ---- */

static void test_error_one(const char *in, size_t len, const char *want) {
        char *diags;
        int r;
        value *v = parse(in, len, &r, &diags);

        if (r != -EINVAL)
                fail_msg("input: %s\nexpected -EINVAL, got %d", in, r);
        check_str(in, "diagnostics", diags, want);
        free(diags);
        value_free(v);
}

#define HINT " is not supported here (use --eval to let node evaluate this file)\n"
#define U(col) "t.js:1:" #col ": error: pmgen reads ecosystem files without running them; "

static const struct {
        const char *in, *want;
} error_rows[] = {
        /* constructs that need running code */
        { "module.exports = { a: new Foo(bar) }", U(23) "'new'" HINT },
        { "module.exports = { a: function () { return 1 }, b: 2 }", U(23) "'function'" HINT },
        { "module.exports = { a: () => 1, b: (x, y) => { return x }, c: async () => 1, d: async x => 2 }",
          U(23) "an arrow function" HINT U(35) "an arrow function" HINT U(62) "an async function" HINT
          U(80) "an async function" HINT },
        { "module.exports = { a: class { } }", U(23) "'class'" HINT },
        { "module.exports = { a: /re/g }", U(23) "a regular expression literal" HINT },
        { "for (const x of y) {}\nmodule.exports = {}", U(1) "'for'" HINT },
        { "if (x) { y() } else { z() }\nmodule.exports = {}", U(1) "'if'" HINT },
        { "while (true) {}\nmodule.exports = {}", U(1) "'while'" HINT },
        { "function f() {\n  return 1\n}\nmodule.exports = {}", U(1) "'function'" HINT },
        { "module.exports = { a: require('fs').readFileSync('x') }", U(23) "require('fs')" HINT },
        { "module.exports = { a: require('./common.js') }", U(23) "require('./common.js')" HINT },
        { "module.exports = { a: require(name) }", "t.js:1:31: error: unknown name 'name'\n" },
        { "const m = 'f'; module.exports = { a: require(m + 's') }", U(38) "require('fs')" HINT },
        { "module.exports = { a: require(1) }", U(31) "require() of something other than a string" HINT },
        { "module.exports = { a: 1 - foo }", U(25) "the operator '-'" HINT },
        { "module.exports = { a: 2 * 3, b: 1 < 2, c: 'a' in {} }",
          U(25) "the operator '*'" HINT U(35) "the operator '<'" HINT U(47) "the operator 'in'" HINT },
        { "module.exports = { a: x = 1 }",
          "t.js:1:23: error: unknown name 'x'\n" U(25) "assignment with '='" HINT },
        { "x = 1\nmodule.exports = {}", U(1) "assigning to 'x'" HINT },
        { "console.log('hi')\nmodule.exports = {}", "t.js:1:1: error: unknown name 'console'\n" },
        { "module.exports = { a: process.env?.X }", U(34) "optional chaining '?.'" HINT },
        { "module.exports = { a: typeof x, b: void 0, c: +'3', d: ~1 }",
          U(23) "'typeof'" HINT U(36) "'void'" HINT U(47) "the prefix operator '+'" HINT
          U(56) "the prefix operator '~'" HINT },
        { "module.exports = { a: String.raw`x` }", "t.js:1:23: error: unknown name 'String'\n" U(33) "a tagged template" HINT },
        { "const s = 'x'; module.exports = { a: s`x` }", U(39) "a tagged template" HINT },
        { "module.exports = { [k]: 1 }", U(20) "a computed key '[…]'" HINT },
        { "module.exports = { a() {}, get b() { return 1 }, *c() {} }",
          U(20) "a method" HINT U(28) "a getter, setter or async method" HINT U(50) "a generator method" HINT },
        { "module.exports = [...'ab']", U(22) "spreading a string" HINT },
        { "module.exports = { a: 'x'.toUpperCase() }", U(27) "'.toUpperCase' on a string" HINT },
        { "const p = require('path'); module.exports = { a: p.normalize('a') }", U(52) "'path.normalize'" HINT },
        { "module.exports = { a: require('os').hostname() }", U(37) "'os.hostname'" HINT },
        { "module.exports = { a: process.exit }", U(31) "'process.exit'" HINT },
        { "module.exports = { a: [1] === [1] }", U(27) "comparing objects or arrays with '==='" HINT },
        { "module.exports = { a: this }", U(23) "'this'" HINT },
        { "foo: 1\nmodule.exports = {}", U(1) "a label" HINT },
        { "module.exports.apps.push({ name: 'x' })", U(20) "changing module.exports.apps in place" HINT },
        { "export const x = 1", U(1) "a named export (write export default …)" HINT },
        { "import fs from 'fs'\nexport default {}", U(16) "import from 'fs'" HINT },
        { "import 'fs'\nexport default {}", U(8) "import 'fs'" HINT },
        { "import x from 'path' with { type: 'json' }\nexport default {}", U(22) "an import with attributes" HINT },
        { "module.exports = { a: import('x') }", U(23) "import()" HINT },
        { "exports = { a: 1 }", U(1) "assigning to 'exports' (write module.exports = …)" HINT },
        /* values that are not data */
        { "module.exports = { env: process.env }",
          "t.js:1:25: error: found 'process.env' (pmgen does not copy the whole environment; name each variable), "
          "expected a value\n" },
        { "module.exports = { ...process.env }",
          "t.js:1:23: error: found 'process.env' (pmgen does not copy the whole environment; name each variable), "
          "expected a value\n" },
        { "const os = require('os'); module.exports = { a: os.cpus() }",
          "t.js:1:49: error: found os.cpus() (use os.cpus().length), expected a value\n" },
        { "module.exports = { a: require('path').join }",
          "t.js:1:23: error: found the function path.join(), expected a value\n" },
        { "module.exports = require('path')", "t.js:1:18: error: found the 'path' module, expected a value\n" },
        { "const p = require('path'); module.exports = { a: p.join('a', 1) }",
          "t.js:1:62: error: found a number, expected a string argument to path.join()\n" },
        { "module.exports = { a: require('path').dirname() }",
          "t.js:1:23: error: found path.dirname() without an argument, expected one\n" },
        { "module.exports = { a: process.env.X.Y.Z }", U(37) "'.Y' on a string" HINT },
        { "module.exports = { a: process.env.NOPE.length }",
          "t.js:1:40: error: found undefined, expected an object to read 'length' from\n" },
        /* names */
        { "module.exports = { a: foo }", "t.js:1:23: error: unknown name 'foo'\n" },
        { "module.exports = { a: procss.env.X }", "t.js:1:23: error: unknown name 'procss'; did you mean 'process'?\n" },
        { "const common = {}; module.exports = { ...comon }",
          "t.js:1:42: error: unknown name 'comon'; did you mean 'common'?\n" },
        { "module.exports = { a: path.join('a') }", "t.js:1:23: error: unknown name 'path'\n" },
        { "const a = 1; const a = 2; module.exports = {}",
          "t.js:1:20: error: found a second declaration of 'a', expected a new name (the first is on line 1)\n" },
        { "const a; module.exports = {}", "t.js:1:8: error: found ';', expected '=' and a value\n" },
        { "const b = b; module.exports = {}", "t.js:1:11: error: unknown name 'b'\n" },
        /* exports */
        { "const x = 5", "t.js: error: found nothing exported, expected module.exports = …, export default … or a JSON value\n" },
        { "", "t.js: error: found nothing exported, expected module.exports = …, export default … or a JSON value\n" },
        { "module.exports = 5; module.exports.apps = []",
          "t.js:1:36: error: found module.exports.apps, but module.exports is a number, expected an object\n" },
        { "export default {}; module.exports = {}",
          "t.js:1:20: error: found a second export, expected one exported configuration (the first is on line 1)\n" },
        { "module.exports = { a: 1 }\n;[1, 2]",
          "t.js:2:2: error: found a second export, expected one exported configuration (the first is on line 1)\n" },
        { "module.exports = { a: 1 }; exports.b = 2",
          "t.js:1:28: error: found exports.b after module.exports was replaced, expected module.exports.b\n" },
        { "1 + 1\nmodule.exports = {}",
          "t.js:1:1: error: found an expression, expected a declaration, module.exports = … or export default …\n" },
        { "'use client'\nmodule.exports = {}",
          "t.js:1:1: error: found an expression, expected a declaration, module.exports = … or export default …\n" },
        { "module.exports = { __proto__: {} }",
          "t.js:1:20: error: found the key '__proto__', expected another key (it would set the object's prototype)\n" },
        /* syntax */
        { "module.exports = { a: 1 b: 2 }", "t.js:1:25: error: found 'b', expected ',' or '}'\n" },
        { "module.exports = { a: 1, }}", "t.js:1:27: error: found '}', expected ';' or a new line\n" },
        { "module.exports = { a: 1 } garbage", "t.js:1:27: error: found 'garbage', expected ';' or a new line\n" },
        { "module.exports = { a 1 }", "t.js:1:22: error: found '1', expected ':'\n" },
        { "module.exports = { a: }", "t.js:1:23: error: found '}', expected a value\n" },
        { "module.exports = [1, 2", "t.js:1:23: error: found end of file, expected ',' or ']'\n" },
        { "module.exports = (1", "t.js:1:20: error: found end of file, expected ')'\n" },
        { "module.exports = { a: `x${1 2}` }",
          "t.js:1:29: error: found '2', expected '}' ending the ${…} substitution\n" },
        { "module.exports = { a: if }", "t.js:1:23: error: found 'if', expected a value\n" },
        { "module.exports = { a: 1 ?? 2 || 3 }",
          "t.js:1:30: error: found '||' mixed with '?\?', expected parentheses around one of them\n" },
        { "module.exports = { a: 1 && 2 ?? 3 }",
          "t.js:1:30: error: found '?\?' mixed with '&&', expected parentheses around one of them\n" },
        { "module.exports = { a: 1 ? 2 }", "t.js:1:29: error: found '}', expected ':'\n" },
        { "module.exports = { a: { b: }\nconst x = zz\nmodule.exports = { c: yy }",
          "t.js:1:28: error: found '}', expected a value\nt.js:2:11: error: unknown name 'zz'\n"
          "t.js:3:23: error: unknown name 'yy'\n" },
        { "module.exports = { a: foo, b: new X(), c: bar }",
          "t.js:1:23: error: unknown name 'foo'\n" U(31) "'new'" HINT "t.js:1:43: error: unknown name 'bar'\n" },
        /* strings and numbers */
        { "module.exports = { a: 'x\\0y', b: 'x\\x00', c: '\\u0000', d: `\\u{0}` }",
          "t.js:1:25: error: found '\\0' in a string, but NUL bytes are not allowed\n"
          "t.js:1:36: error: found '\\x00' in a string, but NUL bytes are not allowed\n"
          "t.js:1:47: error: found '\\u0000' in a string, but NUL bytes are not allowed\n"
          "t.js:1:60: error: found '\\u{0}' in a string, but NUL bytes are not allowed\n" },
        { "module.exports = { a: 'unterminated }",
          "t.js:1:23: error: found an unterminated string, expected a closing '\n"
          "t.js:1:38: error: found end of file, expected ',' or '}'\n" },
        { "module.exports = `abc", "t.js:1:18: error: found an unterminated template string, expected a closing `\n" },
        { "module.exports = {} /* open", "t.js:1:21: error: found an unterminated /* comment, expected */\n" },
        { "module.exports = ['\\x4g', '\\u12', '\\u{110000}', '\\uD800', '\\1']",
          "t.js:1:20: error: found an invalid \\x escape, expected \\x and two hex digits\n"
          "t.js:1:28: error: found an invalid \\u escape, expected \\u and four hex digits or \\u{…}\n"
          "t.js:1:36: error: found an escape beyond \\u{10FFFF}, expected a Unicode code point\n"
          "t.js:1:50: error: found a lone surrogate \\uD800, expected a complete Unicode character\n"
          "t.js:1:60: error: found '\\1', expected an escape such as \\n or \\x41 (octal escapes are not allowed)\n" },
        { "module.exports = [017, 08, 10n, 3in, 1__0, 0x, 1e]",
          "t.js:1:19: error: found '017', expected a number without a leading zero (octal is written 0o…)\n"
          "t.js:1:24: error: found '08', expected a number without a leading zero (octal is written 0o…)\n"
          "t.js:1:28: error: found a BigInt literal, expected a number (BigInt is not supported)\n"
          "t.js:1:34: error: found 'i' right after a number, expected a space or an operator\n"
          "t.js:1:39: error: found '_' in a number, expected digits on both sides of it\n"
          "t.js:1:40: error: found '_' in a number, expected digits on both sides of it\n"
          "t.js:1:44: error: found '0x' without digits, expected a number such as 0x1\n"
          "t.js:1:48: error: found '1e', expected digits after the exponent\n" },
        { "module.exports = { a: 1 } \x01", "t.js:1:27: error: found byte 0x01, expected a name, value or operator\n" },
        { "module.exports = { a: '\xff' }", "t.js:1:24: error: found byte 0xff, expected UTF-8 text\n" },
        { "module.exports = { a: '\xed\xa0\x80' }", "t.js:1:24: error: found byte 0xed, expected UTF-8 text\n" },
        { "module.exports = { a: 1 } @", "t.js:1:27: error: found '@', expected ';' or a new line\n" },
        /* the dotenv warning comes with the error that makes the row fail */
        { "require('dotenv').config()\nmodule.exports = { a: b }",
          "t.js:1:1: warning: ignoring dotenv: pmgen does not load .env files implicitly; declare the variables in env\n"
          "t.js:2:23: error: unknown name 'b'\n" },
};

static void test_errors(void **state) {
        (void) state;
        failures = 0;
        for (size_t i = 0; i < sizeof(error_rows) / sizeof(error_rows[0]); i++)
                test_error_one(error_rows[i].in, strlen(error_rows[i].in), error_rows[i].want);
        assert_int_equal(failures, 0);
}

/* Inputs that need a length (embedded NUL) or are generated. */
static void test_error_special(void **state) {
        static const char nul[] = "module.exports = { a: 'x\0y' }";
        strbuf deep = STRBUF_INIT, many = STRBUF_INIT, big = STRBUF_INIT;

        (void) state;
        failures = 0;
        test_error_one(nul, sizeof(nul) - 1, "t.js:1:25: error: found byte 0x00 in a string, but NUL bytes are not allowed\n");

        /* 64 levels of nesting are fine, 65 are not */
        strbuf_adds(&deep, "module.exports = ");
        for (int i = 0; i < 64; i++)
                strbuf_addc(&deep, '[');
        for (int i = 0; i < 64; i++)
                strbuf_addc(&deep, ']');
        test_ok_one(strbuf_str(&deep), strbuf_str(&deep) + strlen("module.exports = "));
        strbuf_truncate(&deep, 0);
        strbuf_adds(&deep, "module.exports = ");
        for (int i = 0; i < 65; i++)
                strbuf_addc(&deep, '[');
        test_error_one(strbuf_str(&deep), deep.len, "t.js:1:82: error: found nesting deeper than 64 levels, expected at most 64\n");
        /* ... also when a name brings nesting along */
        strbuf_truncate(&deep, 0);
        strbuf_adds(&deep, "const a = ");
        for (int i = 0; i < 60; i++)
                strbuf_addc(&deep, '[');
        for (int i = 0; i < 60; i++)
                strbuf_addc(&deep, ']');
        strbuf_adds(&deep, "\nmodule.exports = [[[[[a]]]]]");
        test_error_one(strbuf_str(&deep), deep.len, "t.js:2:23: error: found nesting deeper than 64 levels, expected at most 64\n");
        /* ... and deep expressions stop before the stack does */
        strbuf_truncate(&deep, 0);
        strbuf_adds(&deep, "module.exports = ");
        for (int i = 0; i < 300; i++)
                strbuf_addc(&deep, '!');
        strbuf_adds(&deep, "1");
        test_error_one(strbuf_str(&deep), deep.len,
                       "t.js:1:218: error: found expressions nested more than 200 levels deep, expected simpler code\n");

        /* at most JS_MAX_ERRORS errors */
        strbuf_adds(&many, "module.exports = [");
        for (int i = 0; i < 60; i++)
                strbuf_adds(&many, "x, ");
        strbuf_adds(&many, "]");
        {
                char *diags;
                int r;
                value *v = parse(strbuf_str(&many), many.len, &r, &diags);
                size_t lines = 0;

                assert_int_equal(r, -EINVAL);
                assert_null(v);
                for (const char *s = diags; *s; s++)
                        lines += *s == '\n';
                assert_int_equal(lines, 51);
                assert_non_null(strstr(diags, "t.js:1:166: error: too many errors; giving up\n"));
                free(diags);
        }

        /* values that double with every name cannot exhaust memory */
        strbuf_adds(&big, "const a0 = 'xxxxxxxxxxxxxxxx'\n");
        for (int i = 1; i < 40; i++)
                strbuf_addf(&big, "const a%d = a%d + a%d\n", i, i - 1, i - 1);
        strbuf_adds(&big, "module.exports = { a: a39 }\n");
        {
                char *diags;
                int r;
                value *v = parse(strbuf_str(&big), big.len, &r, &diags);

                assert_int_equal(r, -EINVAL);
                assert_null(v);
                assert_non_null(strstr(diags, "error: found values growing beyond the size limit, expected a "
                                              "configuration of reasonable size (check repeated spreads and "
                                              "concatenations)\n"));
                free(diags);
        }
        assert_int_equal(failures, 0);
        strbuf_free(&deep);
        strbuf_free(&many);
        strbuf_free(&big);
}

/* ---- accepted with warnings ---- */

static void test_warning_one(const char *in, const char *json, const char *want) {
        char *diags, *got;
        int r;
        value *v = parse(in, strlen(in), &r, &diags);

        if (r != 0)
                fail_msg("input: %s\nfailed with %d:\n%s", in, r, diags);
        check_str(in, "diagnostics", diags, want);
        got = to_json(v);
        check_str(in, "json", got, json);
        free(got);
        free(diags);
        value_free(v);
}

#define DOTENV "warning: ignoring dotenv: pmgen does not load .env files implicitly; declare the variables in env\n"

static const struct {
        const char *in, *json, *want;
} warning_rows[] = {
        { "require('dotenv').config()\nmodule.exports = { a: 1 }", "{\"a\":1}", "t.js:1:1: " DOTENV },
        { "'use strict'\nrequire('dotenv').config({ path: require('path').join(__dirname, '.env') })\n"
          "module.exports = {}", "{}", "t.js:2:1: " DOTENV },
        { "const dotenv = require('dotenv')\ndotenv.config()\nmodule.exports = {}", "{}", "t.js:2:1: " DOTENV },
        { "require('dotenv/config')\nmodule.exports = {}", "{}", "t.js:1:1: " DOTENV },
        { "import 'dotenv/config'\nexport default {}", "{}", "t.js:1:1: " DOTENV },
        { "import dotenv from 'dotenv'\ndotenv.config()\nexport default {}", "{}", "t.js:2:1: " DOTENV },
};

static void test_warnings(void **state) {
        (void) state;
        failures = 0;
        for (size_t i = 0; i < sizeof(warning_rows) / sizeof(warning_rows[0]); i++)
                test_warning_one(warning_rows[i].in, warning_rows[i].json, warning_rows[i].want);
        assert_int_equal(failures, 0);
}

/* ---- locations ---- */

/* Follows a path like "apps.0.name" ("" is the root); *m is the last member. */
static const value *find(const value *v, const char *path, const member **m) {
        char buf[128], *save = NULL;

        *m = NULL;
        snprintf(buf, sizeof(buf), "%s", path);
        for (char *part = strtok_r(buf, ".", &save); part && v; part = strtok_r(NULL, ".", &save)) {
                if (v->type == V_ARRAY) {
                        size_t i = strtoul(part, NULL, 10);

                        v = i < v->arr.n ? v->arr.items[i] : NULL;
                } else {
                        *m = value_object_get(v, part);
                        v = *m ? (*m)->val : NULL;
                }
        }
        return v;
}

static void test_location_one(const char *in, const char *path, const char *where, const char *key_where) {
        char *diags, got[64];
        int r;
        const member *m;
        value *v = parse(in, strlen(in), &r, &diags);
        const value *x;

        if (r != 0)
                fail_msg("input: %s\nfailed with %d:\n%s", in, r, diags);
        x = find(v, path, &m);
        if (!x)
                fail_msg("input: %s\nno value at %s", in, path);
        assert_string_equal(x->where.file, FILE_NAME);
        snprintf(got, sizeof(got), "%u:%u", x->where.line, x->where.col);
        check_str(in, path, got, where);
        if (key_where) {
                snprintf(got, sizeof(got), "%u:%u", m->key_where.line, m->key_where.col);
                check_str(in, "key of path", got, key_where);
        }
        free(diags);
        value_free(v);
}

#define APP "module.exports = {\n  apps: [{\n    name: 'api',\n\tscript: \"a.js\",\n    n: -5, t: `x`,\n  }],\n}\n"

static const struct {
        const char *in, *path, *where, *key_where;
} location_rows[] = {
        { APP, "", "1:18", NULL },
        { APP, "apps", "2:9", "2:3" },
        { APP, "apps.0", "2:10", NULL },
        { APP, "apps.0.name", "3:11", "3:5" },
        { APP, "apps.0.script", "4:10", "4:2" },    /* a tab is one byte */
        { APP, "apps.0.n", "5:8", "5:5" },          /* a negative number starts at its '-' */
        { APP, "apps.0.t", "5:15", "5:12" },
        { "module.exports = { s: 'é', x: 'y' }", "x", "1:32", "1:29" }, /* columns count bytes */
        { "module.exports = {\r\n  a: 1,\r\n  b: 2 }", "b", "3:6", "3:3" },
        { "module.exports = { a: 'x' + 1 }", "a", "1:23", NULL },      /* an expression: where it starts */
        { "module.exports = { a: process.env.X }", "a", "1:23", NULL },
        { "module.exports = { a: process.env.NOPE || 3 }", "a", "1:43", NULL }, /* || picks a side */
        { "const port = 3000\nmodule.exports = { port }", "port", "1:14", "2:20" }, /* names keep their origin */
        { "const c = { k: 1 }\nmodule.exports = { ...c }", "k", "1:16", "1:13" },
        { "module.exports.apps = [{ name: 'x' }]", "apps.0.name", "1:32", "1:26" },
        { "module.exports.apps = []", "", "1:1", NULL },
        { "module.exports = `a\n${1}\nb`", "", "1:18", NULL },
        { "module.exports = { a: `a\n`, b: 1 }", "b", "2:7", "2:4" },
        { "module.exports = { a: 'x\\\ny', b: 1 }", "b", "2:8", "2:5" },
        { "/* a\nb */ module.exports = { a: 1 }", "a", "2:28", "2:25" },
};

static void test_locations(void **state) {
        (void) state;
        failures = 0;
        for (size_t i = 0; i < sizeof(location_rows) / sizeof(location_rows[0]); i++)
                test_location_one(location_rows[i].in, location_rows[i].path, location_rows[i].where,
                                  location_rows[i].key_where);
        assert_int_equal(failures, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ok),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_error_special),
                cmocka_unit_test(test_warnings),
                cmocka_unit_test(test_locations),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
