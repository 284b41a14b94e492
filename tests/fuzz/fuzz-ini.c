/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the pmgen.ini reader and writer.
 *
 * Any input: ini_parse_text() must not crash or leak, and returns 0 or -EINVAL. On
 * success, every scalar goes through ini_unquote() and ini_split_words(), and two
 * round trips must hold:
 *   1. the tree as parsed (raw text as strings) → value_to_ini → ini_parse_text: each
 *      value read back with ini_unquote() is the raw text of the first parse;
 *   2. the same tree with every value that splits into words turned into a list:
 *      each list reads back with ini_split_words() as the same words.
 * The writer may refuse (a key or word too long for a line); it must not emit a file
 * that does not read back. A broken invariant aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse-ini.h"
#include "write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                \
        do {                                    \
                if (!(x))                       \
                        __builtin_trap();       \
        } while (0)

/* Reads every untyped string both ways (results unused: both may fail). */
static void read_all(const value *v) {
        if (v->type == V_OBJECT) {
                for (size_t i = 0; i < v->obj.n; i++)
                        read_all(v->obj.m[i].val);
        } else if (v->type == V_ARRAY) {
                for (size_t i = 0; i < v->arr.n; i++)
                        read_all(v->arr.items[i]);
        } else if (v->type == V_STRING) {
                strbuf sb = STRBUF_INIT;
                size_t col = 0, n = 0;
                const char *msg = NULL;
                char **w = NULL;
                int r = ini_unquote(v->str.s, v->str.len, &sb, &col, &msg);

                CHECK(r == 0 || (r == -EINVAL && msg && col <= v->str.len));
                strbuf_free(&sb);
                r = ini_split_words(v->str.s, v->str.len, &w, &n, &col, &msg);
                CHECK(r == 0 || (r == -EINVAL && msg && col <= v->str.len));
                if (r == 0) {
                        for (size_t i = 0; i < n; i++)
                                free(w[i]);
                        free(w);
                }
        }
}

/* Turns each string member that reads as words into an array of those words. */
static void to_lists(value *obj) {
        for (size_t i = 0; i < obj->obj.n; i++) {
                member *m = &obj->obj.m[i];
                char **w = NULL;
                size_t n = 0, col;
                const char *msg;
                value *arr;

                if (m->val->type == V_OBJECT) {
                        to_lists(m->val);
                        continue;
                }
                if (strcmp(m->key, "name") == 0 || m->val->type != V_STRING ||
                    ini_split_words(m->val->str.s, m->val->str.len, &w, &n, &col, &msg) < 0)
                        continue;
                arr = value_new(V_ARRAY, m->val->where);
                CHECK(arr);
                for (size_t j = 0; j < n; j++) {
                        CHECK(value_array_push(arr, value_new_string(w[j], strlen(w[j]), m->val->where)) == 0);
                        free(w[j]);
                }
                free(w);
                value_free(m->val);
                m->val = arr;
        }
}

static void expect_same(const value *orig, const value *back) {
        if (orig->type == V_OBJECT) {
                CHECK(back->type == V_OBJECT && back->obj.n == orig->obj.n);
                for (size_t i = 0; i < orig->obj.n; i++) {
                        const member *m = value_object_get(back, orig->obj.m[i].key);

                        CHECK(m);
                        expect_same(orig->obj.m[i].val, m->val);
                }
        } else if (orig->type == V_ARRAY) {
                char **w = NULL;
                size_t n = 0, col;
                const char *msg;

                CHECK(back->type == V_STRING && back->untyped);
                CHECK(ini_split_words(back->str.s, back->str.len, &w, &n, &col, &msg) == 0);
                CHECK(n == orig->arr.n);
                for (size_t i = 0; i < n; i++) {
                        CHECK(strcmp(w[i], orig->arr.items[i]->str.s) == 0);
                        free(w[i]);
                }
                free(w);
        } else {
                strbuf sb = STRBUF_INIT;
                size_t col;
                const char *msg;

                CHECK(orig->type == V_STRING && back->type == V_STRING && back->untyped);
                CHECK(ini_unquote(back->str.s, back->str.len, &sb, &col, &msg) == 0);
                CHECK(sb.len == orig->str.len && memcmp(strbuf_str(&sb), orig->str.s, sb.len) == 0);
                strbuf_free(&sb);
        }
}

static void round_trip(const value *v) {
        diag_list dl = DIAG_LIST_INIT;
        strbuf out = STRBUF_INIT;
        value *back = NULL;
        const member *a, *b;

        if (value_to_ini(v, &out, &dl) == 0) {
                for (const char *p = strbuf_str(&out), *nl; *p; p = nl + 1) {
                        nl = strchr(p, '\n');
                        CHECK(nl && (size_t) (nl - p) <= PMGEN_INI_LINE_MAX);
                }
                diag_list_free(&dl);
                if (ini_parse_text("out.ini", strbuf_str(&out), out.len, &back, &dl) != 0)
                        __builtin_trap();
                a = value_object_get(v, "apps");
                b = value_object_get(back, "apps");
                CHECK(a && b && a->val->arr.n == b->val->arr.n);
                for (size_t i = 0; i < a->val->arr.n; i++)
                        expect_same(a->val->arr.items[i], b->val->arr.items[i]);
                value_free(back);
        } else {
                CHECK(dl.errors > 0 && out.len == 0);
        }
        strbuf_free(&out);
        diag_list_free(&dl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        diag_list dl = DIAG_LIST_INIT;
        value *v = NULL;
        int r = ini_parse_text("fuzz.ini", (const char *) data, size, &v, &dl);

        CHECK(r == 0 || r == -EINVAL);
        CHECK((r == 0) == (dl.errors == 0));
        if (r == 0) {
                const member *apps = value_object_get(v, "apps");

                read_all(v);
                round_trip(v);
                for (size_t i = 0; apps && i < apps->val->arr.n; i++)
                        to_lists(apps->val->arr.items[i]);
                round_trip(v);
                value_free(v);
        }
        diag_list_free(&dl);
        return 0;
}
