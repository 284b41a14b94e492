/* SPDX-License-Identifier: MIT */
/* The first half of model_build (model.h): one app object of either front end, normalized. Every key is
 * checked against keys.c's table (unknown keys are errors with a did-you-mean, ignored keys warn,
 * rejected ones are errors), INI's untyped text is coerced to the type the key wants, and aliases become
 * the canonical names, in a canonical order. */
#include "model-internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
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

int normalize_app(const value *raw, diag_list *dl, value **ret) {
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
