/* SPDX-License-Identifier: MIT */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "escape.h"
#include "harden.h"
#include "health.h"
#include "keys.h"
#include "parse-ini.h"
#include "write.h"

/* One app being normalized. */
typedef struct norm {
        diag_list *dl;
        value *out;       /* normalized app object */
        bool oom;
} norm;

static loc loc_col(loc where, size_t offset) {
        where.col += (unsigned) offset;
        return where;
}

/* ---- scalar coercion ---------------------------------------------------------------------- */

/* The text of a string value, unquoted when it came untyped from INI. */
static int scalar_text(norm *n, const value *v, const char *key, strbuf *out) {
        if (v->type != V_STRING)
                return -EINVAL;
        if (!v->untyped) {
                strbuf_add(out, v->str.s, v->str.len);
                return out->oom ? -ENOMEM : 0;
        }
        size_t col = 0;
        const char *msg = NULL;
        int r = ini_unquote(v->str.s, v->str.len, out, &col, &msg);

        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                diag_error(n->dl, loc_col(v->where, col), "%s: %s", key, msg);
                return -EINVAL;
        }
        return 0;
}

static void expected(norm *n, const value *v, const char *key, const char *what) {
        diag_error(n->dl, v->where, "%s: expected %s, found %s", key, what, value_type_name(v->type));
}

static int put(norm *n, const char *key, loc key_where, value *v) {
        if (!v || value_object_set(n->out, key, key_where, v) < 0) {
                n->oom = true;
                return -ENOMEM;
        }
        return 0;
}

static value *new_string(const char *s, loc where) {
        return value_new_string(s, strlen(s), where);
}

static int norm_string(norm *n, const member *m, const key_def *k) {
        const value *v = m->val;
        strbuf sb = STRBUF_INIT;
        int r;

        if (v->type == V_BOOL && !v->b && strcmp(k->name, "log_date_format") == 0)
                return 0; /* PM2 files write `log_date_format: false` for "off" */
        if (v->type == V_NUMBER && (strcmp(k->name, "cpu_quota") == 0 || strcmp(k->name, "max_cpu_restart") == 0)) {
                /* 150 is "150%" */
                strbuf_addf(&sb, "%g%%", v->num);
                r = put(n, k->name, m->key_where, new_string(strbuf_str(&sb), v->where));
                strbuf_free(&sb);
                return r;
        }
        if (v->type != V_STRING) {
                expected(n, v, k->name, "a string");
                return -EINVAL;
        }
        r = scalar_text(n, v, k->name, &sb);
        if (r == 0 && sb.len == 0) {
                diag_error(n->dl, v->where, "%s: expected a non-empty string", k->name);
                r = -EINVAL;
        }
        if (r == 0 && strlen(strbuf_str(&sb)) != sb.len) {
                diag_error(n->dl, v->where, "%s: NUL bytes are not allowed", k->name);
                r = -EINVAL;
        }
        if (r == 0)
                r = put(n, k->name, m->key_where, new_string(strbuf_str(&sb), v->where));
        strbuf_free(&sb);
        return r;
}

static int parse_bool_text(const char *s, bool *ret) {
        static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };

        for (size_t i = 0; i < 4; i++) {
                if (strcmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

static int norm_bool(norm *n, const member *m, const key_def *k) {
        const value *v = m->val;
        bool b;

        if (v->type == V_BOOL)
                return put(n, k->name, m->key_where, value_new_bool(v->b, v->where));
        if (v->type == V_STRING && v->untyped) {
                strbuf sb = STRBUF_INIT;
                int r = scalar_text(n, v, k->name, &sb);

                if (r == 0 && parse_bool_text(strbuf_str(&sb), &b) < 0) {
                        diag_error(n->dl, v->where, "%s: expected true or false, found '%s'", k->name, strbuf_str(&sb));
                        r = -EINVAL;
                }
                strbuf_free(&sb);
                return r < 0 ? r : put(n, k->name, m->key_where, value_new_bool(b, v->where));
        }
        expected(n, v, k->name, "true or false");
        return -EINVAL;
}

/* Non-negative integer from a number or a numeric string, at most max. */
static int uint_of(norm *n, const value *v, const char *key, double max, double *ret) {
        if (v->type == V_NUMBER) {
                if (!isfinite(v->num) || v->num != floor(v->num) || v->num < 0 || v->num > max) {
                        char buf[VALUE_NUMBER_BUF];

                        diag_error(n->dl, v->where, "%s: expected a whole number from %d to %.0f, found %s", key, strcmp(key, "port") == 0, max,
                                   value_number_to_string(v->num, buf));
                        return -EINVAL;
                }
                *ret = v->num;
                return 0;
        }
        if (v->type == V_STRING) {
                strbuf sb = STRBUF_INIT;
                int r = scalar_text(n, v, key, &sb);
                const char *s = strbuf_str(&sb);
                char *end = NULL;
                unsigned long long x = 0;

                if (r == 0) {
                        errno = 0;
                        if (*s >= '0' && *s <= '9')
                                x = strtoull(s, &end, 10);
                        if (!end || *end || errno || (double) x > max) {
                                diag_error(n->dl, v->where, "%s: expected a whole number from %d to %.0f, found '%s'", key, strcmp(key, "port") == 0,
                                           max, s);
                                r = -EINVAL;
                        }
                }
                strbuf_free(&sb);
                if (r == 0)
                        *ret = (double) x;
                return r;
        }
        expected(n, v, key, "a number");
        return -EINVAL;
}

static double uint_max(const char *key) {
        if (strcmp(key, "port") == 0)
                return 65535;
        if (strcmp(key, "backlog") == 0)
                return 65535;
        if (strcmp(key, "max_restarts") == 0)
                return 100000;
        return 4294967295.0;
}

static int norm_uint(norm *n, const member *m, const key_def *k) {
        double x;

        if (uint_of(n, m->val, k->name, uint_max(k->name), &x) < 0)
                return -EINVAL;
        if (strcmp(k->name, "port") == 0 && x == 0) {
                diag_error(n->dl, m->val->where, "port: expected a whole number from 1 to 65535, found 0");
                return -EINVAL;
        }
        return put(n, k->name, m->key_where, value_new_number(x, m->val->where));
}

/* Durations and sizes keep their spelling ("10s", "200M") but are checked here. */
static int norm_unit_string(norm *n, const member *m, const key_def *k) {
        const value *v = m->val;
        double x;

        if (v->type == V_NUMBER || (v->type == V_STRING && !v->untyped && v->str.len && v->str.s[0] >= '0' &&
                                    strspn(v->str.s, "0123456789") == v->str.len)) {
                if (uint_of(n, v, k->name, 1e15, &x) < 0)
                        return -EINVAL;
                return put(n, k->name, m->key_where, value_new_number(x, v->where));
        }
        if (v->type != V_STRING) {
                expected(n, v, k->name, k->type == KT_SIZE ? "a size such as 200M" : "a duration in ms or such as 10s");
                return -EINVAL;
        }
        strbuf sb = STRBUF_INIT;
        uint64_t parsed;
        int r = scalar_text(n, v, k->name, &sb);

        if (r == 0) {
                const char *s = strbuf_str(&sb);

                if (strspn(s, "0123456789") == sb.len && sb.len > 0 && sb.len < 16) {
                        r = put(n, k->name, m->key_where, value_new_number(strtod(s, NULL), v->where));
                } else if ((k->type == KT_SIZE ? parse_size(s, &parsed) : parse_duration_ms(s, &parsed)) < 0) {
                        diag_error(n->dl, v->where,
                                   k->type == KT_SIZE ? "%s: expected a size such as 512K, 200M or 1G, found '%s'"
                                                      : "%s: expected milliseconds or a duration such as 10s, 5m or 1h, found '%s'",
                                   k->name, s);
                        r = -EINVAL;
                } else
                        r = put(n, k->name, m->key_where, new_string(s, v->where));
        }
        strbuf_free(&sb);
        return r;
}

/* ---- lists -------------------------------------------------------------------------------- */

static int words_of(norm *n, const value *v, const char *key, strlist *out) {
        if (v->type == V_ARRAY) {
                out->v = calloc(v->arr.n + 1, sizeof(char *));
                if (!out->v)
                        return -ENOMEM;
                for (size_t i = 0; i < v->arr.n; i++) {
                        const value *it = v->arr.items[i];
                        strbuf sb = STRBUF_INIT;
                        char buf[VALUE_NUMBER_BUF];

                        if (it->type == V_NUMBER)
                                strbuf_adds(&sb, value_number_to_string(it->num, buf));
                        else if (it->type != V_STRING || scalar_text(n, it, key, &sb) < 0) {
                                if (it->type != V_STRING)
                                        expected(n, it, key, "a string in the list");
                                strbuf_free(&sb);
                                strlist_free(out);
                                return -EINVAL;
                        }
                        if (strlen(strbuf_str(&sb)) != sb.len) {
                                diag_error(n->dl, it->where, "%s: NUL bytes are not allowed", key);
                                strbuf_free(&sb);
                                strlist_free(out);
                                return -EINVAL;
                        }
                        out->v[out->n++] = strbuf_steal(&sb);
                        if (!out->v[out->n - 1]) {
                                strlist_free(out);
                                return -ENOMEM;
                        }
                }
                return 0;
        }
        if (v->type == V_STRING && v->untyped) {
                size_t col = 0, nw = 0;
                const char *msg = NULL;
                char **w = NULL;
                int r = ini_split_words(v->str.s, v->str.len, &w, &nw, &col, &msg);

                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        diag_error(n->dl, loc_col(v->where, col), "%s: %s", key, msg);
                        return -EINVAL;
                }
                out->v = w;
                out->n = nw;
                return 0;
        }
        if (v->type == V_STRING) {
                if (strlen(v->str.s) != v->str.len) {
                        diag_error(n->dl, v->where, "%s: NUL bytes are not allowed", key);
                        return -EINVAL;
                }
                return split_args_pm2(v->str.s, out);
        }
        expected(n, v, key, "a string or a list of strings");
        return -EINVAL;
}

static value *list_value(const strlist *l, loc where) {
        value *arr = value_new(V_ARRAY, where);

        for (size_t i = 0; arr && i < l->n; i++)
                if (value_array_push(arr, new_string(l->v[i], where)) < 0) {
                        value_free(arr);
                        return NULL;
                }
        return arr;
}

static int norm_strlist(norm *n, const member *m, const key_def *k) {
        strlist l = { 0 };
        int r = words_of(n, m->val, k->name, &l);

        if (r < 0)
                return r;
        r = put(n, k->name, m->key_where, list_value(&l, m->val->where));
        strlist_free(&l);
        return r;
}

static int norm_uintlist(norm *n, const member *m, const key_def *k) {
        const value *v = m->val;
        value *arr = value_new(V_ARRAY, v->where);
        int r = 0;

        if (!arr)
                return -ENOMEM;
        if (v->type == V_NUMBER) {
                if (uint_of(n, v, k->name, 255, &(double){ 0 }) < 0)
                        r = -EINVAL;
                else
                        r = value_array_push(arr, value_new_number(v->num, v->where));
        } else if (v->type == V_ARRAY || (v->type == V_STRING && v->untyped)) {
                strlist l = { 0 };

                if (v->type == V_ARRAY) {
                        for (size_t i = 0; i < v->arr.n && r == 0; i++) {
                                double x;

                                r = uint_of(n, v->arr.items[i], k->name, 255, &x);
                                if (r == 0)
                                        r = value_array_push(arr, value_new_number(x, v->arr.items[i]->where));
                        }
                } else if ((r = words_of(n, v, k->name, &l)) == 0) {
                        for (size_t i = 0; i < l.n && r == 0; i++) {
                                value tmp = { .type = V_STRING, .where = v->where, .str = { l.v[i], strlen(l.v[i]) } };
                                double x;

                                r = uint_of(n, &tmp, k->name, 255, &x);
                                if (r == 0)
                                        r = value_array_push(arr, value_new_number(x, v->where));
                        }
                        strlist_free(&l);
                }
        } else {
                expected(n, v, k->name, "a list of exit codes");
                r = -EINVAL;
        }
        if (r < 0) {
                value_free(arr);
                return r;
        }
        return put(n, k->name, m->key_where, arr);
}

static int norm_instances(norm *n, const member *m, const key_def *k) {
        const value *v = m->val;
        strbuf sb = STRBUF_INIT;
        int r = 0;
        double x = 0;

        if (v->type == V_NUMBER) {
                x = v->num;
        } else if (v->type == V_STRING) {
                r = scalar_text(n, v, k->name, &sb);
                if (r == 0 && strcmp(strbuf_str(&sb), "max") == 0) {
                        r = put(n, k->name, m->key_where, new_string("max", v->where));
                        strbuf_free(&sb);
                        return r;
                }
                if (r == 0) {
                        char *end = NULL;
                        const char *s = strbuf_str(&sb);
                        long long ll;

                        errno = 0;
                        ll = strtoll(s, &end, 10);
                        if (!*s || *end || errno || (*s != '-' && (*s < '0' || *s > '9'))) {
                                diag_error(n->dl, v->where, "instances: expected a number, \"max\" or -N, found '%s'", s);
                                r = -EINVAL;
                        }
                        x = (double) ll;
                }
        } else {
                expected(n, v, k->name, "a number or \"max\"");
                r = -EINVAL;
        }
        strbuf_free(&sb);
        if (r < 0)
                return r;
        if (!isfinite(x) || x != floor(x) || x > 1024 || x < -1024) {
                diag_error(n->dl, v->where, "instances: expected a whole number from -1024 to 1024, \"max\" or 0");
                return -EINVAL;
        }
        return put(n, k->name, m->key_where, value_new_number(x, v->where));
}

static int norm_env(norm *n, const char *name, const member *m) {
        const value *v = m->val;
        value *obj;
        int r = 0;

        if (v->type != V_OBJECT) {
                expected(n, v, name, "an object of environment variables");
                return -EINVAL;
        }
        obj = value_new(V_OBJECT, v->where);
        if (!obj)
                return -ENOMEM;
        for (size_t i = 0; i < v->obj.n && r != -ENOMEM; i++) {
                const member *e = &v->obj.m[i];
                const value *ev = e->val;
                size_t bad = 0;
                const char *msg = env_name_check(e->key, &bad);
                strbuf sb = STRBUF_INIT;
                char buf[VALUE_NUMBER_BUF];

                if (msg) {
                        char cb[16];

                        diag_error(n->dl, loc_col(e->key_where, 0), "%s: '%s' is not a valid variable name: %s (at %s)",
                                   name, e->key, msg, describe_char((unsigned char) e->key[bad], cb));
                        r = -EINVAL;
                        continue;
                }
                switch (ev->type) {
                case V_STRING:
                        if (scalar_text(n, ev, e->key, &sb) < 0) {
                                r = -EINVAL;
                                break;
                        }
                        if (strlen(strbuf_str(&sb)) != sb.len) {
                                diag_error(n->dl, ev->where, "%s.%s: NUL bytes are not allowed", name, e->key);
                                r = -EINVAL;
                        }
                        break;
                case V_NUMBER:
                        strbuf_adds(&sb, value_number_to_string(ev->num, buf));
                        break;
                case V_BOOL:
                        strbuf_adds(&sb, ev->b ? "true" : "false");
                        break;
                case V_UNDEFINED:
                        strbuf_free(&sb);
                        continue; /* PM2 drops undefined values */
                case V_NULL:
                        strbuf_adds(&sb, "null");
                        break;
                case V_ARRAY:
                case V_OBJECT:
                        value_to_json(ev, &sb, 0); /* PM2 passes JSON.stringify(value) */
                        break;
                }
                if (sb.oom)
                        r = -ENOMEM;
                else if (r == 0 && value_object_set(obj, e->key, e->key_where, new_string(strbuf_str(&sb), ev->where)) < 0)
                        r = -ENOMEM;
                strbuf_free(&sb);
        }
        if (r < 0) {
                value_free(obj);
                return r;
        }
        return put(n, name, m->key_where, obj);
}

static int norm_watch(norm *n, const member *m, const key_def *k) {
        const value *v = m->val;

        if (v->type == V_BOOL)
                return put(n, k->name, m->key_where, value_new_bool(v->b, v->where));
        if (v->type == V_STRING && v->untyped) {
                bool b;

                if (parse_bool_text(v->str.s, &b) == 0)
                        return put(n, k->name, m->key_where, value_new_bool(b, v->where));
        }
        if (v->type == V_STRING && !v->untyped) { /* one path */
                strlist l = { .v = (char *[]){ v->str.s }, .n = 1 };

                return put(n, k->name, m->key_where, list_value(&l, v->where));
        }
        return norm_strlist(n, m, k);
}

/* ---- apps --------------------------------------------------------------------------------- */

static double get_num(const value *obj, const char *key) {
        const member *m = value_object_get(obj, key);

        return m && m->val->type == V_NUMBER ? m->val->num : 0;
}

/* health: { url | tcp | cmd, interval, timeout, retries, start_period } (pmgen's addition). Members are
 * checked with the scalar rules above under the name "health.KEY" and kept in this order. */
static const struct {
        const char *key;
        key_type type;
} health_keys[] = {
        { "url", KT_STRING }, { "tcp", KT_STRING }, { "cmd", KT_STRING }, { "interval", KT_DURATION },
        { "timeout", KT_DURATION }, { "retries", KT_UINT }, { "start_period", KT_DURATION },
};
#define N_HEALTH_KEYS (sizeof(health_keys) / sizeof(health_keys[0]))

static int norm_health(norm *n, const member *m) {
        const value *v = m->val;
        norm sub = { .dl = n->dl };
        value *obj = NULL;
        char name[32];
        const member *first = NULL;
        int r = 0;

        if (v->type != V_OBJECT) {
                expected(n, v, "health", "an object such as { url: '/healthz', interval: '5s' }");
                return -EINVAL;
        }
        sub.out = value_new(V_OBJECT, v->where);
        if (!sub.out)
                return -ENOMEM;
        for (size_t i = 0; i < v->obj.n && r != -ENOMEM; i++) {
                const member *e = &v->obj.m[i];
                member tcp_as = *e;
                value *tcp_val = NULL;
                size_t k;
                int one;

                for (k = 0; k < N_HEALTH_KEYS && strcmp(health_keys[k].key, e->key) != 0; k++)
                        ;
                if (k == N_HEALTH_KEYS) {
                        const char *near = NULL;
                        unsigned max = strlen(e->key) <= 4 ? 1 : 2; /* as key_suggest() */

                        for (size_t j = 0; j < N_HEALTH_KEYS && !near; j++)
                                if (edit_distance(e->key, health_keys[j].key, max) <= max)
                                        near = health_keys[j].key;
                        if (near)
                                diag_error(n->dl, e->key_where, "health: unknown key '%s' (did you mean '%s'?)", e->key,
                                           near);
                        else
                                diag_error(n->dl, e->key_where, "health: unknown key '%s': expected url, tcp, cmd, "
                                           "interval, timeout, retries or start_period", e->key);
                        r = -EINVAL;
                        continue;
                }
                if (k < 3) {
                        if (first) {
                                diag_error(n->dl, e->key_where, "health: '%s' and '%s' are alternatives: give one of "
                                           "url, tcp and cmd", first->key, e->key);
                                r = -EINVAL;
                                continue;
                        }
                        first = e;
                }
                snprintf(name, sizeof(name), "health.%s", e->key);
                key_def kd = { name, NULL, health_keys[k].type, KF_MAPPED, "" };

                if (e->val->type == V_UNDEFINED)
                        continue;
                if (k == 1) {
                        /* tcp: true (the instance's own socket), a port on 127.0.0.1, or "HOST:PORT" */
                        bool b = false;
                        strbuf sb = STRBUF_INIT;
                        char buf[32];

                        if (e->val->type == V_BOOL || (e->val->type == V_STRING && e->val->untyped &&
                                                       scalar_text(&sub, e->val, name, &sb) == 0 &&
                                                       parse_bool_text(strbuf_str(&sb), &b) == 0)) {
                                if (e->val->type == V_BOOL)
                                        b = e->val->b;
                                if (!b) {
                                        diag_error(n->dl, e->val->where, "health.tcp: expected true (the instance's "
                                                   "socket), a port or \"HOST:PORT\", found false");
                                        r = -EINVAL;
                                }
                                tcp_val = new_string("socket", e->val->where);
                        } else if (e->val->type == V_NUMBER ||
                                   (e->val->type == V_STRING && e->val->str.len > 0 && e->val->str.len < 8 &&
                                    strspn(e->val->str.s, "0123456789") == e->val->str.len)) {
                                double port = e->val->type == V_NUMBER ? e->val->num : strtod(e->val->str.s, NULL);

                                if (port != floor(port) || port < 1 || port > 65535) {
                                        diag_error(n->dl, e->val->where, "health.tcp: expected a port from 1 to 65535");
                                        r = -EINVAL;
                                }
                                snprintf(buf, sizeof(buf), "127.0.0.1:%.0f", port);
                                tcp_val = new_string(buf, e->val->where);
                        }
                        strbuf_free(&sb);
                        if (r == -EINVAL) {
                                value_free(tcp_val);
                                continue;
                        }
                        if (tcp_val) {
                                tcp_as.val = tcp_val;
                                tcp_val->untyped = false;
                        }
                }
                switch (health_keys[k].type) {
                case KT_STRING:
                        one = norm_string(&sub, &tcp_as, &kd);
                        break;
                case KT_UINT:
                        one = norm_uint(&sub, e, &kd);
                        break;
                default:
                        one = norm_unit_string(&sub, e, &kd);
                        break;
                }
                value_free(tcp_val);
                if (one < 0)
                        r = one;
                else if (k == 5 && get_num(sub.out, name) < 1) {
                        diag_error(n->dl, e->val->where, "health.retries: expected a whole number from 1 to 1000, found 0");
                        r = -EINVAL;
                } else if (k == 5 && get_num(sub.out, name) > 1000) {
                        diag_error(n->dl, e->val->where, "health.retries: expected a whole number from 1 to 1000");
                        r = -EINVAL;
                }
        }
        if (sub.oom)
                r = -ENOMEM;
        if (r == 0 && !first) {
                diag_error(n->dl, v->where, "health: expected one of url, tcp or cmd (what to check)");
                r = -EINVAL;
        }
        if (r == 0)
                obj = value_new(V_OBJECT, v->where);
        for (size_t k = 0; obj && k < N_HEALTH_KEYS && r == 0; k++) {
                const member *e;

                snprintf(name, sizeof(name), "health.%s", health_keys[k].key);
                e = value_object_get(sub.out, name);
                if (e && value_object_set(obj, health_keys[k].key, e->key_where, value_clone(e->val)) < 0)
                        r = -ENOMEM;
        }
        value_free(sub.out);
        if (r == 0 && !obj)
                r = -ENOMEM;
        if (r < 0) {
                value_free(obj);
                return r;
        }
        return put(n, "health", m->key_where, obj);
}

static int norm_member(norm *n, const member *m) {
        const key_def *k;

        if (str_has_prefix(m->key, "env_") && strlen(m->key) > 4) {
                size_t bad;

                if (name_check(m->key + 4, &bad)) {
                        diag_error(n->dl, m->key_where,
                                   "'%s': a profile name may contain only letters, digits, '_', '.', ':' and '-'", m->key);
                        return -EINVAL;
                }
                return norm_env(n, m->key, m);
        }
        if (strcmp(m->key, "env") == 0)
                return norm_env(n, "env", m);

        k = key_lookup(m->key);
        if (!k) {
                const char *s = key_suggest(m->key);

                if (s)
                        diag_error(n->dl, m->key_where, "unknown attribute '%s' (did you mean '%s'?)", m->key, s);
                else
                        diag_error(n->dl, m->key_where, "unknown attribute '%s'", m->key);
                return -EINVAL;
        }
        if (value_object_get(n->out, k->name)) {
                diag_error(n->dl, m->key_where, "'%s' is set twice (also as an alias)", k->name);
                return -EINVAL;
        }
        if (k->fate == KF_IGNORED) {
                diag_warning(n->dl, m->key_where, "'%s' is ignored: %s", m->key, k->note);
                return 0;
        }
        if (k->fate == KF_REJECTED) {
                diag_error(n->dl, m->key_where, "'%s' is not supported: %s", m->key, k->note);
                return -EINVAL;
        }
        if (m->val->type == V_UNDEFINED)
                return 0; /* `port: process.env.PORT` with PORT unset: as if absent */
        switch (k->type) {
        case KT_STRING:
                return norm_string(n, m, k);
        case KT_BOOL:
                return norm_bool(n, m, k);
        case KT_UINT:
                return norm_uint(n, m, k);
        case KT_DURATION:
        case KT_SIZE:
                return norm_unit_string(n, m, k);
        case KT_STRLIST:
                return norm_strlist(n, m, k);
        case KT_UINTLIST:
                return norm_uintlist(n, m, k);
        case KT_INSTANCES:
                return norm_instances(n, m, k);
        case KT_WATCH:
                return norm_watch(n, m, k);
        case KT_HEALTH:
                return norm_health(n, m);
        case KT_ENV:
        case KT_ANY:
                break;
        }
        return 0;
}

/* Canonical order: the key table's order, then env, then env_* in declaration order. */
static value *canonical_order(value *obj) {
        value *out = value_new(V_OBJECT, obj->where);
        int r = 0;

        if (!out)
                return NULL;
        for (size_t i = 0; i < key_table_len && r == 0; i++) {
                const member *m = value_object_get(obj, key_table[i].name);

                if (m)
                        r = value_object_set(out, m->key, m->key_where, value_clone(m->val));
        }
        const member *e = value_object_get(obj, "env");

        if (e && r == 0)
                r = value_object_set(out, e->key, e->key_where, value_clone(e->val));
        for (size_t i = 0; i < obj->obj.n && r == 0; i++)
                if (str_has_prefix(obj->obj.m[i].key, "env_"))
                        r = value_object_set(out, obj->obj.m[i].key, obj->obj.m[i].key_where, value_clone(obj->obj.m[i].val));
        value_free(obj);
        if (r < 0) {
                value_free(out);
                return NULL;
        }
        return out;
}

static int normalize_app(const value *raw, diag_list *dl, value **ret) {
        norm n = { .dl = dl };
        size_t errors = dl->errors;
        int r = 0;

        if (raw->type != V_OBJECT) {
                diag_error(dl, raw->where, "expected an app object ({ name: …, script: … }), found %s",
                           value_type_name(raw->type));
                return -EINVAL;
        }
        n.out = value_new(V_OBJECT, raw->where);
        if (!n.out)
                return -ENOMEM;
        for (size_t i = 0; i < raw->obj.n; i++) {
                r = norm_member(&n, &raw->obj.m[i]);
                if (r == -ENOMEM || n.oom) {
                        value_free(n.out);
                        return -ENOMEM;
                }
        }
        if (dl->errors > errors) {
                value_free(n.out);
                return -EINVAL;
        }
        *ret = canonical_order(n.out);
        return *ret ? 0 : -ENOMEM;
}

/* ---- struct app from a normalized app ----------------------------------------------------- */

static const value *get(const value *obj, const char *key) {
        const member *m = value_object_get(obj, key);

        return m ? m->val : NULL;
}

loc app_loc(const app *a, const char *key) {
        const member *m = value_object_get(a->decl, key);

        return m ? m->val->where : a->decl->where;
}

static char *dup_str(const value *obj, const char *key, bool *oom) {
        const value *v = get(obj, key);
        char *s;

        if (!v || v->type != V_STRING)
                return NULL;
        s = strdup(v->str.s);
        if (!s)
                *oom = true;
        return s;
}

static void list_of(const value *obj, const char *key, strlist *out, bool *oom) {
        const value *v = get(obj, key);

        if (!v || v->type != V_ARRAY)
                return;
        out->v = calloc(v->arr.n + 1, sizeof(char *));
        if (!out->v) {
                *oom = true;
                return;
        }
        for (size_t i = 0; i < v->arr.n; i++) {
                out->v[i] = strdup(v->arr.items[i]->str.s);
                if (!out->v[i])
                        *oom = true;
                else
                        out->n++;
        }
}

static uint64_t num_of(const value *obj, const char *key, uint64_t dflt, bool is_size) {
        const value *v = get(obj, key);
        uint64_t x = dflt;

        if (!v)
                return dflt;
        if (v->type == V_NUMBER)
                return (uint64_t) v->num;
        if (v->type == V_STRING)
                (void) (is_size ? parse_size(v->str.s, &x) : parse_duration_ms(v->str.s, &x));
        return x;
}

static bool bool_of(const value *obj, const char *key, bool dflt) {
        const value *v = get(obj, key);

        return v && v->type == V_BOOL ? v->b : dflt;
}

static int env_of(const value *obj, env_set *out) {
        out->v = calloc(obj->obj.n + 1, sizeof(env_var));
        if (!out->v)
                return -ENOMEM;
        for (size_t i = 0; i < obj->obj.n; i++) {
                env_var *e = &out->v[out->n];

                e->name = strdup(obj->obj.m[i].key);
                e->value = strdup(obj->obj.m[i].val->str.s);
                e->where = obj->obj.m[i].val->where;
                out->n++;
                if (!e->name || !e->value)
                        return -ENOMEM;
        }
        return 0;
}

static void env_free(env_set *e) {
        for (size_t i = 0; i < e->n; i++) {
                free(e->v[i].name);
                free(e->v[i].value);
        }
        free(e->v);
        e->v = NULL;
        e->n = 0;
}

/* cpu_quota: "150%" or 150 (percent of one CPU, 1 to 100000); 0 when absent or not that. */
static unsigned cpu_quota_of(const value *v) {
        char *end = NULL;
        unsigned long x;

        if (!v)
                return 0;
        if (v->type == V_NUMBER)
                return v->num >= 1 && v->num <= 100000 && v->num == (double) (unsigned) v->num ? (unsigned) v->num : 0;
        if (v->type != V_STRING || v->str.s[0] < '1' || v->str.s[0] > '9')
                return 0;
        errno = 0;
        x = strtoul(v->str.s, &end, 10);
        if (errno || x > 100000 || (strcmp(end, "%") != 0 && *end))
                return 0;
        return (unsigned) x;
}

static int check_health(const app *a, diag_list *dl) {
        const value *hv = get(a->decl, "health");
        const health_decl *h = &a->health;
        const char *key = h->kind == HC_URL ? "url" : h->kind == HC_TCP ? "tcp" : "cmd";
        const value *tv = get(hv, key);
        size_t bad = 0;
        const char *msg;
        int r = 0;

        if ((msg = unit_value_check(h->target, &bad))) {
                diag_error(dl, tv->where, "health.%s: %s", key, msg);
                return -EINVAL;
        }
        if (h->kind == HC_URL && health_target_check(HEALTH_URL, h->target) < 0) {
                diag_error(dl, tv->where, "health.url: expected a path such as /healthz (asked of the instance's own "
                           "socket) or http://HOST[:PORT]/PATH with HOST an IPv4 address, [IPv6] or localhost, and no "
                           "spaces, found '%s'", h->target);
                r = -EINVAL;
        }
        if (h->kind == HC_TCP && health_target_check(HEALTH_TCP, h->target) < 0) {
                diag_error(dl, tv->where, "health.tcp: expected true (the instance's own socket), a port or "
                           "\"HOST:PORT\" with HOST an IPv4 address, [IPv6] or localhost, found '%s'", h->target);
                r = -EINVAL;
        }
        if (h->interval_ms < 10 || h->interval_ms > 86400000) {
                diag_error(dl, get(hv, "interval")->where, "health.interval: expected from 10 ms to 24 h");
                r = -EINVAL;
        }
        if (h->timeout_ms < 10 || h->timeout_ms > 86400000) {
                diag_error(dl, get(hv, "timeout")->where, "health.timeout: expected from 10 ms to 24 h");
                r = -EINVAL;
        }
        if (h->start_period_ms > 86400000) {
                diag_error(dl, get(hv, "start_period")->where, "health.start_period: expected at most 24 h");
                r = -EINVAL;
        }
        return r;
}

static int check_app(const app *a, diag_list *dl) {
        size_t bad = 0;
        const char *msg;
        char cb[16];
        strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
        int r = 0;

        if (!a->name) {
                diag_error(dl, a->decl->where, "this app has no 'name' (pmgen needs one: it names the units)");
                r = -EINVAL;
        } else if ((msg = name_check(a->name, &bad))) {
                diag_error(dl, app_loc(a, "name"), "name '%s': %s, found %s", a->name, msg,
                           describe_char((unsigned char) a->name[bad], cb));
                r = -EINVAL;
        }
        if (!a->script) {
                diag_error(dl, a->decl->where, "app '%s' has no 'script'", a->name ? a->name : "?");
                r = -EINVAL;
        }
        const struct {
                const char *key;
                const char *val;
        } one_line[] = {
                { "script", a->script }, { "cwd", a->cwd }, { "interpreter", a->interpreter }, { "user", a->user },
                { "group", a->group }, { "out_file", a->out_file }, { "error_file", a->error_file },
                { "log_file", a->log_file }, { "namespace", a->namespace }, { "log_date_format", a->log_date_format },
        };
        for (size_t i = 0; i < sizeof(one_line) / sizeof(one_line[0]); i++) {
                if (!one_line[i].val)
                        continue;
                if ((msg = unit_value_check(one_line[i].val, &bad))) {
                        diag_error(dl, app_loc(a, one_line[i].key), "%s: %s", one_line[i].key, msg);
                        r = -EINVAL;
                }
        }
        const struct {
                const char *key;
                const char *val;
        } names[] = { { "user", a->user }, { "group", a->group }, { "namespace", a->namespace } };
        for (size_t i = 0; i < 3; i++) {
                if (names[i].val && !unit_value_check(names[i].val, &bad) && (msg = name_check(names[i].val, &bad))) {
                        diag_error(dl, app_loc(a, names[i].key), "%s '%s': %s, found %s", names[i].key, names[i].val,
                                   msg, describe_char((unsigned char) names[i].val[bad], cb));
                        r = -EINVAL;
                }
        }
        if (a->instance_var && (msg = env_name_check(a->instance_var, &bad))) {
                diag_error(dl, app_loc(a, "instance_var"), "instance_var '%s': %s", a->instance_var, msg);
                r = -EINVAL;
        }
        if (a->increment_var && (msg = env_name_check(a->increment_var, &bad))) {
                diag_error(dl, app_loc(a, "increment_var"), "increment_var '%s': %s", a->increment_var, msg);
                r = -EINVAL;
        }
        const value *mode = get(a->decl, "exec_mode");

        if (mode && a->mode == EXEC_UNSET) {
                diag_error(dl, mode->where, "exec_mode: expected \"fork\" or \"cluster\", found '%s'", mode->str.s);
                r = -EINVAL;
        }
        const value *sticky = get(a->decl, "sticky");

        if (sticky && sticky->type == V_STRING && strcmp(sticky->str.s, "ip") != 0 && strcmp(sticky->str.s, "none") != 0) {
                diag_error(dl, sticky->where, "sticky: expected \"ip\" or \"none\", found '%s'", sticky->str.s);
                r = -EINVAL;
        }
        static const char *const percents[] = { "cpu_quota", "max_cpu_restart" };

        for (size_t i = 0; i < 2; i++) {
                const value *cq = get(a->decl, percents[i]);

                if (cq && !cpu_quota_of(cq)) {
                        diag_error(dl, cq->where, "%s: expected a percentage such as \"150%%\" (1 to 100000), found '%s'",
                                   percents[i], cq->type == V_STRING ? cq->str.s : "?");
                        r = -EINVAL;
                }
        }
        if (get(a->decl, "max_cpu_restart_window") && a->cpu_window_ms < 1000) {
                diag_error(dl, app_loc(a, "max_cpu_restart_window"), "max_cpu_restart_window: expected 1s or more");
                r = -EINVAL;
        }
        if (a->health.kind != HC_NONE)
                r = check_health(a, dl) < 0 ? -EINVAL : r;
        const value *hl = get(a->decl, "hardening");

        if (hl && hl->type == V_STRING && strcmp(hl->str.s, "default") != 0 && strcmp(hl->str.s, "strict") != 0 &&
            strcmp(hl->str.s, "off") != 0) {
                diag_error(dl, hl->where, "hardening: expected \"default\", \"strict\" or \"off\", found '%s'",
                           hl->str.s);
                r = -EINVAL;
        }
        const value *ov = get(a->decl, "hardening_override");

        for (size_t i = 0; ov && ov->type == V_ARRAY && i < ov->arr.n; i++) {
                const value *it = ov->arr.items[i];
                const char *eq = strchr(it->str.s, '=');
                char *dir = eq ? strndup(it->str.s, (size_t) (eq - it->str.s)) : NULL;

                if (eq && !dir) {
                        r = -ENOMEM;
                        break;
                }
                if (!eq || eq == it->str.s || strpbrk(dir, " \t")) {
                        diag_error(dl, it->where, "hardening_override: expected 'Directive=value' (no spaces before "
                                   "'='), found '%s'", it->str.s);
                        r = -EINVAL;
                } else if ((msg = harden_directive_check(dir))) {
                        diag_error(dl, it->where, "hardening_override: '%s': %s", dir, msg);
                        r = -EINVAL;
                } else if ((msg = harden_value_check(eq + 1, &bad))) {
                        diag_error(dl, it->where, "hardening_override: %s: %s", dir, msg);
                        r = -EINVAL;
                }
                free(dir);
        }
        const value *after = get(a->decl, "after");

        for (size_t i = 0; after && after->type == V_ARRAY && i < after->arr.n; i++) {
                const value *it = after->arr.items[i];

                if ((msg = unit_name_check(it->str.s, &bad))) {
                        diag_error(dl, it->where, "after '%s': %s", it->str.s, msg);
                        r = -EINVAL;
                }
        }
        const value *deps = get(a->decl, "depends_on");

        for (size_t i = 0; deps && deps->type == V_ARRAY && i < deps->arr.n; i++) {
                const value *it = deps->arr.items[i];

                if (!unit_value_check(it->str.s, &bad) && (msg = name_check(it->str.s, &bad))) {
                        diag_error(dl, it->where, "depends_on '%s': %s, found %s", it->str.s, msg,
                                   describe_char((unsigned char) it->str.s[bad], cb));
                        r = -EINVAL;
                } else if ((msg = unit_value_check(it->str.s, &bad))) {
                        diag_error(dl, it->where, "depends_on: %s", msg);
                        r = -EINVAL;
                } else if (a->name && strcmp(it->str.s, a->name) == 0) {
                        diag_error(dl, it->where, "app '%s' depends on itself", a->name);
                        r = -EINVAL;
                }
        }
        const value *rw = get(a->decl, "read_write_paths");

        for (size_t i = 0; rw && rw->type == V_ARRAY && i < rw->arr.n; i++) {
                const value *it = rw->arr.items[i];

                if (!it->str.s[0]) {
                        diag_error(dl, it->where, "read_write_paths: expected a path, found an empty string");
                        r = -EINVAL;
                } else if ((msg = harden_path_check(it->str.s, &bad))) {
                        diag_error(dl, it->where, "read_write_paths '%s': %s", it->str.s, msg);
                        r = -EINVAL;
                }
        }
        if (a->cron_restart) {
                size_t col = 0;

                if (cron_to_oncalendar(a->cron_restart, &sb, &err, &col) < 0) {
                        diag_error(dl, app_loc(a, "cron_restart"), "cron_restart '%s': %s", a->cron_restart,
                                   strbuf_str(&err));
                        r = -EINVAL;
                }
        }
        strbuf_free(&sb);
        strbuf_free(&err);
        return r;
}

static int app_from(const value *v, app *a, diag_list *dl) {
        bool oom = false;
        const value *mode, *inst, *port, *codes;

        memset(a, 0, sizeof(*a));
        a->decl = v;
        a->name = dup_str(v, "name", &oom);
        a->script = dup_str(v, "script", &oom);
        list_of(v, "args", &a->args, &oom);
        a->cwd = dup_str(v, "cwd", &oom);
        a->interpreter = dup_str(v, "interpreter", &oom);
        list_of(v, "interpreter_args", &a->interpreter_args, &oom);
        mode = get(v, "exec_mode");
        if (mode) {
                const char *s = mode->str.s;

                if (strcmp(s, "fork") == 0 || strcmp(s, "fork_mode") == 0)
                        a->mode = EXEC_FORK;
                else if (strcmp(s, "cluster") == 0 || strcmp(s, "cluster_mode") == 0)
                        a->mode = EXEC_CLUSTER;
        }
        inst = get(v, "instances");
        if (inst && inst->type == V_STRING) {
                a->instances = INST_MAX;
        } else if (inst) {
                if (inst->num == 0)
                        a->instances = INST_MAX;
                else if (inst->num < 0) {
                        a->instances = INST_ALL_BUT;
                        a->instances_count = (unsigned) -inst->num;
                } else {
                        a->instances = INST_COUNT;
                        a->instances_count = (unsigned) inst->num;
                }
        }
        port = get(v, "port");
        a->port = port ? (unsigned) port->num : 0;
        a->backlog = (unsigned) num_of(v, "backlog", 0, false);
        a->user = dup_str(v, "user", &oom);
        a->group = dup_str(v, "group", &oom);
        a->autorestart = bool_of(v, "autorestart", true);
        a->autostart = bool_of(v, "autostart", true);
        a->max_restarts = (unsigned) num_of(v, "max_restarts", 16, false);
        a->min_uptime_ms = num_of(v, "min_uptime", 1000, false);
        a->restart_delay_ms = num_of(v, "restart_delay", 0, false);
        a->exp_backoff_ms = num_of(v, "exp_backoff_restart_delay", 0, false);
        a->kill_timeout_ms = num_of(v, "kill_timeout", 1600, false);
        a->listen_timeout_set = get(v, "listen_timeout") != NULL;
        a->listen_timeout_ms = num_of(v, "listen_timeout", 3000, false);
        a->wait_ready = bool_of(v, "wait_ready", false);
        a->shutdown_with_message = bool_of(v, "shutdown_with_message", false);
        a->max_memory_restart = num_of(v, "max_memory_restart", 0, true);
        a->memory_max = num_of(v, "memory_max", 0, true);
        a->cpu_quota = cpu_quota_of(get(v, "cpu_quota"));
        a->max_cpu_restart = cpu_quota_of(get(v, "max_cpu_restart"));
        a->cpu_window_ms = num_of(v, "max_cpu_restart_window", 0, false);
        const value *sticky = get(v, "sticky");

        a->sticky_ip = sticky && sticky->type == V_STRING && strcmp(sticky->str.s, "ip") == 0;
        const value *hv = get(v, "health");

        if (hv && hv->type == V_OBJECT) {
                static const char *const kinds[] = { "url", "tcp", "cmd" };

                for (size_t i = 0; i < 3; i++)
                        if (get(hv, kinds[i])) {
                                a->health.kind = (health_check_kind) (HC_URL + i);
                                a->health.target = dup_str(hv, kinds[i], &oom);
                        }
                a->health.interval_ms = num_of(hv, "interval", HEALTH_DEFAULT_INTERVAL_MS, false);
                a->health.timeout_ms = num_of(hv, "timeout", HEALTH_DEFAULT_TIMEOUT_MS, false);
                a->health.retries = (unsigned) num_of(hv, "retries", HEALTH_DEFAULT_RETRIES, false);
                a->health.start_period_ms = num_of(hv, "start_period", 0, false);
        }
        codes = get(v, "stop_exit_codes");
        if (codes) {
                a->stop_exit_codes = calloc(codes->arr.n + 1, sizeof(unsigned));
                if (!a->stop_exit_codes)
                        oom = true;
                for (size_t i = 0; a->stop_exit_codes && i < codes->arr.n; i++)
                        a->stop_exit_codes[a->n_stop_exit_codes++] = (unsigned) codes->arr.items[i]->num;
        }
        a->instance_var = dup_str(v, "instance_var", &oom);
        a->increment_var = dup_str(v, "increment_var", &oom);
        a->out_file = dup_str(v, "out_file", &oom);
        a->error_file = dup_str(v, "error_file", &oom);
        a->log_file = dup_str(v, "log_file", &oom);
        a->log_date_format = dup_str(v, "log_date_format", &oom);
        a->merge_logs = bool_of(v, "merge_logs", false);
        a->disable_logs = bool_of(v, "disable_logs", false);
        a->cron_restart = dup_str(v, "cron_restart", &oom);
        const value *w = get(v, "watch");

        if (w && w->type == V_BOOL)
                a->watch = w->b;
        else if (w) {
                a->watch = true;
                list_of(v, "watch", &a->watch_paths, &oom);
        }
        a->source_map_support = bool_of(v, "source_map_support", false) && !bool_of(v, "disable_source_map_support", false);
        a->namespace = dup_str(v, "namespace", &oom);
        const value *hl = get(v, "hardening");

        if (hl && hl->type == V_STRING)
                a->hardening = strcmp(hl->str.s, "off") == 0      ? HARDEN_OFF
                               : strcmp(hl->str.s, "strict") == 0 ? HARDEN_STRICT
                                                                  : HARDEN_DEFAULT;
        list_of(v, "hardening_override", &a->hardening_override, &oom);
        list_of(v, "read_write_paths", &a->read_write_paths, &oom);
        list_of(v, "depends_on", &a->depends_on, &oom);
        list_of(v, "after", &a->after, &oom);

        const value *e = get(v, "env");

        if (e && env_of(e, &a->env) < 0)
                oom = true;
        for (size_t i = 0; i < v->obj.n; i++)
                if (str_has_prefix(v->obj.m[i].key, "env_"))
                        a->n_profiles++;
        if (a->n_profiles) {
                a->profiles = calloc(a->n_profiles, sizeof(env_profile));
                if (!a->profiles)
                        oom = true;
                for (size_t i = 0, j = 0; a->profiles && i < v->obj.n; i++) {
                        const member *m = &v->obj.m[i];

                        if (!str_has_prefix(m->key, "env_"))
                                continue;
                        a->profiles[j].name = strdup(m->key + 4);
                        a->profiles[j].where = m->key_where;
                        if (!a->profiles[j].name || env_of(m->val, &a->profiles[j].env) < 0)
                                oom = true;
                        j++;
                }
        }
        return oom ? -ENOMEM : check_app(a, dl);
}

static void app_free(app *a) {
        free(a->name);
        free(a->script);
        strlist_free(&a->args);
        free(a->cwd);
        free(a->interpreter);
        strlist_free(&a->interpreter_args);
        env_free(&a->env);
        for (size_t i = 0; a->profiles && i < a->n_profiles; i++) {
                free(a->profiles[i].name);
                env_free(&a->profiles[i].env);
        }
        free(a->profiles);
        free(a->user);
        free(a->group);
        free(a->stop_exit_codes);
        free(a->health.target);
        free(a->instance_var);
        free(a->increment_var);
        free(a->out_file);
        free(a->error_file);
        free(a->log_file);
        free(a->cron_restart);
        strlist_free(&a->watch_paths);
        free(a->namespace);
        free(a->log_date_format);
        strlist_free(&a->hardening_override);
        strlist_free(&a->read_write_paths);
        strlist_free(&a->depends_on);
        strlist_free(&a->after);
}

void model_free(model *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->n_apps; i++)
                app_free(&m->apps[i]);
        free(m->apps);
        value_free(m->root);
        m->apps = NULL;
        m->root = NULL;
        m->n_apps = 0;
}

/* The list of apps, whatever shape the file has. */
static const value *apps_of(const value *raw, const char *file, diag_list *dl) {
        if (raw->type == V_ARRAY)
                return raw;
        if (raw->type != V_OBJECT) {
                diag_error(dl, raw->where, "expected the declaration to be an object with 'apps' or an array of apps, found %s",
                           value_type_name(raw->type));
                return NULL;
        }
        const member *apps = value_object_get(raw, "apps");

        for (size_t i = 0; i < raw->obj.n; i++) {
                const member *m = &raw->obj.m[i];

                if (strcmp(m->key, "apps") == 0)
                        continue;
                if (!apps)
                        break; /* a single app object: its keys are checked as an app's */
                if (strcmp(m->key, "deploy") == 0)
                        diag_warning(dl, m->key_where,
                                     "'deploy' is ignored here: `pmgen deploy-export` turns it into an Ansible inventory and "
                                     "playbook");
                else
                        diag_error(dl, m->key_where, "unknown top-level key '%s' (expected 'apps')", m->key);
        }
        if (!apps)
                return raw;
        if (apps->val->type != V_ARRAY && apps->val->type != V_OBJECT) {
                diag_error(dl, apps->val->where, "apps: expected an array of apps, found %s", value_type_name(apps->val->type));
                return NULL;
        }
        (void) file;
        return apps->val;
}

/* The app of the model called name, or -1. */
static long app_index(const model *m, const char *name) {
        for (size_t i = 0; i < m->n_apps; i++)
                if (m->apps[i].name && strcmp(m->apps[i].name, name) == 0)
                        return (long) i;
        return -1;
}

/* Depth-first over depends_on among the file's apps: state 0 unseen, 1 on the path, 2 done. A cycle is
 * reported once, at the entry that closes it, as "a → b → a". */
static void depends_visit(const model *m, size_t i, unsigned char *state, size_t *path, size_t depth, diag_list *dl) {
        const app *a = &m->apps[i];
        const value *deps = get(a->decl, "depends_on");

        state[i] = 1;
        path[depth] = i;
        for (size_t k = 0; k < a->depends_on.n; k++) {
                long j = app_index(m, a->depends_on.v[k]);

                if (j < 0 || (size_t) j == i) /* itself: said by check_app */
                        continue;
                if (state[j] == 1) {
                        strbuf sb = STRBUF_INIT;
                        size_t from = depth;

                        while (path[from] != (size_t) j)
                                from--;
                        for (size_t d = from; d <= depth; d++)
                                strbuf_addf(&sb, "%s → ", m->apps[path[d]].name);
                        strbuf_adds(&sb, m->apps[j].name);
                        diag_error(dl, deps->arr.items[k]->where,
                                   "depends_on makes a cycle: %s (systemd could not order these apps)", strbuf_str(&sb));
                        strbuf_free(&sb);
                } else if (state[j] == 0)
                        depends_visit(m, (size_t) j, state, path, depth + 1, dl);
        }
        state[i] = 2;
}

/* depends_on among the apps of one file: no cycle; a name that is not one of them is a warning (its
 * target may come from another declaration). */
static void check_depends(const model *m, diag_list *dl) {
        unsigned char *state = calloc(m->n_apps + 1, 1);
        size_t *path = calloc(m->n_apps + 1, sizeof(size_t));

        if (!state || !path) {
                free(state);
                free(path);
                return;
        }
        for (size_t i = 0; i < m->n_apps; i++) {
                const app *a = &m->apps[i];
                const value *deps = get(a->decl, "depends_on");

                for (size_t k = 0; k < a->depends_on.n; k++)
                        if (app_index(m, a->depends_on.v[k]) < 0 && !name_check(a->depends_on.v[k], &(size_t){ 0 }))
                                diag_warning(dl, deps->arr.items[k]->where,
                                             "depends_on '%s': no app of that name in this file; %s.target must come "
                                             "from another declaration", a->depends_on.v[k], a->depends_on.v[k]);
        }
        for (size_t i = 0; i < m->n_apps; i++)
                if (!state[i])
                        depends_visit(m, i, state, path, 0, dl);
        free(state);
        free(path);
}

int model_build(const value *raw, const char *file, model *out, diag_list *dl) {
        size_t errors = dl->errors;
        const value *apps = apps_of(raw, file, dl);
        value *root = NULL, *arr = NULL;
        model m = MODEL_INIT;
        int r = 0;

        if (!apps)
                return -EINVAL;
        root = value_new(V_OBJECT, raw->where);
        arr = value_new(V_ARRAY, apps->where);
        if (!root || !arr || value_object_set(root, "apps", apps->where, arr) < 0) {
                value_free(root);
                return -ENOMEM;
        }
        size_t n = apps->type == V_ARRAY ? apps->arr.n : 1;

        for (size_t i = 0; i < n; i++) {
                value *app_v = NULL;

                r = normalize_app(apps->type == V_ARRAY ? apps->arr.items[i] : apps, dl, &app_v);
                if (r == -ENOMEM)
                        goto fail;
                if (r == 0 && value_array_push(arr, app_v) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        if (dl->errors > errors) {
                r = -EINVAL;
                goto fail;
        }
        m.root = root;
        m.apps = calloc(arr->arr.n + 1, sizeof(app));
        if (!m.apps) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t i = 0; i < arr->arr.n; i++) {
                r = app_from(arr->arr.items[i], &m.apps[i], dl);
                m.n_apps++;
                if (r == -ENOMEM)
                        goto fail_model;
        }
        for (size_t i = 0; i < m.n_apps; i++)
                for (size_t j = 0; j < i; j++)
                        if (m.apps[i].name && m.apps[j].name && strcmp(m.apps[i].name, m.apps[j].name) == 0) {
                                loc first = app_loc(&m.apps[j], "name");

                                diag_error(dl, app_loc(&m.apps[i], "name"), "app '%s' is declared twice (first at line %u)",
                                           m.apps[i].name, first.line);
                        }
        check_depends(&m, dl);
        if (dl->errors > errors) {
                r = -EINVAL;
                goto fail_model;
        }
        *out = m;
        return 0;
fail_model:
        model_free(&m);
        return r;
fail:
        value_free(root);
        return r;
}

/* ---- shared parsers ----------------------------------------------------------------------- */

static int parse_scaled(const char *s, const char *suffixes, const uint64_t *mult, uint64_t *ret) {
        char *end = NULL;
        unsigned long long x;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        x = strtoull(s, &end, 10);
        if (errno)
                return -EINVAL;
        if (*end) {
                const char *p = strchr(suffixes, *end);

                if (!p || end[1])
                        return -EINVAL;
                uint64_t f = mult[p - suffixes];

                if (x > UINT64_MAX / f)
                        return -EINVAL;
                x *= f;
        }
        *ret = x;
        return 0;
}

int parse_duration_ms(const char *s, uint64_t *ret) {
        static const uint64_t mult[] = { 1000, 60000, 3600000 };

        return parse_scaled(s, "smh", mult, ret);
}

int parse_size(const char *s, uint64_t *ret) {
        static const uint64_t mult[] = { 1024, 1024 * 1024, 1024 * 1024 * 1024, 1024, 1024 * 1024, 1024 * 1024 * 1024 };

        return parse_scaled(s, "KMGkmg", mult, ret);
}

void strlist_free(strlist *l) {
        if (!l || !l->v)
                return;
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

/* PM2 (lib/Common.js): args.match(/[^\s"'=]+="[^"]*"|[^\s"'=]+='[^']*'|"([^"]*)"|'([^']*)'|\S+/g),
 * then a word wholly in quotes loses them. */
int split_args_pm2(const char *s, strlist *out) {
        size_t cap = 8;
        strlist l = { calloc(cap + 1, sizeof(char *)), 0 };
        const char *p = s;

        if (!l.v)
                return -ENOMEM;
        while (*p) {
                const char *start, *end = NULL;
                size_t strip = 0;

                p += strspn(p, " \t\n\r\f\v");
                if (!*p)
                        break;
                start = p;
                /* [^\s"'=]+=("…"|'…') */
                size_t k = strcspn(p, " \t\n\r\f\v\"'=");

                if (k > 0 && p[k] == '=' && (p[k + 1] == '"' || p[k + 1] == '\'')) {
                        const char *close = strchr(p + k + 2, p[k + 1]);

                        if (close)
                                end = close + 1;
                }
                if (!end && (*p == '"' || *p == '\'')) {
                        const char *close = strchr(p + 1, *p);

                        if (close) {
                                end = close + 1;
                                strip = 1;
                        }
                }
                if (!end)
                        end = p + strcspn(p, " \t\n\r\f\v");
                if (l.n == cap) {
                        char **nv = realloc(l.v, (cap * 2 + 1) * sizeof(char *));

                        if (!nv) {
                                strlist_free(&l);
                                return -ENOMEM;
                        }
                        l.v = nv;
                        cap *= 2;
                }
                l.v[l.n] = xstrndup(start + strip, (size_t) (end - start) - 2 * strip);
                if (!l.v[l.n]) {
                        strlist_free(&l);
                        return -ENOMEM;
                }
                l.n++;
                p = end;
        }
        *out = l;
        return 0;
}
