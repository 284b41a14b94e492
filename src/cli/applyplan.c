/* SPDX-License-Identifier: MIT */
#include "applyplan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "write.h"

void applyplan_value_text(const value *v, strbuf *out) {
        char buf[VALUE_NUMBER_BUF];

        switch (v->type) {
        case V_STRING:
                strbuf_add(out, v->str.s, v->str.len);
                break;
        case V_NUMBER:
                strbuf_adds(out, value_number_to_string(v->num, buf));
                break;
        case V_BOOL:
                strbuf_adds(out, v->b ? "true" : "false");
                break;
        case V_ARRAY:
                for (size_t i = 0; i < v->arr.n; i++) {
                        if (i)
                                strbuf_addc(out, ' ');
                        if (v->arr.items[i]->type == V_STRING || v->arr.items[i]->type == V_NUMBER ||
                            v->arr.items[i]->type == V_BOOL)
                                applyplan_value_text(v->arr.items[i], out);
                        else
                                value_to_json(v->arr.items[i], out, 0);
                }
                if (v->arr.n == 0)
                        strbuf_adds(out, "[]");
                break;
        default:
                value_to_json(v, out, 0);
                break;
        }
}

/* ---- attributes ---------------------------------------------------------------------------- */

typedef struct attr {
        const char *section; /* NULL for the app's keys, "env" (or "env_x") for variables, "health" */
        const char *key;
        const value *val;
} attr;

typedef struct attrs {
        attr *v;
        size_t n;
} attrs;

static int flatten(const value *obj, attrs *ret) {
        attrs a = { 0 };

        for (size_t i = 0; obj && i < obj->obj.n; i++) {
                const member *m = &obj->obj.m[i];
                size_t k = m->val->type == V_OBJECT ? m->val->obj.n : 1;
                attr *nv;

                if (strcmp(m->key, "name") == 0 || strcmp(m->key, "instances") == 0)
                        continue;
                nv = realloc(a.v, (a.n + k + 1) * sizeof(attr));
                if (!nv) {
                        free(a.v);
                        return -ENOMEM;
                }
                a.v = nv;
                if (m->val->type == V_OBJECT)
                        for (size_t j = 0; j < m->val->obj.n; j++)
                                a.v[a.n++] = (attr){ m->key, m->val->obj.m[j].key, m->val->obj.m[j].val };
                else
                        a.v[a.n++] = (attr){ NULL, m->key, m->val };
        }
        *ret = a;
        return 0;
}

static bool same_name(const attr *x, const attr *y) {
        if (!x->section != !y->section)
                return false;
        if (x->section && strcmp(x->section, y->section) != 0)
                return false;
        return strcmp(x->key, y->key) == 0;
}

static bool same_value(const value *x, const value *y) {
        strbuf a = STRBUF_INIT, b = STRBUF_INIT;
        bool r;

        value_to_json(x, &a, 0);
        value_to_json(y, &b, 0);
        r = !a.oom && !b.oom && a.len == b.len && memcmp(strbuf_str(&a), strbuf_str(&b), a.len) == 0;
        strbuf_free(&a);
        strbuf_free(&b);
        return r;
}

static char *text_of(const value *v) {
        strbuf sb = STRBUF_INIT;

        applyplan_value_text(v, &sb);
        return strbuf_steal(&sb);
}

static int add_attr(app_change *c, const attr *x, const attr *old, const attr *new) {
        attr_change *nv = realloc(c->attrs, (c->n_attrs + 1) * sizeof(attr_change));
        attr_change *a;
        strbuf key = STRBUF_INIT;

        if (!nv)
                return -ENOMEM;
        c->attrs = nv;
        a = &c->attrs[c->n_attrs];
        *a = (attr_change){ 0 };
        if (x->section)
                strbuf_addf(&key, "%s.%s", x->section, x->key);
        else
                strbuf_adds(&key, x->key);
        a->key = strbuf_steal(&key);
        a->secret = x->section != NULL && strcmp(x->section, "health") != 0; /* env and env_*: variables */
        if (!a->key)
                return -ENOMEM;
        c->n_attrs++;
        if (!a->secret) {
                if (old && !(a->old_text = text_of(old->val)))
                        return -ENOMEM;
                if (new && !(a->new_text = text_of(new->val)))
                        return -ENOMEM;
        } else {
                /* Never the values: only whether the variable was there. */
                if (old && !(a->old_text = strdup("")))
                        return -ENOMEM;
                if (new && !(a->new_text = strdup("")))
                        return -ENOMEM;
        }
        return 0;
}

static int diff_attrs(const value *old_app, const value *new_app, app_change *c) {
        attrs o = { 0 }, n = { 0 };
        int r = flatten(old_app, &o);

        if (r == 0)
                r = flatten(new_app, &n);
        for (size_t i = 0; r == 0 && i < n.n; i++) {
                const attr *match = NULL;

                for (size_t j = 0; j < o.n && !match; j++)
                        if (same_name(&o.v[j], &n.v[i]))
                                match = &o.v[j];
                if (!match)
                        r = add_attr(c, &n.v[i], NULL, &n.v[i]);
                else if (!same_value(match->val, n.v[i].val))
                        r = add_attr(c, &n.v[i], match, &n.v[i]);
        }
        for (size_t j = 0; r == 0 && j < o.n; j++) {
                bool found = false;

                for (size_t i = 0; i < n.n && !found; i++)
                        found = same_name(&o.v[j], &n.v[i]);
                if (!found)
                        r = add_attr(c, &o.v[j], &o.v[j], NULL);
        }
        free(o.v);
        free(n.v);
        /* The app's own keys first, then its variables (each group in declaration order). */
        for (size_t i = 1; r == 0 && i < c->n_attrs; i++)
                for (size_t j = i; j > 0 && c->attrs[j - 1].secret && !c->attrs[j].secret; j--) {
                        attr_change t = c->attrs[j];

                        c->attrs[j] = c->attrs[j - 1];
                        c->attrs[j - 1] = t;
                }
        return r;
}

/* ---- units ---------------------------------------------------------------------------------- */

static const out_file *unit_get(const app_snap *s, const char *name) {
        for (size_t i = 0; s && i < s->n_units; i++)
                if (!s->units[i].symlink && strcmp(s->units[i].name, name) == 0)
                        return &s->units[i];
        return NULL;
}

/* Unit texts compare equal when only the [X-PMGEN] Instances= line differs: the
 * instance count is the target's business, a scaled app does not restart. */
static bool units_equal(const char *a, const char *b) {
        while (*a || *b) {
                size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

                if (str_has_prefix(a, "Instances=") && str_has_prefix(b, "Instances="))
                        ;
                else if (la != lb || memcmp(a, b, la) != 0)
                        return false;
                a += la + (a[la] == '\n');
                b += lb + (b[lb] == '\n');
        }
        return true;
}

int applyplan_strv_push(char ***v, const char *s) {
        size_t n = 0;
        char **nv;

        while (*v && (*v)[n])
                n++;
        nv = realloc(*v, (n + 2) * sizeof(char *));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        if (!(nv[n] = strdup(s)))
                return -ENOMEM;
        nv[n + 1] = NULL;
        return 0;
}

static bool is_instance_file(const char *unit, const char *name) {
        size_t n = strlen(name);

        if (strncmp(unit, name, n) != 0)
                return false;
        return strcmp(unit + n, "@.service") == 0 || strcmp(unit + n, ".env") == 0 || strcmp(unit + n, "@.socket") == 0 ||
               strcmp(unit + n, ".target") == 0;
}

static int diff_units(const app_snap *o, const app_snap *n, app_change *c) {
        int r = 0;

        for (size_t i = 0; i < n->n_units && r == 0; i++) {
                const out_file *nf = &n->units[i], *of;

                if (nf->symlink)
                        continue;
                of = unit_get(o, nf->name);
                if (is_instance_file(nf->name, n->name)) {
                        bool differs = !of || !units_equal(of->content, nf->content);

                        if (!differs || str_has_suffix(nf->name, ".target"))
                                continue;
                        c->restart = true;
                        if (str_has_suffix(nf->name, "@.socket"))
                                c->replace_sockets = true;
                        continue;
                }
                if (of && !units_equal(of->content, nf->content) &&
                    (str_has_suffix(nf->name, ".timer") || str_has_suffix(nf->name, ".path")))
                        r = applyplan_strv_push(&c->restart_units, nf->name);
        }
        for (size_t i = 0; i < o->n_units && r == 0; i++) {
                const out_file *of = &o->units[i];

                if (of->symlink || unit_get(n, of->name))
                        continue;
                if (is_instance_file(of->name, o->name)) {
                        if (str_has_suffix(of->name, "@.socket"))
                                c->replace_sockets = c->restart = true;
                        continue;
                }
                if (!str_has_suffix(of->name, ".env"))
                        r = applyplan_strv_push(&c->stop_units, of->name);
        }
        return r;
}

/* ---- the plan ------------------------------------------------------------------------------- */

static int add_change(apply_plan *p, const app_snap *o, const app_snap *n) {
        app_change *nv = realloc(p->v, (p->n + 1) * sizeof(app_change)), *c;
        int r = 0;

        if (!nv)
                return -ENOMEM;
        p->v = nv;
        c = &p->v[p->n];
        *c = (app_change){ 0 };
        c->name = strdup(n ? n->name : o->name);
        if (!c->name)
                return -ENOMEM;
        p->n++;
        c->old_instances = o ? o->instances : 0;
        c->new_instances = n ? n->instances : 0;
        c->old_socket = o && o->socket;
        c->new_socket = n && n->socket;
        c->autostart = n ? n->autostart : o->autostart;
        c->min_uptime_ms = n ? n->min_uptime_ms : o->min_uptime_ms;
        if (!o) {
                c->kind = CHANGE_ADDED;
                return 0;
        }
        if (!n) {
                c->kind = CHANGE_REMOVED;
                return 0;
        }
        r = diff_attrs(o->decl, n->decl, c);
        if (r == 0)
                r = diff_units(o, n, c);
        if (r < 0)
                return r;
        if (c->n_attrs > 0)
                c->kind = CHANGE_CHANGED;
        else if (c->old_instances != c->new_instances)
                c->kind = CHANGE_SCALED;
        else
                c->kind = c->restart || c->restart_units || c->stop_units ? CHANGE_CHANGED : CHANGE_UNCHANGED;
        return 0;
}

int applyplan_build(const app_snap *old_apps, size_t n_old, const app_snap *new_apps, size_t n_new, apply_plan *ret) {
        apply_plan p = { 0 };
        int r = 0;

        for (size_t i = 0; i < n_new && r == 0; i++) {
                const app_snap *o = NULL;

                for (size_t j = 0; j < n_old && !o; j++)
                        if (strcmp(old_apps[j].name, new_apps[i].name) == 0)
                                o = &old_apps[j];
                r = add_change(&p, o, &new_apps[i]);
        }
        for (size_t j = 0; j < n_old && r == 0; j++) {
                bool found = false;

                for (size_t i = 0; i < n_new && !found; i++)
                        found = strcmp(old_apps[j].name, new_apps[i].name) == 0;
                if (!found)
                        r = add_change(&p, &old_apps[j], NULL);
        }
        if (r < 0) {
                applyplan_free(&p);
                return r;
        }
        *ret = p;
        return 0;
}

static void strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

void applyplan_free(apply_plan *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++) {
                app_change *c = &p->v[i];

                for (size_t k = 0; k < c->n_attrs; k++) {
                        free(c->attrs[k].key);
                        free(c->attrs[k].old_text);
                        free(c->attrs[k].new_text);
                }
                free(c->attrs);
                free(c->name);
                strv_free(c->restart_units);
                strv_free(c->stop_units);
        }
        free(p->v);
        memset(p, 0, sizeof(*p));
}

bool applyplan_is_noop(const apply_plan *p) {
        for (size_t i = 0; i < p->n; i++)
                if (p->v[i].kind != CHANGE_UNCHANGED)
                        return false;
        return true;
}

static const char *plural(unsigned n) {
        return n == 1 ? "" : "s";
}

void applyplan_render(const apply_plan *p, strbuf *out) {
        for (size_t i = 0; i < p->n; i++) {
                const app_change *c = &p->v[i];

                switch (c->kind) {
                case CHANGE_ADDED:
                        strbuf_addf(out, "  + %s: added, %u instance%s%s\n", c->name, c->new_instances, plural(c->new_instances),
                                    c->autostart ? "" : " (autostart is false: not started)");
                        break;
                case CHANGE_REMOVED:
                        strbuf_addf(out, "  - %s: removed, its %u instance%s stop%s\n", c->name, c->old_instances,
                                    plural(c->old_instances), c->old_instances == 1 ? "s" : "");
                        break;
                case CHANGE_SCALED:
                        strbuf_addf(out, "  ~ %s: scaled %u → %u\n", c->name, c->old_instances, c->new_instances);
                        break;
                case CHANGE_UNCHANGED:
                        strbuf_addf(out, "    %s: unchanged\n", c->name);
                        break;
                case CHANGE_CHANGED: {
                        unsigned keep = c->old_instances < c->new_instances ? c->old_instances : c->new_instances;

                        strbuf_addf(out, "  ~ %s: changed", c->name);
                        if (c->restart && keep)
                                strbuf_addf(out, ", %u instance%s restart%s one at a time%s", keep, plural(keep),
                                            keep == 1 ? "s" : "", c->replace_sockets ? " (with new sockets)" : "");
                        else if (!c->restart && !c->restart_units && !c->stop_units)
                                strbuf_adds(out, " (no unit changes: nothing restarts)");
                        strbuf_addc(out, '\n');
                        for (size_t k = 0; k < c->n_attrs; k++) {
                                const attr_change *a = &c->attrs[k];

                                if (a->secret)
                                        strbuf_addf(out, "        %s: %s\n", a->key,
                                                    !a->old_text ? "added" : !a->new_text ? "removed" : "changed");
                                else
                                        strbuf_addf(out, "        %s: %s → %s\n", a->key, a->old_text ? a->old_text : "(unset)",
                                                    a->new_text ? a->new_text : "(unset)");
                        }
                        if (c->old_instances != c->new_instances)
                                strbuf_addf(out, "        instances: %u → %u\n", c->old_instances, c->new_instances);
                        for (size_t k = 0; c->restart_units && c->restart_units[k]; k++)
                                strbuf_addf(out, "        restart %s\n", c->restart_units[k]);
                        for (size_t k = 0; c->stop_units && c->stop_units[k]; k++)
                                strbuf_addf(out, "        stop %s\n", c->stop_units[k]);
                        break;
                }
                }
        }
}

/* ---- JSON ------------------------------------------------------------------------------------ */

void app_outcomes_free(app_outcome *o, size_t n) {
        for (size_t i = 0; o && i < n; i++) {
                strv_free(o[i].restarted);
                strv_free(o[i].started);
                strv_free(o[i].stopped);
                free(o[i].before);
                free(o[i].after);
        }
        free(o);
}

const char *applyplan_action(change_kind k) {
        switch (k) {
        case CHANGE_ADDED:
                return "created";
        case CHANGE_REMOVED:
                return "removed";
        case CHANGE_CHANGED:
        case CHANGE_SCALED:
                return "updated";
        case CHANGE_UNCHANGED:
        default:
                return "unchanged";
        }
}

void applyplan_units_text(const out_file *f, size_t n, strbuf *out) {
        for (size_t i = 0; i < n; i++) {
                if (f[i].symlink) {
                        strbuf_addf(out, "# %s -> %s\n", f[i].name, f[i].content);
                        continue;
                }
                strbuf_addf(out, "# %s\n", f[i].name);
                if (!str_has_suffix(f[i].name, ".env")) {
                        strbuf_adds(out, f[i].content);
                        if (f[i].content[0] && !str_has_suffix(f[i].content, "\n"))
                                strbuf_addc(out, '\n');
                        continue;
                }
                for (const char *p = f[i].content; *p;) {
                        size_t len = strcspn(p, "\n"), key = strcspn(p, "=\n");

                        if (p[0] == '#' || key == len)
                                strbuf_add(out, p, len);
                        else {
                                strbuf_add(out, p, key);
                                strbuf_adds(out, "=(hidden)");
                        }
                        strbuf_addc(out, '\n');
                        p += len + (p[len] == '\n');
                }
        }
}

static void json_str(strbuf *out, const char *s) {
        if (s)
                json_escape(out, s, strlen(s));
        else
                strbuf_adds(out, "null");
}

static void json_strv(strbuf *out, const char *key, char *const *v) {
        strbuf_addf(out, ",\"%s\":[", key);
        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        strbuf_addc(out, ',');
                json_str(out, v[i]);
        }
        strbuf_addc(out, ']');
}

/* Instances [from, to) of an app as "name@i" strings. */
static void json_range(strbuf *out, const char *key, const char *name, unsigned from, unsigned to) {
        strbuf_addf(out, ",\"%s\":[", key);
        for (unsigned i = from; i < to; i++) {
                strbuf sb = STRBUF_INIT;

                strbuf_addf(&sb, "%s@%u", name, i);
                if (i > from)
                        strbuf_addc(out, ',');
                json_str(out, strbuf_str(&sb));
                strbuf_free(&sb);
        }
        strbuf_addc(out, ']');
}

static void json_count(strbuf *out, unsigned n, bool present) {
        if (present)
                strbuf_addf(out, "%u", n);
        else
                strbuf_adds(out, "null");
}

void applyplan_render_json(const apply_plan *p, const app_outcome *outcomes, strbuf *out) {
        strbuf_addc(out, '[');
        for (size_t i = 0; i < p->n; i++) {
                const app_change *c = &p->v[i];
                const app_outcome *o = outcomes ? &outcomes[i] : NULL;
                unsigned keep = c->old_instances < c->new_instances ? c->old_instances : c->new_instances;
                bool has_old = c->kind != CHANGE_ADDED, has_new = c->kind != CHANGE_REMOVED;

                strbuf_adds(out, i ? ",{\"name\":" : "{\"name\":");
                json_str(out, c->name);
                strbuf_adds(out, ",\"action\":");
                json_str(out, applyplan_action(c->kind));
                strbuf_adds(out, ",\"instances\":{\"before\":");
                json_count(out, c->old_instances, has_old);
                strbuf_adds(out, ",\"after\":");
                json_count(out, c->new_instances, has_new);
                strbuf_adds(out, "},\"changes\":[");
                for (size_t k = 0; k < c->n_attrs; k++) {
                        const attr_change *a = &c->attrs[k];

                        strbuf_adds(out, k ? ",{\"key\":" : "{\"key\":");
                        json_str(out, a->key);
                        strbuf_adds(out, ",\"before\":");
                        json_str(out, a->secret && a->old_text ? "(hidden)" : a->old_text);
                        strbuf_adds(out, ",\"after\":");
                        json_str(out, a->secret && a->new_text ? "(hidden)" : a->new_text);
                        strbuf_addc(out, '}');
                }
                strbuf_addc(out, ']');
                /* What the plan does to the instances. */
                switch (c->kind) {
                case CHANGE_ADDED:
                        json_range(out, "restart", c->name, 0, 0);
                        json_range(out, "start", c->name, 0, c->autostart ? c->new_instances : 0);
                        json_range(out, "stop", c->name, 0, 0);
                        break;
                case CHANGE_REMOVED:
                        json_range(out, "restart", c->name, 0, 0);
                        json_range(out, "start", c->name, 0, 0);
                        json_range(out, "stop", c->name, 0, c->old_instances);
                        break;
                case CHANGE_UNCHANGED:
                        json_range(out, "restart", c->name, 0, 0);
                        json_range(out, "start", c->name, 0, o && o->starts ? c->new_instances : 0);
                        json_range(out, "stop", c->name, 0, 0);
                        break;
                default:
                        json_range(out, "restart", c->name, 0, c->restart ? keep : 0);
                        json_range(out, "start", c->name, keep, c->new_instances);
                        json_range(out, "stop", c->name, c->new_instances, c->old_instances);
                        break;
                }
                json_strv(out, "restarted", o ? o->restarted : NULL);
                json_strv(out, "started", o ? o->started : NULL);
                json_strv(out, "stopped", o ? o->stopped : NULL);
                json_strv(out, "restart_units", c->restart_units);
                json_strv(out, "stop_units", c->stop_units);
                strbuf_adds(out, ",\"diff\":{\"before\":");
                json_str(out, o && o->before ? o->before : "");
                strbuf_adds(out, ",\"after\":");
                json_str(out, o && o->after ? o->after : "");
                strbuf_adds(out, "}}");
        }
        strbuf_addc(out, ']');
}

void applyplan_diag_json(const diag *d, strbuf *out) {
        strbuf text = STRBUF_INIT;
        static const char *const levels[] = { "note", "warning", "error" };

        diag_render_one(d, &text);
        if (text.len && text.s[text.len - 1] == '\n')
                strbuf_truncate(&text, text.len - 1);
        strbuf_adds(out, "{\"file\":");
        json_str(out, d->where.file);
        if (d->where.line)
                strbuf_addf(out, ",\"line\":%u,\"col\":%u", d->where.line, d->where.col);
        else
                strbuf_adds(out, ",\"line\":null,\"col\":null");
        strbuf_adds(out, ",\"level\":");
        json_str(out, levels[d->level <= DIAG_ERROR ? d->level : DIAG_ERROR]);
        strbuf_adds(out, ",\"message\":");
        json_str(out, d->msg);
        strbuf_adds(out, ",\"text\":");
        json_str(out, strbuf_str(&text));
        strbuf_addc(out, '}');
        strbuf_free(&text);
}
