/* SPDX-License-Identifier: MIT */
#include "value.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

value *value_new(value_type type, loc where) {
        value *v = calloc(1, sizeof(*v));

        if (!v)
                return NULL;
        v->type = type;
        v->where = where;
        return v;
}

value *value_new_string(const char *s, size_t len, loc where) {
        value *v = value_new(V_STRING, where);

        if (!v)
                return NULL;
        v->str.s = malloc(len + 1);
        if (!v->str.s) {
                free(v);
                return NULL;
        }
        if (len)
                memcpy(v->str.s, s, len);
        v->str.s[len] = '\0';
        v->str.len = len;
        return v;
}

value *value_new_number(double num, loc where) {
        value *v = value_new(V_NUMBER, where);

        if (v)
                v->num = num;
        return v;
}

value *value_new_bool(bool b, loc where) {
        value *v = value_new(V_BOOL, where);

        if (v)
                v->b = b;
        return v;
}

void value_free(value *v) {
        if (!v)
                return;
        switch (v->type) {
        case V_STRING:
                free(v->str.s);
                break;
        case V_ARRAY:
                for (size_t i = 0; i < v->arr.n; i++)
                        value_free(v->arr.items[i]);
                free(v->arr.items);
                break;
        case V_OBJECT:
                for (size_t i = 0; i < v->obj.n; i++) {
                        free(v->obj.m[i].key);
                        value_free(v->obj.m[i].val);
                }
                free(v->obj.m);
                break;
        default:
                break;
        }
        free(v);
}

value *value_clone(const value *v) {
        value *c;

        if (!v)
                return NULL;
        switch (v->type) {
        case V_STRING:
                c = value_new_string(v->str.s, v->str.len, v->where);
                break;
        case V_ARRAY:
                c = value_new(V_ARRAY, v->where);
                for (size_t i = 0; c && i < v->arr.n; i++) {
                        if (value_array_push(c, value_clone(v->arr.items[i])) < 0) {
                                value_free(c);
                                c = NULL;
                        }
                }
                break;
        case V_OBJECT:
                c = value_new(V_OBJECT, v->where);
                for (size_t i = 0; c && i < v->obj.n; i++) {
                        const member *m = &v->obj.m[i];

                        if (value_object_set(c, m->key, m->key_where, value_clone(m->val)) < 0) {
                                value_free(c);
                                c = NULL;
                        }
                }
                break;
        default:
                c = value_new(v->type, v->where);
                if (c) {
                        c->b = v->b;
                        c->num = v->num;
                }
                break;
        }
        if (c)
                c->untyped = v->untyped;
        return c;
}

int value_array_push(value *arr, value *item) {
        if (!item)
                return -ENOMEM;
        if (arr->arr.n == arr->arr.cap) {
                size_t cap = arr->arr.cap ? arr->arr.cap * 2 : 4;
                value **p = realloc(arr->arr.items, cap * sizeof(*p));

                if (!p) {
                        value_free(item);
                        return -ENOMEM;
                }
                arr->arr.items = p;
                arr->arr.cap = cap;
        }
        arr->arr.items[arr->arr.n++] = item;
        return 0;
}

const member *value_object_get(const value *obj, const char *key) {
        if (!obj || obj->type != V_OBJECT)
                return NULL;
        for (size_t i = 0; i < obj->obj.n; i++)
                if (strcmp(obj->obj.m[i].key, key) == 0)
                        return &obj->obj.m[i];
        return NULL;
}

int value_object_set(value *obj, const char *key, loc key_where, value *val) {
        char *k;

        if (!val)
                return -ENOMEM;
        for (size_t i = 0; i < obj->obj.n; i++) {
                member *m = &obj->obj.m[i];

                if (strcmp(m->key, key) == 0) {
                        value_free(m->val);
                        m->val = val;
                        m->key_where = key_where;
                        return 0;
                }
        }
        if (obj->obj.n == obj->obj.cap) {
                size_t cap = obj->obj.cap ? obj->obj.cap * 2 : 8;
                member *p = realloc(obj->obj.m, cap * sizeof(*p));

                if (!p) {
                        value_free(val);
                        return -ENOMEM;
                }
                obj->obj.m = p;
                obj->obj.cap = cap;
        }
        k = strdup(key);
        if (!k) {
                value_free(val);
                return -ENOMEM;
        }
        obj->obj.m[obj->obj.n++] = (member) { .key = k, .key_where = key_where, .val = val };
        return 0;
}

const char *value_type_name(value_type t) {
        switch (t) {
        case V_UNDEFINED:
                return "undefined";
        case V_NULL:
                return "null";
        case V_BOOL:
                return "a boolean";
        case V_NUMBER:
                return "a number";
        case V_STRING:
                return "a string";
        case V_ARRAY:
                return "an array";
        case V_OBJECT:
                return "an object";
        }
        return "a value";
}

const char *value_number_to_string(double num, char buf[VALUE_NUMBER_BUF]) {
        char digits[32], tmp[40];
        int exp10 = 0, nd = 0, k;
        const char *sign = "";

        if (isnan(num))
                return strcpy(buf, "NaN");
        if (isinf(num))
                return strcpy(buf, num < 0 ? "-Infinity" : "Infinity");
        if (num == 0)
                return strcpy(buf, "0"); /* also -0, as JavaScript prints it */
        if (num < 0) {
                sign = "-";
                num = -num;
        }
        /* Shortest %e representation that reads back exactly. */
        for (k = 1; k <= 17; k++) {
                snprintf(tmp, sizeof(tmp), "%.*e", k - 1, num);
                if (strtod(tmp, NULL) == num)
                        break;
        }
        /* tmp is "d.ddde[+-]XX": split into digits and exponent. */
        for (const char *p = tmp; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9')
                        digits[nd++] = *p;
        digits[nd] = '\0';
        while (nd > 1 && digits[nd - 1] == '0')
                digits[--nd] = '\0';
        exp10 = atoi(strchr(tmp, 'e') + 1) + 1; /* value = 0.DIGITS × 10^exp10 */

        {
                char *o = buf;
                int e = exp10 - 1;

                o += sprintf(o, "%s", sign);
                if (nd <= exp10 && exp10 <= 21) { /* an integer: digits then zeros */
                        for (int i = 0; i < exp10; i++)
                                *o++ = i < nd ? digits[i] : '0';
                } else if (0 < exp10 && exp10 <= 21) { /* a point inside the digits */
                        for (int i = 0; i < nd; i++) {
                                if (i == exp10)
                                        *o++ = '.';
                                *o++ = digits[i];
                        }
                } else if (-6 < exp10 && exp10 <= 0) { /* 0.000ddd */
                        *o++ = '0';
                        *o++ = '.';
                        for (int i = 0; i < -exp10; i++)
                                *o++ = '0';
                        for (int i = 0; i < nd; i++)
                                *o++ = digits[i];
                } else { /* d.ddde±x */
                        *o++ = digits[0];
                        if (nd > 1) {
                                *o++ = '.';
                                for (int i = 1; i < nd; i++)
                                        *o++ = digits[i];
                        }
                        o += sprintf(o, "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
                }
                *o = '\0';
        }
        return buf;
}
