/* SPDX-License-Identifier: MIT */
/* JavaScript's numbers for the JS-lite front end: ToNumber of a string,
 * parseInt, parseFloat and the Math functions pmgen supports, giving node's
 * results (NaN, -0, rounding, radix rules). Pure functions on bytes and doubles;
 * strings are UTF-8. */
#pragma once

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

/* The length of the white space or line terminator at s[0..n) (what \s matches
 * and trim() removes), or 0. */
size_t js_space_len(const char *s, size_t n);

/* ToNumber of a string: surrounding white space ignored, "" is 0,
 * decimal/0x/0o/0b/Infinity forms, anything else NaN. */
double js_string_to_number(const char *s, size_t len, locale_t cloc);

/* The exactly rounded value of n digits (no sign, no prefix) in radix 2, 4, 8,
 * 10, 16 or 32; other radixes are accumulated digit by digit. Sets *oom when
 * memory ran out. */
double js_digits_to_double(const char *digits, size_t n, int radix, locale_t cloc, bool *oom);

/* parseInt(s, radix): radix is the argument as a number (NaN when absent). */
double js_parse_int(const char *s, size_t len, double radix, locale_t cloc);
/* parseFloat(s). */
double js_parse_float(const char *s, size_t len, locale_t cloc);

/* Math.round (halves toward +Infinity, -0 kept), Math.max and Math.min (NaN if
 * any is NaN; +0 is greater than -0; -Infinity/Infinity for no arguments). */
double js_math_round(double x);
double js_math_max(const double *x, size_t n);
double js_math_min(const double *x, size_t n);
