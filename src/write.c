/* SPDX-License-Identifier: MIT */
/* value_to_json and value_to_js (value_to_ini lives in write-ini.c).
 *
 * JSON is what JSON.stringify(v, null, indent) prints, byte for byte: undefined
 * members are skipped, undefined array items and non-finite numbers are null.
 * Strings that are not valid UTF-8 (possible from the INI front end) get U+FFFD
 * for each bad byte, so the output is always valid JSON and valid JavaScript. */
#include "write.h"

#include <math.h>
#include <string.h>

#define JS_WIDTH 80 /* value_to_js puts an array of scalars on one line when it fits */

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n, unsigned *cp) {
        unsigned c = s[0], lo = 0x80, hi = 0xbf;
        size_t need;

        if (c < 0x80) {
                *cp = c;
                return 1;
        }
        if (c < 0xc2 || c > 0xf4)
                return 0;
        need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (c == 0xe0)
                lo = 0xa0;
        else if (c == 0xed)
                hi = 0x9f;
        else if (c == 0xf0)
                lo = 0x90;
        else if (c == 0xf4)
                hi = 0x8f;
        if (n < need || s[1] < lo || s[1] > hi)
                return 0;
        c &= need == 2 ? 0x1f : need == 3 ? 0x0f : 0x07;
        for (size_t k = 1; k < need; k++) {
                if ((s[k] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[k] & 0x3f);
        }
        *cp = c;
        return need;
}

static void indent_line(strbuf *out, int indent, int level) {
        if (indent <= 0)
                return;
        strbuf_addc(out, '\n');
        for (int i = 0; i < indent * level; i++)
                strbuf_addc(out, ' ');
}

static void json_string(strbuf *out, const char *s, size_t len) {
        const unsigned char *u = (const unsigned char *) s;

        strbuf_addc(out, '"');
        for (size_t i = 0; i < len;) {
                unsigned char c = u[i];
                unsigned cp;
                size_t n;

                if (c == '"' || c == '\\') {
                        strbuf_addc(out, '\\');
                        strbuf_addc(out, (char) c);
                        i++;
                } else if (c < 0x20) {
                        const char *e = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r" :
                                        c == '\t' ? "\\t" : NULL;

                        if (e)
                                strbuf_adds(out, e);
                        else
                                strbuf_addf(out, "\\u%04x", c);
                        i++;
                } else if ((n = utf8_len(u + i, len - i, &cp))) {
                        strbuf_add(out, s + i, n);
                        i += n;
                } else {
                        strbuf_adds(out, "\\ufffd");
                        i++;
                }
        }
        strbuf_addc(out, '"');
}

void json_escape(strbuf *out, const char *s, size_t len) {
        json_string(out, s, len);
}

static void json_value(const value *v, strbuf *out, int indent, int level) {
        char buf[VALUE_NUMBER_BUF];
        bool first = true;

        switch (v->type) {
        case V_UNDEFINED:
        case V_NULL:
                strbuf_adds(out, "null");
                break;
        case V_BOOL:
                strbuf_adds(out, v->b ? "true" : "false");
                break;
        case V_NUMBER:
                strbuf_adds(out, isfinite(v->num) ? value_number_to_string(v->num, buf) : "null");
                break;
        case V_STRING:
                json_string(out, v->str.s, v->str.len);
                break;
        case V_ARRAY:
                strbuf_addc(out, '[');
                for (size_t i = 0; i < v->arr.n; i++) {
                        if (i)
                                strbuf_addc(out, ',');
                        indent_line(out, indent, level + 1);
                        json_value(v->arr.items[i], out, indent, level + 1);
                }
                if (v->arr.n)
                        indent_line(out, indent, level);
                strbuf_addc(out, ']');
                break;
        case V_OBJECT:
                strbuf_addc(out, '{');
                for (size_t i = 0; i < v->obj.n; i++) {
                        const member *m = &v->obj.m[i];

                        if (m->val->type == V_UNDEFINED)
                                continue;
                        if (!first)
                                strbuf_addc(out, ',');
                        first = false;
                        indent_line(out, indent, level + 1);
                        json_string(out, m->key, strlen(m->key));
                        strbuf_adds(out, indent > 0 ? ": " : ":");
                        json_value(m->val, out, indent, level + 1);
                }
                if (!first)
                        indent_line(out, indent, level);
                strbuf_addc(out, '}');
                break;
        }
}

void value_to_json(const value *v, strbuf *out, int indent) {
        json_value(v, out, indent < 0 ? 0 : indent > 10 ? 10 : indent, 0);
}

static void js_string(strbuf *out, const char *s, size_t len) {
        const unsigned char *u = (const unsigned char *) s;

        strbuf_addc(out, '\'');
        for (size_t i = 0; i < len;) {
                unsigned char c = u[i];
                unsigned cp;
                size_t n;

                if (c == '\'' || c == '\\') {
                        strbuf_addc(out, '\\');
                        strbuf_addc(out, (char) c);
                        i++;
                } else if (c < 0x20 || c == 0x7f) {
                        const char *e = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r" :
                                        c == '\t' ? "\\t" : c == '\v' ? "\\v" : NULL;

                        if (e)
                                strbuf_adds(out, e);
                        else
                                strbuf_addf(out, "\\x%02x", c);
                        i++;
                } else if ((n = utf8_len(u + i, len - i, &cp))) {
                        if (cp == 0x2028 || cp == 0x2029)
                                strbuf_addf(out, "\\u%04x", cp);
                        else
                                strbuf_add(out, s + i, n);
                        i += n;
                } else {
                        strbuf_adds(out, "\\ufffd");
                        i++;
                }
        }
        strbuf_addc(out, '\'');
}

static bool is_identifier(const char *k) {
        if (!*k || (*k >= '0' && *k <= '9'))
                return false;
        for (; *k; k++)
                if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '_' ||
                      *k == '$'))
                        return false;
        return true;
}

static void js_key(strbuf *out, const char *key) {
        if (strcmp(key, "__proto__") == 0)
                strbuf_adds(out, "['__proto__']"); /* a plain __proto__: key would set the prototype */
        else if (is_identifier(key))
                strbuf_adds(out, key);
        else
                js_string(out, key, strlen(key));
}

static void js_indent(strbuf *out, int level) {
        for (int i = 0; i < 2 * level; i++)
                strbuf_addc(out, ' ');
}

static void js_value(const value *v, strbuf *out, int level, size_t col);

/* An array of scalars on one line, if it fits in JS_WIDTH columns from col. */
static bool js_inline_array(const value *v, strbuf *out, size_t col) {
        strbuf line = STRBUF_INIT;
        bool fits;

        for (size_t i = 0; i < v->arr.n; i++)
                if (v->arr.items[i]->type == V_ARRAY || v->arr.items[i]->type == V_OBJECT)
                        return false;
        strbuf_addc(&line, '[');
        for (size_t i = 0; i < v->arr.n; i++) {
                if (i)
                        strbuf_adds(&line, ", ");
                js_value(v->arr.items[i], &line, 0, 0);
        }
        strbuf_addc(&line, ']');
        fits = col + line.len + 1 <= JS_WIDTH && !line.oom;
        if (fits)
                strbuf_add(out, line.s, line.len);
        strbuf_free(&line);
        return fits;
}

static void js_value(const value *v, strbuf *out, int level, size_t col) {
        char buf[VALUE_NUMBER_BUF];
        bool any = false;

        switch (v->type) {
        case V_UNDEFINED:
                strbuf_adds(out, "undefined");
                break;
        case V_NULL:
                strbuf_adds(out, "null");
                break;
        case V_BOOL:
                strbuf_adds(out, v->b ? "true" : "false");
                break;
        case V_NUMBER:
                strbuf_adds(out, value_number_to_string(v->num, buf)); /* NaN, Infinity and -Infinity are JS too */
                break;
        case V_STRING:
                js_string(out, v->str.s, v->str.len);
                break;
        case V_ARRAY:
                if (v->arr.n == 0) {
                        strbuf_adds(out, "[]");
                        break;
                }
                if (js_inline_array(v, out, col))
                        break;
                strbuf_adds(out, "[\n");
                for (size_t i = 0; i < v->arr.n; i++) {
                        js_indent(out, level + 1);
                        js_value(v->arr.items[i], out, level + 1, 2 * (size_t) (level + 1));
                        strbuf_adds(out, ",\n");
                }
                js_indent(out, level);
                strbuf_addc(out, ']');
                break;
        case V_OBJECT:
                for (size_t i = 0; i < v->obj.n; i++) {
                        const member *m = &v->obj.m[i];
                        size_t start;

                        if (m->val->type == V_UNDEFINED)
                                continue;
                        strbuf_adds(out, any ? "" : "{\n");
                        any = true;
                        js_indent(out, level + 1);
                        start = out->len;
                        js_key(out, m->key);
                        strbuf_adds(out, ": ");
                        js_value(m->val, out, level + 1, 2 * (size_t) (level + 1) + out->len - start);
                        strbuf_adds(out, ",\n");
                }
                if (!any)
                        strbuf_adds(out, "{}");
                else {
                        js_indent(out, level);
                        strbuf_addc(out, '}');
                }
                break;
        }
}

void value_to_js(const value *v, strbuf *out) {
        strbuf_adds(out, "module.exports = ");
        js_value(v, out, 0, strlen("module.exports = "));
        strbuf_adds(out, ";\n");
}
