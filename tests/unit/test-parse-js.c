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

/* The .env files the rows read (everything else is missing). */
static const struct {
        const char *path, *text;
        size_t len;
        int err;
} files[] = {
        { "/srv/app/.env", "FROM_DOTENV=yes\nX=from-dotenv\nexport MULTI=\"a\\nb\nc\"\n# comment\n"
                           "QUOTED='single # kept' # comment\nHOME=/dotenv/home\r\nEMPTY_IN_FILE=\nSPACED = v w  \n", 0, 0 },
        { "/srv/app/prod.env", "FROM_PROD=1\nFROM_DOTENV=prod\n", 0, 0 },
        { "/srv/app/config/app.env", "FROM_CONFIG=c\n", 0, 0 },
        { "/srv/cwd/.env", "IN_CWD=1\n", 0, 0 },
        { "/home/u/.env.home", "IN_HOME=1\n", 0, 0 },
        { "/srv/app/nul.env", "A=1\nB=x\0y\n", 11, 0 },
        { "/srv/app/secret.env", NULL, 0, -EACCES },
        { "/srv/app/dir.env", NULL, 0, -EISDIR },
};

static int fake_read_file(void *userdata, const char *path, char **ret, size_t *len) {
        (void) userdata;
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                size_t n = files[i].len ? files[i].len : files[i].text ? strlen(files[i].text) : 0;

                if (strcmp(files[i].path, path) != 0)
                        continue;
                if (files[i].err)
                        return files[i].err;
                *ret = malloc(n + 1);
                assert_non_null(*ret);
                memcpy(*ret, files[i].text, n);
                (*ret)[n] = '\0';
                *len = n;
                return 0;
        }
        return -ENOENT;
}

static const js_host host = { .getenv = fake_getenv, .ncpus = 4, .cwd = "/srv/cwd", .read_file = fake_read_file,
                              .homedir = "/home/u" };

/* The host for the next parse (the rows' host unless a test changes it). */
static const js_host *cur_host = &host;

/* Parses in, returning the result (or NULL) and the rendered diagnostics. */
static value *parse(const char *in, size_t len, int *r, char **diags) {
        diag_list dl = DIAG_LIST_INIT;
        strbuf sb = STRBUF_INIT;
        value *v = NULL;

        *r = js_parse(FILE_NAME, ABS_FILE, in, len, cur_host, &v, &dl);
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
        /* arithmetic, checked against node */
        { "module.exports = [7 - 2, 7 * 3, 7 / 2, 7 % 3, -7 % 3, 7 % -3, 5.5 % 2, 1 / 0, -1 / 0, 0 / 0, 1 % 0, '6' - 1, "
          "'6' * '2', 'a' - 1, [5] - 1, null - 1, true * 3, undefined * 1, '' - 1, ' 12 ' / 4, '0x10' - 0, 2 - 3 * 4, "
          "(2 - 3) * 4, 10 - 2 - 3, 2 * 3 % 4, 1 + 2 * 3, '1' + 2 * 3, 0.1 * 3, 1e308 * 10, -0 * 1, 0 * -1]",
          "[5,21,3.5,1,-1,1,1.5,null,null,null,null,5,12,null,4,-1,3,null,-1,3,16,-10,-4,5,2,7,\"16\",0.30000000000000004,"
          "null,0,0]" },
        { "module.exports = [+'3', +'', +'  4  ', +'x', +true, +null, +undefined, +[], +[7], +'0b11', + +'-2', +'1e3', "
          "-+'5', +'Infinity']",
          "[3,0,4,null,1,0,null,0,7,3,-2,1000,-5,null]" },
        { "module.exports = [`${1 / 0}`, `${-1 / 0}`, `${0 / 0}`, `${1 / Math.min(0, -0)}`, `${1 / Math.max(-0, 0)}`, "
          "`${1 / Math.round(-0.4)}`, `${1 / parseInt('-0')}`, `${1 / Math.ceil(-0.5)}`, `${1 / (-0 * 1)}`, `${Math.max()}`, "
          "`${-7 % 7}`, `${1 / (-7 % 7)}`]",
          "[\"Infinity\",\"-Infinity\",\"NaN\",\"-Infinity\",\"Infinity\",\"-Infinity\",\"-Infinity\",\"-Infinity\","
          "\"-Infinity\",\"-Infinity\",\"0\",\"-Infinity\"]" },
        { "module.exports = [parseInt('42'), parseInt('42px'), parseInt('  -17.9'), parseInt('0x1F'), parseInt('0x1F', 16), "
          "parseInt('1F', 16), parseInt('0x1F', 10), parseInt('101', 2), parseInt('z', 36), parseInt('Z', 36), "
          "parseInt('12', 1), parseInt('12', 37), parseInt('12', 0), parseInt('12', 2.9), parseInt('12', 4294967298), "
          "parseInt(''), parseInt('abc'), parseInt('-0'), parseInt(null), parseInt(), parseInt(0.0000005), "
          "parseInt('123456789012345678901234567890'), parseInt('+8'), parseInt('\\u00a0 9'), parseInt('1e3'), "
          "parseInt(15.99, 10), parseInt('0b11'), parseInt('077'), parseInt('-0x10'), parseInt('0x'), parseInt('7', '8'), "
          "parseInt('9', '8'), parseInt('ffffffffffffffffff', 16), parseInt('3', undefined), parseInt('11', -4294967294)]",
          "[42,42,-17,31,31,31,0,5,35,35,null,null,12,1,1,null,null,0,null,null,5,1.2345678901234568e+29,8,9,1,15,0,77,"
          "-16,null,7,null,4.722366482869645e+21,3,3]" },
        { "module.exports = [parseFloat('3.14'), parseFloat('3.14abc'), parseFloat('  .5'), parseFloat('-.5e-3x'), "
          "parseFloat('1e'), parseFloat('1e+'), parseFloat('1.e2'), parseFloat('Infinity'), parseFloat('-Infinityx'), "
          "parseFloat('infinity'), parseFloat('0x10'), parseFloat(''), parseFloat('.'), parseFloat('-0'), "
          "parseFloat('1_000'), parseFloat([2.5]), parseFloat(), parseFloat('+1.5'), parseFloat('1e1000'), parseFloat('5.')]",
          "[3.14,3.14,0.5,-0.0005,1,1,100,null,null,null,0,null,null,0,1,2.5,null,1.5,null,5]" },
        { "module.exports = [Number('42'), Number(''), Number(' 1_0 '), Number('0x10'), Number('-0x10'), Number(null), "
          "Number(undefined), Number(), Number(true), Number([]), Number(['8']), Number({}), Number('1e3'), "
          "Number('12px'), Number.parseInt('08'), Number.parseFloat('2.5x')]",
          "[42,0,null,16,null,0,null,0,1,0,8,null,1000,null,8,2.5]" },
        { "module.exports = [String(1), String(), String(null), String(undefined), String(true), String([1, [2, 3]]), "
          "String({}), String(1e21), String(-0), String(0.1 + 0.2), String('s')]",
          "[\"1\",\"\",\"null\",\"undefined\",\"true\",\"1,2,3\",\"[object Object]\",\"1e+21\",\"0\","
          "\"0.30000000000000004\",\"s\"]" },
        { "module.exports = [Math.max(1, 3, 2), Math.max(), Math.min(), Math.max(1, NaN), Math.max('7', 2), "
          "Math.min(0, -0), Math.max(-0, 0), Math.min(4, '3'), Math.floor(2.7), Math.floor(-2.5), Math.floor('3.9'), "
          "Math.ceil(2.1), Math.ceil(-0.5), Math.round(2.5), Math.round(-2.5), Math.round(-0.4), "
          "Math.round(0.49999999999999994), Math.round(1.5), Math.round(-1.5), Math.round(4503599627370495.5), "
          "Math.floor(), Math.round(NaN), Math.max(1, null), Math.min(undefined, 1), Math.round('x')]",
          "[3,null,null,null,7,0,0,3,2,-3,3,3,0,3,-2,0,0,2,-1,4503599627370496,null,null,1,null,null]" },
        /* what real files compute */
        { "const os = require('os');\nconst { cpus, availableParallelism, homedir } = require('node:os');\n"
          "module.exports = { apps: [{ name: 'w', instances: os.cpus().length - 1, i2: Math.max(1, cpus().length / 2), "
          "i3: Math.floor(os.cpus().length * 0.75), i4: availableParallelism(), log: `${os.homedir()}/logs`, h: homedir(), "
          "port: parseInt(process.env.X, 10) + 1, p2: Number(process.env.X) * 2, p3: +process.env.X, "
          "t: `w-${os.cpus().length - 1}-${(process.env.X - 2) / 8}`, s: String(os.cpus().length) }] }",
          "{\"apps\":[{\"name\":\"w\",\"instances\":3,\"i2\":2,\"i3\":3,\"i4\":4,\"log\":\"/home/u/logs\","
          "\"h\":\"/home/u\",\"port\":43,\"p2\":84,\"p3\":42,\"t\":\"w-3-5\",\"s\":\"4\"}]}" },
        /* user names shadow the globals */
        { "const Math = { max: 1 }, String = 'S'; module.exports = [Math.max, String]", "[1,\"S\"]" },
        /* || ?? && pass host objects through: only the side taken must be data */
        { "module.exports = { a: process.env.X || require('dotenv'), b: process.env.NOPE ?? 'd', c: 0 || process.env.X, "
          "d: require('path') && 'p' }",
          "{\"a\":\"42\",\"b\":\"d\",\"c\":\"42\",\"d\":\"p\"}" },
        /* dotenv: the file's values after config(), pmgen's environment first */
        { "require('dotenv').config()\nmodule.exports = { a: process.env.FROM_DOTENV, x: process.env.X, "
          "m: process.env.MULTI, q: process.env.QUOTED, h: process.env.HOME, e: process.env.EMPTY_IN_FILE, "
          "s: process.env.SPACED }",
          "{\"a\":\"yes\",\"x\":\"42\",\"m\":\"a\\nb\\nc\",\"q\":\"single # kept\",\"h\":\"/home/u\",\"e\":\"\","
          "\"s\":\"v w\"}" },
        { "const before = process.env.FROM_DOTENV\nrequire('dotenv').config()\n"
          "module.exports = { before, after: process.env.FROM_DOTENV }",
          "{\"after\":\"yes\"}" },
        { "require('dotenv').config({ path: 'prod.env' })\nmodule.exports = [process.env.FROM_PROD, process.env.FROM_DOTENV]",
          "[\"1\",\"prod\"]" },
        { "const path = require('path')\nrequire('dotenv').config({ path: path.join(__dirname, 'config', 'app.env') })\n"
          "require('dotenv').config({ path: path.resolve(process.cwd(), '.env') })\n"
          "module.exports = [process.env.FROM_CONFIG, process.env.IN_CWD]",
          "[\"c\",\"1\"]" },
        { "require('dotenv').config({ path: ['prod.env', '.env'] })\n"
          "module.exports = [process.env.FROM_DOTENV, process.env.FROM_PROD, process.env.MULTI]",
          "[\"prod\",\"1\",\"a\\nb\\nc\"]" },
        { "require('dotenv').config({ path: ['prod.env', '.env'], override: true })\n"
          "module.exports = [process.env.FROM_DOTENV, process.env.X, process.env.HOME]",
          "[\"yes\",\"from-dotenv\",\"/dotenv/home\"]" },
        { "require('dotenv').config({ path: '~/.env.home', debug: true, quiet: true, encoding: 'UTF-8', fast: 'no' })\n"
          "module.exports = [process.env.IN_HOME]",
          "[\"1\"]" },
        { "require('dotenv').config({ path: '', processEnv: undefined })\nmodule.exports = [process.env.FROM_DOTENV]",
          "[\"yes\"]" },
        { "require('dotenv').config({ path: [] })\nmodule.exports = [process.env.FROM_DOTENV]", "[null]" },
        { "require('dotenv').config(null)\nrequire('dotenv').config({ path: 'prod.env' })\n"
          "module.exports = [process.env.FROM_DOTENV, process.env.FROM_PROD]",
          "[\"yes\",\"1\"]" },
        { "import 'dotenv/config'\nexport default { a: process.env.FROM_DOTENV }", "{\"a\":\"yes\"}" },
        { "require('dotenv/config')\nmodule.exports = { a: process.env.FROM_DOTENV }", "{\"a\":\"yes\"}" },
        { "import dotenv from 'dotenv'\ndotenv.config()\nexport default { a: process.env.FROM_DOTENV }", "{\"a\":\"yes\"}" },
        { "import { config } from 'dotenv'\nconfig({ path: 'prod.env' })\nexport default { a: process.env.FROM_PROD }",
          "{\"a\":\"1\"}" },
        { "const dotenv = require('dotenv')\nconst result = dotenv.config()\nconst { FROM_DOTENV, NOPE = 'd' } = process.env\n"
          "module.exports = { FROM_DOTENV, NOPE }",
          "{\"FROM_DOTENV\":\"yes\",\"NOPE\":\"d\"}" },
        /* what config() returns: { parsed } with every variable of the files */
        { "const env = require('dotenv').config({ path: 'prod.env' }).parsed\nmodule.exports = { env }",
          "{\"env\":{\"FROM_PROD\":\"1\",\"FROM_DOTENV\":\"prod\"}}" },
        { "const { parsed } = require('dotenv').config({ path: ['prod.env', 'config/app.env'], override: 1 })\n"
          "module.exports = { env: { ...parsed, X: process.env.X }, m: require('dotenv/config') }",
          "{\"env\":{\"FROM_PROD\":\"1\",\"FROM_DOTENV\":\"prod\",\"FROM_CONFIG\":\"c\",\"X\":\"42\"},\"m\":{}}" },
        { "const r = require('dotenv').config()\nmodule.exports = [r.parsed.X, process.env.X, r.error]",
          "[\"from-dotenv\",\"42\",null]" },
        { "import cfg, * as ns from 'dotenv/config'\nimport { nothing } from 'dotenv/config'\nexport default [cfg, ns, nothing]",
          "[{},{},null]" },
        { "const r = process.env.X ? 0 : require('dotenv').config({ path: 'missing.env' }).parsed\nmodule.exports = { r }",
          "{\"r\":0}" },
        /* config() where JavaScript would not call it loads nothing */
        { "const r = process.env.X || require('dotenv').config()\nconst s = process.env.NOPE ? require('dotenv').config() : 1\n"
          "process.env.NODE_ENV !== 'production' && require('dotenv').config()\n"
          "module.exports = { r, s, a: process.env.FROM_DOTENV }",
          "{\"r\":\"42\",\"s\":1}" },
        { "process.env.NODE_ENV === 'production' && require('dotenv').config({ path: 'prod.env' })\n"
          "const s = process.env.X ? 1 : require('dotenv').config()\n"
          "module.exports = { s, a: process.env.FROM_PROD, b: process.env.FROM_DOTENV }",
          "{\"s\":1,\"a\":\"1\",\"b\":\"prod\"}" },
        { "process.env.NOPE || require('dotenv').config({ path: 'prod.env' })\n"
          "module.exports = { a: process.env.FROM_PROD }",
          "{\"a\":\"1\"}" },
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
        { "module.exports = { a: 2 ** foo }", U(25) "the operator '**'" HINT },
        { "module.exports = { a: 2 & 3, b: 1 < 2, c: 'a' in {} }",
          U(25) "the operator '&'" HINT U(35) "the operator '<'" HINT U(47) "the operator 'in'" HINT },
        { "module.exports = { a: x = 1 }",
          "t.js:1:23: error: unknown name 'x'\n" U(25) "assignment with '='" HINT },
        { "x = 1\nmodule.exports = {}", U(1) "assigning to 'x'" HINT },
        { "console.log('hi')\nmodule.exports = {}", "t.js:1:1: error: unknown name 'console'\n" },
        { "module.exports = { a: process.env?.X }", U(34) "optional chaining '?.'" HINT },
        { "module.exports = { a: typeof x, b: void 0, c: ++x, d: ~1 }",
          U(23) "'typeof'" HINT U(36) "'void'" HINT U(47) "the prefix operator '++'" HINT
          U(55) "the prefix operator '~'" HINT },
        { "module.exports = { a: String.raw`x` }", U(30) "'String.raw'" HINT U(33) "a tagged template" HINT },
        { "const s = 'x'; module.exports = { a: s`x` }", U(39) "a tagged template" HINT },
        { "module.exports = { [k]: 1 }", U(20) "a computed key '[…]'" HINT },
        { "module.exports = { a() {}, get b() { return 1 }, *c() {} }",
          U(20) "a method" HINT U(28) "a getter, setter or async method" HINT U(50) "a generator method" HINT },
        { "module.exports = [...'ab']", U(22) "spreading a string" HINT },
        { "module.exports = { a: 'x'.toUpperCase() }", U(27) "'.toUpperCase' on a string" HINT },
        { "const p = require('path'); module.exports = { a: p.normalize('a') }", U(52) "'path.normalize'" HINT },
        { "module.exports = { a: require('os').hostname(), b: require('os').userInfo().username }",
          "t.js:1:37: error: found os.hostname(), expected a fixed value: the units would carry the name of the machine "
          "that compiles them (write the name, or use --eval)\n" U(66) "'os.userInfo'" HINT },
        { "const { hostname } = require('os')\nmodule.exports = {}",
          "t.js:1:9: error: found os.hostname(), expected a fixed value: the units would carry the name of the machine "
          "that compiles them (write the name, or use --eval)\n" },
        { "module.exports = { a: Math.PI, b: Math.abs(-1), c: Number.MAX_SAFE_INTEGER }",
          U(28) "'Math.PI'" HINT U(40) "'Math.abs'" HINT U(59) "'Number.MAX_SAFE_INTEGER'" HINT },
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
        { "module.exports = [...process.env]",
          "t.js:1:22: error: found 'process.env' (pmgen does not copy the whole environment; name each variable), "
          "expected a value\n" },
        { "module.exports = { a: Math, b: parseInt, c: Math.max(process.env, 1), d: String(require('os')) }",
          "t.js:1:23: error: found the 'Math' object, expected a value\n"
          "t.js:1:32: error: found the function parseInt(), expected a value\n"
          "t.js:1:54: error: found 'process.env' (pmgen does not copy the whole environment; name each variable), "
          "expected a value\n"
          "t.js:1:81: error: found the 'os' module, expected a value\n" },
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
        { "module.exports = { a: path.join('a'), b: os.cpus().length }",
          "t.js:1:23: error: unknown name 'path'; did you mean require('path')?\n"
          "t.js:1:42: error: unknown name 'os'; did you mean require('os')?\n" },
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
        /* dotenv */
        { "require('dotenv').config({ path: 1 })\nmodule.exports = {}",
          "t.js:1:34: error: found a number as dotenv's path, expected a string or an array of strings\n" },
        { "require('dotenv').config({ path: ['a.env', null] })\nmodule.exports = {}",
          "t.js:1:44: error: found null in dotenv's path, expected a string\n" },
        { "require('dotenv').config('.env')\nmodule.exports = {}",
          "t.js:1:26: error: found a string, expected an object of options for dotenv's config()\n" },
        { "require('dotenv').config(require('path'))\nmodule.exports = {}",
          "t.js:1:26: error: found the 'path' module, expected an object of options for dotenv's config()\n" },
        { "require('dotenv').config({ processEnv: {}, encoding: 'latin1', fast: true, secure: 'yes' })\nmodule.exports = {}",
          U(44) "a dotenv encoding other than UTF-8" HINT U(28) "dotenv's processEnv option (it loads into another object)" HINT
          U(64) "dotenv's fast option (another parser)" HINT U(76) "dotenv's secure option (it needs dotenvx)" HINT },
        { "require('dotenv').config({ path: 'secret.env' })\nrequire('dotenv').config({ path: 'dir.env' })\n"
          "require('dotenv').config({ path: 'nul.env' })\nmodule.exports = {}",
          "t.js:1:1: error: dotenv: cannot read /srv/app/secret.env: Permission denied\n"
          "t.js:2:1: error: dotenv: cannot read /srv/app/dir.env: Is a directory\n"
          "t.js:3:1: error: dotenv: /srv/app/nul.env:2:4: found a NUL byte, expected text\n" },
        /* an error in a config() JavaScript would not call is still an error */
        { "const c = process.env.X ? 1 : require('dotenv').config({ path: 5 })\nmodule.exports = {}",
          "t.js:1:64: error: found a number as dotenv's path, expected a string or an array of strings\n" },
        { "require('dotenv').config()\nmodule.exports = { a: b }", "t.js:2:23: error: unknown name 'b'\n" },
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

#define SPREAD "warning: '...process.env' copies the compile-time environment into the unit; pmgen copies only " \
               "the variables this file references: "

static const struct {
        const char *in, *json, *want;
} warning_rows[] = {
        /* a missing .env is ignored, as dotenv does */
        { "require('dotenv').config({ path: 'missing.env' })\nmodule.exports = { a: process.env.FROM_PROD }", "{}",
          "t.js:1:1: warning: dotenv: no file /srv/app/missing.env (ignored, as dotenv does)\n" },
        { "require('dotenv').config({ path: ['missing.env', '/nowhere/.env', 'prod.env'] })\n"
          "module.exports = { a: process.env.FROM_PROD }", "{\"a\":\"1\"}",
          "t.js:1:1: warning: dotenv: no file /srv/app/missing.env (ignored, as dotenv does)\n"
          "t.js:1:1: warning: dotenv: no file /nowhere/.env (ignored, as dotenv does)\n" },
        { "import 'dotenv/config'\nimport { config } from 'dotenv'\nconfig({ path: 'gone' })\nexport default {}", "{}",
          "t.js:3:1: warning: dotenv: no file /srv/app/gone (ignored, as dotenv does)\n" },
        /* ...process.env: only what the file names */
        { "const { NODE_ENV, Z = 1 } = process.env\nmodule.exports = { env: { ...process.env, Y: 1, X: 'mine' }, "
          "b: process.env['X'], c: process.env.NOPE, d: process.env[`HOME`] }",
          "{\"env\":{\"NODE_ENV\":\"production\",\"X\":\"mine\",\"HOME\":\"/home/u\",\"Y\":1},\"b\":\"42\",\"d\":\"/home/u\"}",
          "t.js:2:30: " SPREAD "NODE_ENV, X, HOME\n" },
        { "module.exports = { env: { ...process.env } }", "{\"env\":{}}", "t.js:1:30: " SPREAD "none\n" },
        { "require('dotenv').config()\nconst common = { ...process.env }\n"
          "module.exports = [common, process.env.FROM_DOTENV, process.env.NODE_ENV, process.env.HOME, process.env.X, "
          "process.env.EMPTY, process.env.MULTI, process.env.QUOTED, process.env.EMPTY_IN_FILE, process.env.SPACED, "
          "process.env.NOPE]",
          "[{\"FROM_DOTENV\":\"yes\",\"NODE_ENV\":\"production\",\"HOME\":\"/home/u\",\"X\":\"42\",\"EMPTY\":\"\","
          "\"MULTI\":\"a\\nb\\nc\",\"QUOTED\":\"single # kept\",\"EMPTY_IN_FILE\":\"\",\"SPACED\":\"v w\"},\"yes\","
          "\"production\",\"/home/u\",\"42\",\"\",\"a\\nb\\nc\",\"single # kept\",\"\",\"v w\",null]",
          "t.js:2:21: " SPREAD "FROM_DOTENV, NODE_ENV, HOME, X, EMPTY, MULTI, QUOTED, EMPTY_IN_FILE and 1 more\n" },
        /* before config(), the spread sees pmgen's environment only */
        { "const early = { ...process.env }\nrequire('dotenv').config()\n"
          "module.exports = { early, late: { ...process.env }, a: process.env.FROM_DOTENV }",
          "{\"early\":{},\"late\":{\"FROM_DOTENV\":\"yes\"},\"a\":\"yes\"}",
          "t.js:1:20: " SPREAD "none\nt.js:3:38: " SPREAD "FROM_DOTENV\n" },
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
        { "require('dotenv').config()\nmodule.exports = { a: process.env.FROM_DOTENV }", "a", "2:23", "2:20" },
        { "module.exports = { e: { ...process.env }, x: process.env.X }", "e.X", "1:28", "1:28" },
        { "module.exports = { a: 7 - 2 * 3 }", "a", "1:23", NULL },
        { "module.exports = { a: Math.max(1, 2) }", "a", "1:23", NULL },
        { "module.exports = { a: +'1' }", "a", "1:23", NULL },
};

static void test_locations(void **state) {
        (void) state;
        failures = 0;
        for (size_t i = 0; i < sizeof(location_rows) / sizeof(location_rows[0]); i++)
                test_location_one(location_rows[i].in, location_rows[i].path, location_rows[i].where,
                                  location_rows[i].key_where);
        assert_int_equal(failures, 0);
}

/* ---- other hosts: no home directory, no files; dotenv's settings in the environment ---- */

static const char *dotenv_getenv(void *userdata, const char *name) {
        (void) userdata;
        if (strcmp(name, "DOTENV_CONFIG_PATH") == 0)
                return "prod.env";
        if (strcmp(name, "DOTENV_CONFIG_OVERRIDE") == 0)
                return "true";
        if (strcmp(name, "FROM_PROD") == 0)
                return "env";
        return NULL;
}

static void test_hosts(void **state) {
        static const js_host bare = { .ncpus = 1, .cwd = "/" };
        static const js_host dotenv_env = { .getenv = dotenv_getenv, .ncpus = 1, .cwd = "/", .read_file = fake_read_file };

        (void) state;
        failures = 0;
        cur_host = &bare;
        test_error_one("module.exports = { h: require('os').homedir() }", strlen("module.exports = { h: require('os').homedir() }"),
                       "t.js:1:23: error: found os.homedir(), but the home directory is unknown (HOME is not set and the "
                       "user has none), expected a path\n");
        test_error_one("require('dotenv').config({ path: '~/.env' })\nmodule.exports = {}",
                       strlen("require('dotenv').config({ path: '~/.env' })\nmodule.exports = {}"),
                       "t.js:1:1: error: found a dotenv path starting with '~', but the home directory is unknown; "
                       "expected an absolute path\n");
        test_warning_one("require('dotenv').config()\nmodule.exports = { n: require('os').cpus().length }", "{\"n\":1}",
                         "t.js:1:1: warning: dotenv: no file /srv/app/.env (ignored, as dotenv does)\n");
        /* DOTENV_CONFIG_PATH and DOTENV_CONFIG_OVERRIDE, as dotenv reads them */
        cur_host = &dotenv_env;
        test_ok_one("import 'dotenv/config'\nexport default [process.env.FROM_PROD, process.env.FROM_DOTENV]",
                    "[\"1\",\"prod\"]");
        test_ok_one("require('dotenv').config({ path: '.env', override: false })\n"
                    "module.exports = [process.env.FROM_PROD, process.env.FROM_DOTENV]",
                    "[\"env\",\"yes\"]");
        cur_host = &host;
        assert_int_equal(failures, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ok),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_error_special),
                cmocka_unit_test(test_warnings),
                cmocka_unit_test(test_locations),
                cmocka_unit_test(test_hosts),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
