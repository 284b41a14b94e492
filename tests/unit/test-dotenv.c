/* SPDX-License-Identifier: MIT */
/* dotenv_parse(): each row's expected object is what dotenv 17's parse() returns
 * for the same bytes in node (JSON.stringify of it; rows generated and compared
 * with node when they were written). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "js-dotenv.h"
#include "value.h"
#include "write.h"

static const loc here = { ".env", 1, 1 };

static int add(void *userdata, const char *key, const char *val, size_t len) {
        value *obj = userdata;

        return value_object_set(obj, key, here, value_new_string(val, len, here));
}

static unsigned failures;

static void test_parse_one(const char *in, size_t len, const char *want) {
        value *obj = value_new(V_OBJECT, here);
        strbuf sb = STRBUF_INIT;
        unsigned line = 0, col = 0;

        assert_non_null(obj);
        assert_int_equal(dotenv_parse(in, len, add, obj, &line, &col), 0);
        value_to_json(obj, &sb, 0);
        if (strcmp(strbuf_str(&sb), want) != 0) {
                print_error("input: %s\n got: %s\nwant: %s\n", in, strbuf_str(&sb), want);
                failures++;
        }
        strbuf_free(&sb);
        value_free(obj);
}

static const struct {
        const char *in, *json;
} rows[] = {
        { "BASIC=basic\nAFTER_LINE=after_line\nEMPTY=\nEMPTY_SINGLE_QUOTES=''\n",
          "{\"BASIC\":\"basic\",\"AFTER_LINE\":\"after_line\",\"EMPTY\":\"\",\"EMPTY_SINGLE_QUOTES\":\"\"}" },
        { "export EXPORTED=yes\nexport  SPACED_EXPORT = x\nexport=5\nexportFOO=6\nexport A B=1\n",
          "{\"EXPORTED\":\"yes\",\"SPACED_EXPORT\":\"x\",\"export\":\"5\",\"exportFOO\":\"6\"}" },
        { "SINGLE='single quotes'\nSINGLE_SPACED='    single quotes    '\n"
          "DOUBLE=\"double quotes\"\nBACKTICK=`back ticks`\n",
          "{\"SINGLE\":\"single quotes\",\"SINGLE_SPACED\":\"    single quotes    \","
          "\"DOUBLE\":\"double quotes\",\"BACKTICK\":\"back ticks\"}" },
        { "EXPAND_NEWLINES=\"expand\\nnew\\r\\nlines\"\nDONT_EXPAND_UNQUOTED=dontexpand\\nnewlines\n"
          "DONT_EXPAND_SQUOTED='dontexpand\\nnewlines'\n",
          "{\"EXPAND_NEWLINES\":\"expand\\nnew\\r\\nlines\",\"DONT_EXPAND_UNQUOTED\":\"dontexpand\\\\nnewlines\","
          "\"DONT_EXPAND_SQUOTED\":\"dontexpand\\\\nnewlines\"}" },
        { "INLINE_COMMENTS=inline comments # work #very #well\nINLINE_SINGLE='inline # kept' # gone\n"
          "HASH=abc#def\nQ=\"a#b\" #c\n",
          "{\"INLINE_COMMENTS\":\"inline comments\",\"INLINE_SINGLE\":\"inline # kept\","
          "\"HASH\":\"abc\",\"Q\":\"a#b\"}" },
        { "EQUAL_SIGNS=equals==\nRETAIN_INNER_QUOTES={\"foo\": \"bar\"}\n"
          "RETAIN_INNER_QUOTES_AS_STRING='{\"foo\": \"bar\"}'\n"
          "TRIM_SPACE_FROM_UNQUOTED=    some spaced out string   \n",
          "{\"EQUAL_SIGNS\":\"equals==\",\"RETAIN_INNER_QUOTES\":\"{\\\"foo\\\": \\\"bar\\\"}\","
          "\"RETAIN_INNER_QUOTES_AS_STRING\":\"{\\\"foo\\\": \\\"bar\\\"}\","
          "\"TRIM_SPACE_FROM_UNQUOTED\":\"some spaced out string\"}" },
        { "USERNAME=therealnerdybeast@example.tld\n    SPACED_KEY = parsed\nYAML: style\nNOSPACE:x\n",
          "{\"USERNAME\":\"therealnerdybeast@example.tld\",\"SPACED_KEY\":\"parsed\",\"YAML\":\"style\"}" },
        { "MULTI_DOUBLE=\"THIS\nIS\nA\nMULTILINE\nSTRING\"\nMULTI_SINGLE='one\ntwo'\n"
          "MULTI_BACKTICK=`a \"b\" 'c'\nd`\nAFTER=1\n",
          "{\"MULTI_DOUBLE\":\"THIS\\nIS\\nA\\nMULTILINE\\nSTRING\",\"MULTI_SINGLE\":\"one\\ntwo\","
          "\"MULTI_BACKTICK\":\"a \\\"b\\\" 'c'\\nd\",\"AFTER\":\"1\"}" },
        { "CRLF=value\r\nCR=other\rLAST=\"x\r\ny\"\r\n",
          "{\"CRLF\":\"value\",\"CR\":\"other\",\"LAST\":\"x\\ny\"}" },
        { "\xef""\xbb""\xbf""BOM=first\nINVALID=\xff""\xfe"" x\nTRUNC=a\xe2""\x82""\n",
          "{\"BOM\":\"first\",\"INVALID\":\"\xef""\xbf""\xbd""\xef""\xbf""\xbd"" x\","
          "\"TRUNC\":\"a\xef""\xbf""\xbd""\"}" },
        { "__proto__=polluted\nSAFE=1\nDUP=first\nDUP=second\n",
          "{\"SAFE\":\"1\",\"DUP\":\"second\"}" },
        { "UNTERMINATED=\"abc\nNEXT=1\nSQ='it''s'\nMIX=\"a\" tail\n",
          "{\"UNTERMINATED\":\"\\\"abc\",\"NEXT\":\"1\",\"SQ\":\"it''s\",\"MIX\":\"\\\"a\\\" tail\"}" },
        { "ESCAPED=\"a \\\" quote\"\nESC_END=\"ends \\\"\nlater\" # c\nBS=\"C:\\\\dir\\\\\"\n",
          "{\"ESCAPED\":\"a \\\\\\\" quote\",\"ESC_END\":\"ends \\\\\\\"\\nlater\","
          "\"BS\":\"C:\\\\\\\\dir\\\\\\\\\"}" },
        { "A=\n'quoted on the next line'\nB=\n\nC=3\nD:\nnext line value\n",
          "{\"A\":\"quoted on the next line\",\"B\":\"\",\"C\":\"3\",\"D\":\"next line value\"}" },
        { "SEP = spaced \t\nTAB\t=\ttabbed\nNB=\xc2""\xa0""nbsp\xc2""\xa0""\nLS=a\xe2""\x80""\xa8""b\n",
          "{\"SEP\":\"spaced\",\"TAB\":\"tabbed\",\"NB\":\"nbsp\",\"LS\":\"a\xe2""\x80""\xa8""b\"}" },
        { "# only a comment\n   # indented comment\nnot a pair\n=novalue\nK.1-x_y=key chars\nk$=bad\n",
          "{\"K.1-x_y\":\"key chars\"}" },
        { "DQ_TRIM=\"  inner  \"   \nTICK_NL=`x\\ny`\nDQ_R=\"a\\rb\"\nLIT=\"\\\\n\"\n",
          "{\"DQ_TRIM\":\"  inner  \",\"TICK_NL\":\"x\\\\ny\",\"DQ_R\":\"a\\rb\",\"LIT\":\"\\\\\\n\"}" },
        { "", "{}" },
        { "\n\n  \n", "{}" },
        { "K=v", "{\"K\":\"v\"}" },
        { "K='v'", "{\"K\":\"v\"}" },
};

static void test_parse(void **state) {
        (void) state;
        failures = 0;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                test_parse_one(rows[i].in, strlen(rows[i].in), rows[i].json);
        assert_int_equal(failures, 0);
}

static int stop(void *userdata, const char *key, const char *val, size_t len) {
        unsigned *calls = userdata;

        (void) key;
        (void) val;
        (void) len;
        return ++*calls == 2 ? -E2BIG : 0;
}

static void test_nul_and_stop(void **state) {
        static const char nul[] = "A=1\r\nB=2\rC=x\0y\n";
        unsigned line = 0, col = 0, calls = 0;

        (void) state;
        assert_int_equal(dotenv_parse(nul, sizeof(nul) - 1, stop, &calls, &line, &col), -EINVAL);
        assert_int_equal(line, 3);
        assert_int_equal(col, 4);
        assert_int_equal(calls, 0);
        /* a callback's error stops parsing and is returned */
        assert_int_equal(dotenv_parse("A=1\nB=2\nC=3\n", 12, stop, &calls, &line, &col), -E2BIG);
        assert_int_equal(calls, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_nul_and_stop),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
