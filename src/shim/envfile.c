/* SPDX-License-Identifier: MIT */
#include "shim/envfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BLANKS " \t\r"

int envfile_name_valid(const char *s, size_t len) {
        size_t i;

        if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
                return 0;
        for (i = 0; i < len; i++)
                if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= '0' && s[i] <= '9')))
                        return 0;
        return 1;
}

typedef enum {
        PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESCAPE, SINGLE_QUOTE, DOUBLE_QUOTE, DOUBLE_QUOTE_ESCAPE, COMMENT,
} state;

/* The output being built: the current entry starts at `entry`; `key_end` is where '=' goes. */
typedef struct out_buf {
        char *p;
        size_t size, len, entry, key_len, key_keep, value_keep;
        bool overflow;
} out_buf;

static void put(out_buf *o, char c) {
        if (o->len + 1 >= o->size) { /* room for the entry's NUL */
                o->overflow = true;
                return;
        }
        o->p[o->len++] = c;
}

/* Ends an assignment: drops the key's trailing blanks (by moving the value), checks the name, adds
 * the NUL. Returns whether it was kept. */
static bool finish(out_buf *o, size_t *n_vars, size_t *n_skipped) {
        size_t key_len = o->key_keep, value_start = o->entry + o->key_len + 1, value_len;

        if (o->overflow)
                return false;
        value_len = o->value_keep;
        if (!envfile_name_valid(o->p + o->entry, key_len)) {
                (*n_skipped)++;
                o->len = o->entry;
                return false;
        }
        o->p[o->entry + key_len] = '=';
        memmove(o->p + o->entry + key_len + 1, o->p + value_start, value_len);
        o->len = o->entry + key_len + 1 + value_len;
        o->p[o->len++] = '\0';
        o->entry = o->len;
        (*n_vars)++;
        return true;
}

int envfile_parse(const char *text, size_t len, char *out, size_t size, size_t *out_len, size_t *n_vars,
                  size_t *n_skipped) {
        out_buf o = { .p = out, .size = size };
        size_t vars = 0, skipped = 0, i;
        state st = PRE_KEY;
        char c;

        if (memchr(text, '\0', len))
                return -EINVAL;
        for (i = 0; i < len && !o.overflow; i++) {
                c = text[i];
                switch (st) {
                case PRE_KEY:
                        if (c == '#' || c == ';')
                                st = COMMENT;
                        else if (!strchr(BLANKS "\n", c)) {
                                st = KEY;
                                o.len = o.entry;
                                put(&o, c);
                                o.key_keep = 1;
                        }
                        break;
                case KEY:
                        if (c == '\n') {
                                st = PRE_KEY; /* no '=': not an assignment */
                                o.len = o.entry;
                        } else if (c == '=') {
                                st = PRE_VALUE;
                                o.key_len = o.len - o.entry;
                                put(&o, '='); /* placeholder; the value follows */
                                o.value_keep = 0;
                        } else {
                                put(&o, c);
                                if (!strchr(BLANKS, c))
                                        o.key_keep = o.len - o.entry;
                        }
                        break;
                case PRE_VALUE:
                        if (c == '\n') {
                                finish(&o, &vars, &skipped);
                                st = PRE_KEY;
                        } else if (c == '\'')
                                st = SINGLE_QUOTE;
                        else if (c == '"')
                                st = DOUBLE_QUOTE;
                        else if (c == '\\')
                                st = VALUE_ESCAPE;
                        else if (!strchr(BLANKS, c)) {
                                st = VALUE;
                                put(&o, c);
                                o.value_keep = o.len - (o.entry + o.key_len + 1);
                        }
                        break;
                case VALUE:
                        if (c == '\n') {
                                finish(&o, &vars, &skipped);
                                st = PRE_KEY;
                        } else if (c == '\\')
                                st = VALUE_ESCAPE;
                        else {
                                put(&o, c);
                                if (!strchr(BLANKS, c))
                                        o.value_keep = o.len - (o.entry + o.key_len + 1);
                        }
                        break;
                case VALUE_ESCAPE:
                        st = VALUE;
                        if (c != '\n') {
                                put(&o, c);
                                o.value_keep = o.len - (o.entry + o.key_len + 1);
                        }
                        break;
                case SINGLE_QUOTE:
                        if (c == '\'')
                                st = PRE_VALUE;
                        else
                                put(&o, c);
                        o.value_keep = o.len - (o.entry + o.key_len + 1);
                        break;
                case DOUBLE_QUOTE:
                        if (c == '"')
                                st = PRE_VALUE;
                        else if (c == '\\')
                                st = DOUBLE_QUOTE_ESCAPE;
                        else
                                put(&o, c);
                        o.value_keep = o.len - (o.entry + o.key_len + 1);
                        break;
                case DOUBLE_QUOTE_ESCAPE:
                        st = DOUBLE_QUOTE;
                        if (strchr("\"\\`$", c))
                                put(&o, c);
                        else if (c != '\n') {
                                put(&o, '\\');
                                put(&o, c);
                        }
                        o.value_keep = o.len - (o.entry + o.key_len + 1);
                        break;
                case COMMENT:
                        if (c == '\n')
                                st = PRE_KEY;
                        break;
                }
        }
        if (!o.overflow && (st == PRE_VALUE || st == VALUE || st == VALUE_ESCAPE || st == SINGLE_QUOTE ||
                            st == DOUBLE_QUOTE || st == DOUBLE_QUOTE_ESCAPE))
                finish(&o, &vars, &skipped);
        if (o.overflow)
                return -ENOBUFS;
        *out_len = o.entry;
        *n_vars = vars;
        *n_skipped = skipped;
        return 0;
}

static size_t name_len(const char *entry) {
        return strcspn(entry, "=");
}

/* Whether list names the variable base_entry (an assignment or a removal of it). */
static bool list_names(const char *list, size_t len, const char *base_entry) {
        size_t n = name_len(base_entry), e;
        const char *p = list, *end = list + len, *name;

        for (; p < end; p += e + 1) {
                e = strlen(p);
                name = *p == '-' ? p + 1 : p;
                if (name_len(name) == n && memcmp(name, base_entry, n) == 0)
                        return true;
        }
        return false;
}

int envfile_merge(char *const *base, const char *list, size_t len, char ***ret) {
        size_t n_base = 0, n_list = 0, n = 0, e, i, j;
        const char *p, *end = list + len;
        char **v;

        if (len > 0 && list[len - 1] != '\0')
                return -EINVAL;
        for (p = list; p < end; p += e + 1) {
                e = strlen(p);
                if (*p == '-' ? !envfile_name_valid(p + 1, e - 1)
                              : (!strchr(p, '=') || !envfile_name_valid(p, name_len(p))))
                        return -EINVAL;
                n_list++;
        }
        while (base && base[n_base])
                n_base++;
        v = calloc(n_base + n_list + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (i = 0; i < n_base; i++)
                if (!list_names(list, len, base[i]))
                        v[n++] = base[i];
        for (p = list; p < end; p += e + 1) {
                e = strlen(p);
                if (*p == '-')
                        continue;
                /* A later assignment of the same name replaces the earlier one in place. */
                for (j = 0; j < n; j++)
                        if (name_len(v[j]) == name_len(p) && memcmp(v[j], p, name_len(p)) == 0)
                                break;
                v[j] = (char *) p;
                if (j == n)
                        n++;
        }
        v[n] = NULL;
        *ret = v;
        return 0;
}
