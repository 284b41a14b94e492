/* SPDX-License-Identifier: MIT */
/* The model's checks of the typed apps (model.h): each app's values that reach a unit (paths, names,
 * percentages, health checks, hardening overrides, cron), and depends_on across the apps of a file. */
#include "model-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "escape.h"
#include "harden.h"
#include "health.h"

#define get model_get

/* cpu_quota: "150%" or 150 (percent of one CPU, 1 to 100000); 0 when absent or not that. */
unsigned cpu_quota_of(const value *v) {
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

int check_app(const app *a, diag_list *dl) {
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
void check_depends(const model *m, diag_list *dl) {
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

