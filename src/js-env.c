/* SPDX-License-Identifier: MIT */
/* process.env as an ecosystem file sees it when it runs: pmgen's environment,
 * plus what dotenv's config() loaded from .env files (never over a variable that
 * is already set, unless override), and the copy `{ ...process.env }` makes,
 * cut down to the variables the file names. */
#include "js-eval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "js-dotenv.h"
#include "js-path.h"

#define SPREAD_SHOWN 8 /* names listed in the warning about ...process.env */

/* ---- the map ---- */

static uint32_t hash_str(const char *s) {
        uint32_t h = 2166136261u;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 16777619u;
        return h;
}

static js_envvar *map_find(const js_envmap *m, const char *name) {
        if (m->hashcap == 0)
                return NULL;
        for (size_t h = hash_str(name) & (m->hashcap - 1);; h = (h + 1) & (m->hashcap - 1)) {
                uint32_t k = m->hash[h];

                if (k == 0)
                        return NULL;
                if (strcmp(m->v[k - 1].name, name) == 0)
                        return &m->v[k - 1];
        }
}

static void hash_put(js_envmap *m, size_t index) {
        for (size_t h = hash_str(m->v[index].name) & (m->hashcap - 1);; h = (h + 1) & (m->hashcap - 1))
                if (m->hash[h] == 0) {
                        m->hash[h] = (uint32_t) index + 1;
                        return;
                }
}

/* Sets name to value (a copy; NULL for a plain set). replace: also when present. */
static int map_set(js_envmap *m, const char *name, const char *val, size_t len, bool replace) {
        js_envvar *e = map_find(m, name);
        char *copy = NULL;

        if (e && !replace)
                return 0;
        if (val && !(copy = xstrndup(val, len)))
                return -ENOMEM;
        if (e) {
                free(e->value);
                e->value = copy;
                e->len = len;
                return 0;
        }
        if ((m->n + 1) * 2 > m->hashcap) {
                size_t cap = m->hashcap ? m->hashcap * 2 : 32;
                uint32_t *h = calloc(cap, sizeof(*h));

                if (!h) {
                        free(copy);
                        return -ENOMEM;
                }
                free(m->hash);
                m->hash = h;
                m->hashcap = cap;
                for (size_t i = 0; i < m->n; i++)
                        hash_put(m, i);
        }
        if (m->n == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 16;
                js_envvar *v = realloc(m->v, cap * sizeof(*v));

                if (!v) {
                        free(copy);
                        return -ENOMEM;
                }
                m->v = v;
                m->cap = cap;
        }
        m->v[m->n] = (js_envvar) { .name = strdup(name), .value = copy, .len = len };
        if (!m->v[m->n].name) {
                free(copy);
                return -ENOMEM;
        }
        hash_put(m, m->n++);
        return 0;
}

int js_envmap_add(js_envmap *m, const char *name, size_t len) {
        char *n = xstrndup(name, len);
        int r;

        if (!n)
                return -ENOMEM;
        r = map_set(m, n, NULL, 0, false);
        free(n);
        return r;
}

void js_envmap_free(js_envmap *m) {
        for (size_t i = 0; i < m->n; i++) {
                free(m->v[i].name);
                free(m->v[i].value);
        }
        free(m->v);
        free(m->hash);
        *m = (js_envmap) { 0 };
}

/* ---- process.env ---- */

const char *js_env_get(const js_eval *ev, const char *name, size_t *len) {
        const js_envvar *e = map_find(&ev->dotenv, name);
        const char *s;

        if (e) {
                *len = e->len;
                return e->value;
        }
        s = ev->host->getenv ? ev->host->getenv(ev->host->userdata, name) : NULL;
        if (s)
                *len = strlen(s);
        return s;
}

/* dotenv's parseBoolean() for DOTENV_CONFIG_OVERRIDE. */
static bool parse_boolean(const char *s) {
        static const char *const no[] = { "false", "0", "no", "off", "" };

        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return false;
        return true;
}

typedef struct load {
        js_envmap *parsed;
        bool override;
} load;

static int add_parsed(void *userdata, const char *key, const char *val, size_t len) {
        load *l = userdata;

        return map_set(l->parsed, key, val, len, l->override);
}

/* The file dotenv would read for p: '~' is the home directory (dotenv's
 * _resolveHome); a relative path is taken from the declaration's directory. */
static char *dotenv_file(js_eval *ev, js_str p, loc where) {
        strbuf dir = STRBUF_INIT, out = STRBUF_INIT, home = STRBUF_INIT;
        js_str base;
        char *file;

        if (p.len > 0 && p.s[0] == '~') {
                js_str parts[2];

                if (!ev->host->homedir) {
                        js_error(ev, where, "found a dotenv path starting with '~', but the home directory is unknown; "
                                 "expected an absolute path");
                        return NULL;
                }
                parts[0] = (js_str) { ev->host->homedir, strlen(ev->host->homedir) };
                parts[1] = (js_str) { p.s + 1, p.len - 1 };
                js_path_join(parts, 2, &home);
                p = (js_str) { strbuf_str(&home), home.len };
        }
        js_path_dirname((js_str) { ev->abs_file, strlen(ev->abs_file) }, &dir);
        base = (js_str) { strbuf_str(&dir), dir.len };
        js_path_resolve(&p, 1, base, &out);
        if (dir.oom || home.oom)
                out.oom = true;
        strbuf_free(&dir);
        strbuf_free(&home);
        file = out.oom ? NULL : strbuf_steal(&out);
        strbuf_free(&out);
        if (!file)
                js_oom(ev);
        return file;
}

/* Reads one .env file into l->parsed. A missing file is a warning, as dotenv
 * ignores it; any other failure is an error. */
static void load_file(js_eval *ev, const char *file, load *l, loc where) {
        char *text = NULL;
        size_t len = 0;
        unsigned line = 0, col = 0;
        int r = ev->host->read_file ? ev->host->read_file(ev->host->userdata, file, &text, &len) : -ENOENT;

        if (r == -ENOENT || r == -ENOTDIR) {
                js_warning(ev, where, "dotenv: no file %s (ignored, as dotenv does)", file);
                return;
        }
        if (r < 0) {
                if (r == -ENOMEM)
                        js_oom(ev);
                else
                        js_error(ev, where, "dotenv: cannot read %s: %s", file, strerror(-r));
                return;
        }
        if (js_charge(ev, len, where)) {
                r = dotenv_parse(text, len, add_parsed, l, &line, &col);
                if (r == -EINVAL)
                        js_error(ev, where, "dotenv: %s:%u:%u: found a NUL byte, expected text", file, line, col);
                else if (r < 0)
                        js_oom(ev);
        }
        free(text);
}

/* options.path: a string or an array of strings; *ret borrows from v. */
static bool dotenv_paths(js_eval *ev, const value *v, loc where, js_str **ret, size_t *n) {
        size_t count = v->type == V_ARRAY ? v->arr.n : 1;
        js_str *p;

        if (v->type != V_STRING && v->type != V_ARRAY) {
                js_error(ev, where, "found %s as dotenv's path, expected a string or an array of strings",
                         value_type_name(v->type));
                return false;
        }
        for (size_t i = 0; v->type == V_ARRAY && i < v->arr.n; i++)
                if (v->arr.items[i]->type != V_STRING) {
                        js_error(ev, v->arr.items[i]->where, "found %s in dotenv's path, expected a string",
                                 value_type_name(v->arr.items[i]->type));
                        return false;
                }
        p = calloc(count ? count : 1, sizeof(*p));
        if (!p) {
                js_oom(ev);
                return false;
        }
        for (size_t i = 0; i < count; i++) {
                const value *s = v->type == V_ARRAY ? v->arr.items[i] : v;

                p[i] = (js_str) { s->str.s, s->str.len };
        }
        *ret = p;
        *n = count;
        return true;
}

/* An option dotenv has and pmgen cannot follow: an error when it is on
 * (dotenv reads processEnv when it is not null, the others with parseBoolean). */
static bool option_off(js_eval *ev, const value *o, const char *name, const char *why) {
        const member *m = value_object_get(o, name);
        const value *v = m ? m->val : NULL;
        char what[160];
        bool on;

        if (!v)
                return true;
        if (strcmp(name, "processEnv") == 0)
                on = v->type != V_UNDEFINED && v->type != V_NULL;
        else
                on = v->type == V_STRING ? parse_boolean(v->str.s) : js_truthy(v);
        if (!on)
                return true;
        snprintf(what, sizeof(what), "dotenv's %s option (%s)", name, why);
        js_unsupported(ev, m->key_where, what);
        return false;
}

/* What config() returns: { parsed: { KEY: 'value', … } } (dotenv also sets error
 * when a file could not be read; pmgen reports that instead). require('dotenv/config')
 * gives the module's exports, {}. */
static jsval config_result(js_eval *ev, const js_envmap *parsed, bool module, loc start) {
        value *r = value_new(V_OBJECT, start), *obj = module ? NULL : value_new(V_OBJECT, start);

        if (!r || (!module && !obj)) {
                value_free(r);
                value_free(obj);
                return jv_of(ev, NULL);
        }
        for (size_t i = 0; obj && parsed && i < parsed->n; i++) {
                const js_envvar *e = &parsed->v[i];

                if (!js_charge(ev, e->len + strlen(e->name), start)) {
                        value_free(r);
                        value_free(obj);
                        return jv_err();
                }
                if (value_object_set(obj, e->name, start, value_new_string(e->value, e->len, start)) < 0) {
                        value_free(r);
                        value_free(obj);
                        return jv_of(ev, NULL);
                }
        }
        if (obj && value_object_set(r, "parsed", start, obj) < 0) {
                value_free(r);
                return jv_of(ev, NULL);
        }
        return jv_of(ev, r);
}

jsval js_dotenv_config(js_eval *ev, bool module, const jsval *args, const loc *argw, size_t n, loc start) {
        js_envmap parsed = { 0 };
        load l = { .parsed = &parsed };
        js_str *paths = NULL, dflt = { ".env", 4 };
        size_t npaths = 1, len;
        const value *o = NULL;
        const member *m;
        const char *e;
        bool ok = true;
        jsval result;

        ev->dotenv_calls++;
        if (module && ev->dotenv_config_loaded)
                return config_result(ev, NULL, true, start); /* a module loads once */
        if ((e = js_env_get(ev, "DOTENV_CONFIG_PATH", &len)) && len > 0)
                dflt = (js_str) { e, len };
        if ((e = js_env_get(ev, "DOTENV_CONFIG_OVERRIDE", &len)))
                l.override = parse_boolean(e);
        if (!module && n > 0) {
                if (args[0].kind == JV_ERROR)
                        return jv_err();
                if (args[0].kind == JV_VALUE && args[0].v->type == V_OBJECT)
                        o = args[0].v;
                else if (!(args[0].kind == JV_VALUE && (args[0].v->type == V_UNDEFINED || args[0].v->type == V_NULL))) {
                        char buf[64];

                        js_error(ev, argw[0], "found %s, expected an object of options for dotenv's config()",
                                 js_describe(&args[0], buf));
                        return jv_err();
                }
        }
        if (o) {
                if ((m = value_object_get(o, "path"))) {
                        dflt = (js_str) { ".env", 4 };
                        if (js_truthy(m->val))
                                ok = dotenv_paths(ev, m->val, m->val->where, &paths, &npaths);
                }
                if ((m = value_object_get(o, "override")))
                        l.override = js_truthy(m->val);
                if ((m = value_object_get(o, "encoding")) && js_truthy(m->val) &&
                    !(m->val->type == V_STRING &&
                      (!strcasecmp(m->val->str.s, "utf8") || !strcasecmp(m->val->str.s, "utf-8")))) {
                        js_unsupported(ev, m->key_where, "a dotenv encoding other than UTF-8");
                        ok = false;
                }
                ok = option_off(ev, o, "processEnv", "it loads into another object") && ok;
                ok = option_off(ev, o, "fast", "another parser") && ok;
                ok = option_off(ev, o, "secure", "it needs dotenvx") && ok;
        }
        if (!ok || ev->dead || ev->suppress) {
                free(paths);
                return ok ? config_result(ev, NULL, module, start) : jv_err();
        }
        if (module)
                ev->dotenv_config_loaded = true;
        for (size_t i = 0; i < npaths && !ev->fatal; i++) {
                char *file = dotenv_file(ev, paths ? paths[i] : dflt, start);

                if (file)
                        load_file(ev, file, &l, start);
                free(file);
        }
        /* populate(process.env, parsed): a variable that is set stays, unless override */
        for (size_t i = 0; i < parsed.n && !ev->fatal; i++)
                if ((l.override || !js_env_get(ev, parsed.v[i].name, &len)) &&
                    map_set(&ev->dotenv, parsed.v[i].name, parsed.v[i].value, parsed.v[i].len, true) < 0)
                        js_oom(ev);
        result = ev->fatal ? jv_err() : config_result(ev, &parsed, module, start);
        js_envmap_free(&parsed);
        free(paths);
        return result;
}

/* ---- { ...process.env } ---- */

void js_env_spread(js_eval *ev, value *obj, loc where) {
        strbuf names = STRBUF_INIT;
        size_t copied = 0, len;
        char buf[72];

        for (size_t i = 0; i < ev->env_refs.n && !ev->fatal; i++) {
                const char *name = ev->env_refs.v[i].name, *s = js_env_get(ev, name, &len);

                if (!s || !js_charge(ev, len + strlen(name), where))
                        continue;
                if (value_object_set(obj, name, where, value_new_string(s, len, where)) < 0) {
                        js_oom(ev);
                        break;
                }
                if (copied++ < SPREAD_SHOWN)
                        strbuf_addf(&names, "%s%s", copied > 1 ? ", " : "", js_shown(name, buf));
        }
        if (copied > SPREAD_SHOWN)
                strbuf_addf(&names, " and %zu more", copied - SPREAD_SHOWN);
        if (names.oom)
                js_oom(ev);
        js_warning(ev, where, "'...process.env' copies the compile-time environment into the unit; pmgen copies only "
                   "the variables this file references: %s", copied ? strbuf_str(&names) : "none");
        strbuf_free(&names);
}
