/* SPDX-License-Identifier: MIT */
#include "js-number.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "js-lex.h"
#include "strbuf.h"

static bool is_digit(unsigned c) {
        return c >= '0' && c <= '9';
}

/* The value of c as a digit of radix 36, or -1. */
static int digit_val(unsigned c) {
        if (is_digit(c))
                return (int) (c - '0');
        c |= 0x20;
        if (c >= 'a' && c <= 'z')
                return (int) (c - 'a' + 10);
        return -1;
}

static bool is_radix_digit(unsigned c, int radix) {
        int v = digit_val(c);

        return v >= 0 && v < radix;
}

size_t js_space_len(const char *s, size_t n) {
        const unsigned char *u = (const unsigned char *) s;
        unsigned cp;
        size_t k;

        if (n == 0)
                return 0;
        if (u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r'))
                return 1;
        if (u[0] < 0x80)
                return 0;
        k = js_utf8_decode(u, n, &cp);
        return k && (js_is_space_cp(cp) || cp == 0x2028 || cp == 0x2029) ? k : 0;
}

/* The length of the white space character ending s[0..len), or 0. */
static size_t trailing_space(const char *s, size_t len) {
        for (size_t n = 1; n <= 3 && n <= len; n++)
                if (js_space_len(s + len - n, n) == n)
                        return n;
        return 0;
}

static size_t leading_space(const char *s, size_t len) {
        size_t i = 0, n;

        while ((n = js_space_len(s + i, len - i)))
                i += n;
        return i;
}

double js_digits_to_double(const char *digits, size_t n, int radix, locale_t cloc, bool *oom) {
        strbuf hex = STRBUF_INIT;
        int bits = radix == 2 ? 1 : radix == 4 ? 2 : radix == 8 ? 3 : radix == 16 ? 4 : radix == 32 ? 5 : 0;
        double v = 0;

        if (radix == 10) {
                strbuf_add(&hex, digits, n);
        } else if (bits == 4) {
                strbuf_adds(&hex, "0x");
                strbuf_add(&hex, digits, n);
        } else if (bits) {
                /* Regroup the bits as hex digits, so strtod rounds exactly. */
                size_t total = n * (size_t) bits, pad = (4 - total % 4) % 4;
                unsigned acc = 0, m = (unsigned) pad;

                strbuf_adds(&hex, "0x0");
                for (size_t j = 0; j < n; j++) {
                        int d = digit_val((unsigned char) digits[j]);

                        for (int b = bits - 1; b >= 0; b--) {
                                acc = acc * 2 + (unsigned) ((d >> b) & 1);
                                if (++m == 4) {
                                        strbuf_addc(&hex, "0123456789abcdef"[acc]);
                                        acc = 0;
                                        m = 0;
                                }
                        }
                }
        } else {
                for (size_t j = 0; j < n; j++)
                        v = v * radix + digit_val((unsigned char) digits[j]);
                return v;
        }
        if (hex.oom)
                *oom = true;
        else
                v = strtod_l(strbuf_str(&hex), NULL, cloc);
        strbuf_free(&hex);
        return v;
}

double js_string_to_number(const char *s, size_t len, locale_t cloc) {
        size_t i = leading_space(s, len), n, digits = 0;
        bool oom = false;

        while ((n = trailing_space(s + i, len - i)))
                len -= n;
        s += i;
        len -= i;
        if (len == 0)
                return 0;
        if (len > 2 && s[0] == '0' && strchr("xXoObB", s[1])) {
                int radix = (s[1] | 0x20) == 'x' ? 16 : (s[1] | 0x20) == 'o' ? 8 : 2;

                for (i = 2; i < len; i++)
                        if (!is_radix_digit((unsigned char) s[i], radix))
                                return NAN;
                return js_digits_to_double(s + 2, len - 2, radix, cloc, &oom);
        }
        i = s[0] == '+' || s[0] == '-' ? 1 : 0;
        if (len - i == 8 && memcmp(s + i, "Infinity", 8) == 0)
                return s[0] == '-' ? -INFINITY : INFINITY;
        n = i;
        for (; n < len && is_digit((unsigned char) s[n]); n++)
                digits++;
        if (n < len && s[n] == '.')
                for (n++; n < len && is_digit((unsigned char) s[n]); n++)
                        digits++;
        if (digits == 0)
                return NAN;
        if (n < len && (s[n] | 0x20) == 'e') {
                size_t e = ++n;

                if (n < len && (s[n] == '+' || s[n] == '-'))
                        e = ++n;
                while (n < len && is_digit((unsigned char) s[n]))
                        n++;
                if (n == e)
                        return NAN;
        }
        if (n != len)
                return NAN;
        return js_parse_float(s, len, cloc);
}

/* ToInt32 (ECMA-262 7.1.6). */
static int32_t to_int32(double d) {
        if (!isfinite(d))
                return 0;
        d = fmod(trunc(d), 4294967296.0);
        if (d < 0)
                d += 4294967296.0;
        return d >= 2147483648.0 ? (int32_t) (d - 4294967296.0) : (int32_t) d;
}

/* ECMA-262 19.2.5 parseInt. */
double js_parse_int(const char *s, size_t len, double radix_arg, locale_t cloc) {
        size_t i = leading_space(s, len), start;
        int32_t radix = to_int32(radix_arg);
        bool neg = false, strip = true, oom = false;
        double v;

        if (i < len && (s[i] == '+' || s[i] == '-'))
                neg = s[i++] == '-';
        if (radix != 0) {
                if (radix < 2 || radix > 36)
                        return NAN;
                strip = radix == 16;
        } else
                radix = 10;
        if (strip && len - i >= 2 && s[i] == '0' && (s[i + 1] | 0x20) == 'x') {
                i += 2;
                radix = 16;
        }
        start = i;
        while (i < len && is_radix_digit((unsigned char) s[i], radix))
                i++;
        if (i == start)
                return NAN;
        v = js_digits_to_double(s + start, i - start, radix, cloc, &oom);
        if (oom)
                return NAN;
        return neg ? -v : v;
}

/* ECMA-262 19.2.4 parseFloat: the longest prefix that is a StrDecimalLiteral. */
double js_parse_float(const char *s, size_t len, locale_t cloc) {
        size_t i = leading_space(s, len), start = i, n, digits = 0;
        strbuf sb = STRBUF_INIT;
        double v;

        if (i < len && (s[i] == '+' || s[i] == '-'))
                i++;
        if (len - i >= 8 && memcmp(s + i, "Infinity", 8) == 0)
                return s[start] == '-' ? -INFINITY : INFINITY;
        for (; i < len && is_digit((unsigned char) s[i]); i++)
                digits++;
        if (i < len && s[i] == '.')
                for (i++; i < len && is_digit((unsigned char) s[i]); i++)
                        digits++;
        if (digits == 0)
                return NAN;
        n = i;
        if (i < len && (s[i] | 0x20) == 'e') {
                size_t e = i + 1;

                if (e < len && (s[e] == '+' || s[e] == '-'))
                        e++;
                if (e < len && is_digit((unsigned char) s[e])) {
                        while (e < len && is_digit((unsigned char) s[e]))
                                e++;
                        n = e;
                }
        }
        strbuf_add(&sb, s + start, n - start);
        v = sb.oom ? NAN : strtod_l(strbuf_str(&sb), NULL, cloc);
        strbuf_free(&sb);
        return v;
}

double js_math_round(double x) {
        double r;

        if (!isfinite(x) || x == 0)
                return x;
        if (x > 0 && x < 0.5)
                return 0.0;
        if (x < 0 && x >= -0.5)
                return -0.0;
        r = floor(x);
        return x - r >= 0.5 ? r + 1 : r;
}

double js_math_max(const double *x, size_t n) {
        double r = -INFINITY;

        for (size_t i = 0; i < n; i++) {
                if (isnan(x[i]))
                        return NAN;
                if (x[i] > r || (x[i] == 0 && r == 0 && !signbit(x[i])))
                        r = x[i];
        }
        return r;
}

double js_math_min(const double *x, size_t n) {
        double r = INFINITY;

        for (size_t i = 0; i < n; i++) {
                if (isnan(x[i]))
                        return NAN;
                if (x[i] < r || (x[i] == 0 && r == 0 && signbit(x[i])))
                        r = x[i];
        }
        return r;
}
