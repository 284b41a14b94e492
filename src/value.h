/* SPDX-License-Identifier: MIT */
/* The value tree both front ends produce: JSON's data model plus `undefined`,
 * each node with the place it came from. The model (model.c) reads only this,
 * so the JS-lite and INI front ends share every validation rule.
 *
 * Ownership: a tree is owned by its root; value_free() frees it recursively.
 * Keys and strings are owned copies; `where.file` is borrowed from the parser's
 * input (see diag.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef enum value_type {
        V_UNDEFINED,
        V_NULL,
        V_BOOL,
        V_NUMBER,
        V_STRING,
        V_ARRAY,
        V_OBJECT,
} value_type;

typedef struct value value;

typedef struct member {
        char *key; /* owned, NUL-terminated (keys with NUL bytes are rejected by the parsers) */
        loc key_where;
        value *val; /* owned */
} member;

struct value {
        value_type type;
        loc where;
        /* Set by the INI front end: a scalar written as text whose type is decided by
         * the key that reads it (INI has no types). "yes"/"2"/"a b" are then read as
         * the bool/number/list the key wants. */
        bool untyped;
        union {
                bool b;
                double num;
                struct {
                        char *s; /* owned; may contain any byte but NUL */
                        size_t len;
                } str;
                struct {
                        value **items; /* owned */
                        size_t n, cap;
                } arr;
                struct {
                        member *m; /* owned; insertion order; a later duplicate replaces */
                        size_t n, cap;
                } obj;
        };
};

value *value_new(value_type type, loc where);         /* NULL on OOM */
value *value_new_string(const char *s, size_t len, loc where);
value *value_new_number(double num, loc where);
value *value_new_bool(bool b, loc where);
void value_free(value *v);
value *value_clone(const value *v);                    /* deep copy; NULL on OOM */

/* Containers take ownership of `item`/`val` even on failure (they free it). */
int value_array_push(value *arr, value *item);        /* 0 or -ENOMEM */
/* Sets key to val. An existing key keeps its position and gets the new value
 * (JavaScript semantics for object literals and spread). */
int value_object_set(value *obj, const char *key, loc key_where, value *val);
const member *value_object_get(const value *obj, const char *key);

const char *value_type_name(value_type t); /* "string", "an array", ... for messages */

/* Format a number the way JavaScript's String(n) does ("3000", "0.1", "1e+21",
 * "1.5e-7", "NaN", "-Infinity"). buf must hold VALUE_NUMBER_BUF bytes. */
#define VALUE_NUMBER_BUF 40
const char *value_number_to_string(double num, char buf[VALUE_NUMBER_BUF]);
