/* SPDX-License-Identifier: MIT */
/* The converge engine of apply, scale and delete (apply.h): the plan between the
 * store as it is and as it will be, then the jobs over sd-bus. */
#include "apply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/time.h>
#include <unistd.h>

#include "applyplan.h"
#include "bus.h"
#include "host.h"
#include "linediff.h"
#include "units.h"
#include "write.h"

void store_updates_free(store_update *u, size_t n) {
        for (size_t i = 0; u && i < n; i++) {
                free(u[i].name);
                free(u[i].old_text);
                free(u[i].new_text);
                free(u[i].label);
        }
        free(u);
}

/* ---- one side of the plan: the declarations before or after ------------------------------- */

typedef struct side {
        decl_file *decls;
        char **paths; /* config_dir/name of each decl (owned; decls borrow them) */
        size_t n;
        out_files units;
        app_snap *apps;
        size_t n_apps;
        size_t *first; /* n_apps + 1 ranges into units */
} side;

static void side_free(side *s) {
        for (size_t i = 0; i < s->n; i++) {
                decl_free(&s->decls[i]);
                free(s->paths[i]);
        }
        free(s->decls);
        free(s->paths);
        out_files_free(&s->units);
        free(s->apps);
        free(s->first);
        memset(s, 0, sizeof(*s));
}

/* Loads, plans and emits the declarations of one side. Errors of an old declaration
 * are warnings (it is replaced anyway); of a new one they fail the build. */
static int side_build(side *s, const store_paths *sp, const store_update *u, size_t n, bool new, diag_list *dl) {
        plan_host h;
        emit_opts eo;
        int r = 0;

        host_plan(&h);
        s->decls = calloc(n + 1, sizeof(decl_file));
        s->paths = calloc(n + 1, sizeof(char *));
        if (!s->decls || !s->paths)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *text = new ? u[i].new_text : u[i].old_text;
                strbuf path = STRBUF_INIT;
                diag_list local = DIAG_LIST_INIT;
                decl_file *d = &s->decls[s->n];
                int q;

                if (!text)
                        continue;
                strbuf_addf(&path, "%s/%s", sp->config_dir, u[i].name);
                s->paths[s->n] = strbuf_steal(&path);
                if (!s->paths[s->n])
                        return -ENOMEM;
                q = store_load_text(s->paths[s->n], text, strlen(text), d, new ? dl : &local);
                if (q == -ENOMEM) {
                        diag_list_free(&local);
                        return q;
                }
                if (q < 0) {
                        if (new)
                                r = q;
                        else
                                fprintf(stderr, "pmgen: warning: the current %s has errors; its apps are taken as new\n",
                                        s->paths[s->n]);
                        free(s->paths[s->n]);
                        s->paths[s->n] = NULL;
                        diag_list_free(&local);
                        continue;
                }
                diag_list_free(&local);
                s->n++;
        }
        if (r < 0)
                return r;
        size_t total = 0;

        for (size_t i = 0; i < s->n; i++)
                total += s->decls[i].m.n_apps;
        s->apps = calloc(total + 1, sizeof(app_snap));
        s->first = calloc(total + 1, sizeof(size_t));
        if (!s->apps || !s->first)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++) {
                const decl_file *d = &s->decls[i];
                plan_opts po = { .source = d->abs_file, .source_dir = d->dir };

                store_emit_opts(sp->user, d->abs_file, &eo);
                for (size_t k = 0; k < d->m.n_apps; k++) {
                        const app *a = &d->m.apps[k];
                        const member *apps = value_object_get(d->m.root, "apps");
                        diag_list local = DIAG_LIST_INIT;
                        app_plan p;
                        int q = plan_app(a, &po, &h, &p, new ? dl : &local);

                        s->first[s->n_apps] = s->units.n;
                        if (q == 0) {
                                q = emit_app(&p, &eo, &s->units, new ? dl : &local);
                                s->apps[s->n_apps] = (app_snap){ .name = a->name,
                                                                 .decl = apps->val->arr.items[k],
                                                                 .instances = p.instances,
                                                                 .socket = p.socket,
                                                                 .autostart = a->autostart,
                                                                 .min_uptime_ms = (unsigned) (a->min_uptime_ms > 600000
                                                                                                  ? 600000
                                                                                                  : a->min_uptime_ms) };
                                plan_free(&p);
                        }
                        diag_list_free(&local);
                        if (q == -ENOMEM)
                                return q;
                        if (q < 0) {
                                if (new)
                                        r = q;
                                continue;
                        }
                        s->n_apps++;
                }
        }
        s->first[s->n_apps] = s->units.n;
        for (size_t k = 0; k < s->n_apps; k++) {
                s->apps[k].units = s->units.v + s->first[k];
                s->apps[k].n_units = s->first[k + 1] - s->first[k];
        }
        return r;
}

/* ---- converging ------------------------------------------------------------------------------- */

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static char *unitname(const char *fmt, const char *name, unsigned i) {
        strbuf sb = STRBUF_INIT;

        strbuf_addf(&sb, fmt, name, i);
        return strbuf_steal(&sb);
}

typedef struct progress {
        FILE *out;   /* the human report: stdout, or stderr with --json */
        strbuf done; /* what was done, for the failure report */
        const apply_plan *plan;
        app_outcome *outcomes; /* per plan entry: what was done (--json), or NULL */
        bool oom;              /* an outcome could not be recorded */
        bool files_written;
        bool backups;  /* a previous declaration was kept as NAME.ini~ */
        bool reloaded;
} progress;

enum { DID_RESTART, DID_START, DID_STOP };

/* Instances [from, to) of an app were restarted, started or stopped (for --json). */
static void did(progress *pg, const app_change *c, int what, unsigned from, unsigned to) {
        app_outcome *o;

        if (!pg->outcomes)
                return;
        o = &pg->outcomes[c - pg->plan->v];
        for (unsigned i = from; i < to; i++) {
                char *u = unitname("%s@%u", c->name, i);

                if (!u || applyplan_strv_push(what == DID_RESTART ? &o->restarted
                                              : what == DID_START ? &o->started
                                                                  : &o->stopped,
                                              u) < 0)
                        pg->oom = true;
                free(u);
        }
}

static int job(pbus *b, const char *method, const char *fmt, const char *name, unsigned i, strbuf *why) {
        char *u = unitname(fmt, name, i);
        int r;

        if (!u)
                return -1;
        r = unit_job(b, method, u, why);
        free(u);
        return r;
}

static void report_failure(const progress *pg, const char *why, const char *name) {
        fflush(stdout);
        fprintf(stderr, "pmgen: apply failed: %s\n", why);
        if (pg->done.len)
                fprintf(stderr, "pmgen: done before the failure:%s\n", strbuf_str(&pg->done));
        if (pg->files_written)
                fprintf(stderr, "pmgen: the new declarations are in place%s%s\n",
                        pg->reloaded ? " and loaded" : " but systemd has not reloaded them",
                        pg->backups ? "; the previous ones are kept as NAME.ini~ (`pmgen apply` one of them to go back)"
                                    : "");
        else
                fprintf(stderr, "pmgen: no declaration was changed\n");
        if (name)
                fprintf(stderr, "pmgen: see `pmgen logs %s` and `pmgen describe %s`\n", name, name);
}

static uint32_t restarts_of(pbus *b, const char *name, unsigned i) {
        char *u = unitname("%s@%u.service", name, i);
        uint32_t n = u ? unit_nrestarts(b, u) : 0;

        free(u);
        return n;
}

/* The instance stays up for ms (see unit_settle()). */
static int settle(pbus *b, const char *name, unsigned i, uint32_t before, unsigned ms, unsigned waited, strbuf *why) {
        char *u = unitname("%s@%u.service", name, i);
        int r = u ? unit_settle(b, u, before, ms, waited, why) : -1;

        free(u);
        return r;
}

/* Asks instance i's shim to shut its listening sockets down ("retire", pmgen-shim(8)): what is queued on
 * them moves to the other instances' sockets (net.ipv4.tcp_migrate_req) and nothing new comes. Without
 * it, the socket unit would go on taking connections while the app drains, and systemd flushes (resets)
 * those of a socket whose stop is pending. Best effort: an old shim without the request, or none. */
static void retire_sockets(pbus *b, const char *name, unsigned i) {
        const char *base = pbus_user(b) ? getenv("XDG_RUNTIME_DIR") : "/run";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static const char req[] = "retire";
        char answer[512];
        ssize_t n;
        int fd;

        if (!base || snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/pmgen/%s-%u/control", base, name, i) >=
                             (int) sizeof(sa.sun_path))
                return;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        struct timeval tv = { .tv_sec = 5 };

        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 && send(fd, req, sizeof(req), MSG_NOSIGNAL) == sizeof(req) &&
            (n = recv(fd, answer, sizeof(answer) - 1, 0)) > 0) {
                answer[n] = '\0';
                if (strncmp(answer, "ok ", 3) == 0)
                        printf("  %s@%u: %s\n", name, i, answer + 3);
        }
        close(fd);
}

/* Stops instances [from, to) of an app, highest first: the service, then its socket. When instances stay
 * (from > 0), each first gives its queue to them (retire_sockets), and the socket unit that saw its
 * socket shut down is left inactive, not failed. */
static int retire(pbus *b, const char *name, unsigned from, unsigned to, bool socket, strbuf *why) {
        for (unsigned i = to; i-- > from;) {
                if (from > 0 && socket)
                        retire_sockets(b, name, i);
                if (job(b, "StopUnit", "%s@%u.service", name, i, why) < 0)
                        return -1;
                if (socket && job(b, "StopUnit", "%s@%u.socket", name, i, why) < 0)
                        return -1;
                if (from > 0 && socket) {
                        char *u = unitname("%s@%u.socket", name, i);
                        sd_bus_error e = SD_BUS_ERROR_NULL;

                        if (u)
                                (void) pbus_reset_failed(b, u, &e);
                        sd_bus_error_free(&e);
                        free(u);
                }
        }
        return 0;
}

static int converge_app(pbus *b, const app_change *c, progress *pg, strbuf *why) {
        unsigned keep = c->old_instances < c->new_instances ? c->old_instances : c->new_instances;
        char *target = unitname("%s.target", c->name, 0);
        bool running;

        if (!target)
                return -1;
        running = c->autostart || unit_is_running(b, target);
        if (c->restart) {
                for (unsigned i = 0; i < keep; i++) {
                        uint32_t before = restarts_of(b, c->name, i);

                        if (!running) {
                                if (job(b, "TryRestartUnit", "%s@%u.service", c->name, i, why) < 0)
                                        goto fail;
                                continue;
                        }
                        if (c->replace_sockets) {
                                if (job(b, "StopUnit", "%s@%u.service", c->name, i, why) < 0 ||
                                    (c->old_socket && job(b, "StopUnit", "%s@%u.socket", c->name, i, why) < 0) ||
                                    (c->new_socket && job(b, "StartUnit", "%s@%u.socket", c->name, i, why) < 0) ||
                                    job(b, "StartUnit", "%s@%u.service", c->name, i, why) < 0)
                                        goto fail;
                        } else if (job(b, "RestartUnit", "%s@%u.service", c->name, i, why) < 0)
                                goto fail;
                        /* A bad release stops here, with the other instances still on the old one. */
                        if (settle(b, c->name, i, before, c->min_uptime_ms, 0, why) < 0)
                                goto fail;
                        fprintf(pg->out, "  %s@%u restarted%s\n", c->name, i, c->replace_sockets ? " with a new socket" : "");
                        fflush(pg->out);
                        did(pg, c, DID_RESTART, i, i + 1);
                        strbuf_addf(&pg->done, " %s@%u restarted;", c->name, i);
                }
        }
        if (running && keep < c->new_instances) {
                for (unsigned i = keep; i < c->new_instances; i++)
                        if ((c->new_socket && job(b, "StartUnit", "%s@%u.socket", c->name, i, why) < 0) ||
                            job(b, "StartUnit", "%s@%u.service", c->name, i, why) < 0)
                                goto fail;
                usleep(c->min_uptime_ms * 1000);
                for (unsigned i = keep; i < c->new_instances; i++) {
                        if (settle(b, c->name, i, 0, c->min_uptime_ms, c->min_uptime_ms, why) < 0)
                                goto fail;
                        fprintf(pg->out, "  %s@%u started\n", c->name, i);
                        did(pg, c, DID_START, i, i + 1);
                        strbuf_addf(&pg->done, " %s@%u started;", c->name, i);
                }
                fflush(pg->out);
        }
        if (c->new_instances < c->old_instances) {
                if (retire(b, c->name, c->new_instances, c->old_instances, c->old_socket, why) < 0)
                        goto fail;
                fprintf(pg->out, "  %s@%u..%u stopped\n", c->name, c->new_instances, c->old_instances - 1);
                did(pg, c, DID_STOP, c->new_instances, c->old_instances);
                strbuf_addf(&pg->done, " %s@%u..%u stopped;", c->name, c->new_instances, c->old_instances - 1);
        }
        for (size_t k = 0; c->stop_units && c->stop_units[k]; k++)
                if (unit_job(b, "StopUnit", c->stop_units[k], why) < 0)
                        goto fail;
        for (size_t k = 0; c->restart_units && c->restart_units[k]; k++)
                if (unit_job(b, "TryRestartUnit", c->restart_units[k], why) < 0)
                        goto fail;
        if (running && unit_job(b, "StartUnit", target, why) < 0)
                goto fail;
        free(target);
        return 0;
fail:
        free(target);
        return -1;
}

/* Starting apps is two steps, so that several start together and their min_uptime
 * runs once for all: start_app() starts the target, started_app() checks the
 * instances stayed up. before[]: each instance's NRestarts before the start. */
static int start_app(pbus *b, const app_change *c, uint32_t **before, strbuf *why) {
        char *target = unitname("%s.target", c->name, 0);
        int r = 0;

        *before = calloc(c->new_instances + 1, sizeof(uint32_t));
        for (unsigned i = 0; *before && i < c->new_instances; i++)
                (*before)[i] = restarts_of(b, c->name, i);
        if (!target || !*before || unit_job(b, "StartUnit", target, why) < 0)
                r = -1;
        free(target);
        return r;
}

static int started_app(pbus *b, const app_change *c, const uint32_t *before, unsigned waited, progress *pg,
                       strbuf *why) {
        for (unsigned i = 0; i < c->new_instances; i++)
                if (settle(b, c->name, i, before[i], c->min_uptime_ms, waited, why) < 0)
                        return -1;
        fprintf(pg->out, "  %s started (%u instance%s)\n", c->name, c->new_instances, c->new_instances == 1 ? "" : "s");
        fflush(pg->out);
        did(pg, c, DID_START, 0, c->new_instances);
        strbuf_addf(&pg->done, " %s started;", c->name);
        return 0;
}

static int stop_app(pbus *b, const app_change *c, progress *pg, strbuf *why) {
        char *target = unitname("%s.target", c->name, 0);
        int r = 0;

        if (!target || unit_job(b, "StopUnit", target, why) < 0 ||
            retire(b, c->name, 0, c->old_instances, c->old_socket, why) < 0)
                r = -1;
        for (size_t k = 0; r == 0 && c->stop_units && c->stop_units[k]; k++)
                if (unit_job(b, "StopUnit", c->stop_units[k], why) < 0)
                        r = -1;
        if (r == 0) {
                fprintf(pg->out, "  %s stopped\n", c->name);
                fflush(pg->out);
                did(pg, c, DID_STOP, 0, c->old_instances);
                strbuf_addf(&pg->done, " %s stopped;", c->name);
        }
        free(target);
        return r;
}

/* The removed apps' other units (timers, paths) to stop with them. */
static int removed_units(const side *old, apply_plan *plan) {
        for (size_t i = 0; i < plan->n; i++) {
                app_change *c = &plan->v[i];

                if (c->kind != CHANGE_REMOVED)
                        continue;
                for (size_t k = 0; k < old->n_apps; k++) {
                        if (strcmp(old->apps[k].name, c->name) != 0)
                                continue;
                        for (size_t f = 0; f < old->apps[k].n_units; f++) {
                                const out_file *u = &old->apps[k].units[f];
                                size_t n = 0;
                                char **nv;

                                if (u->symlink || strchr(u->name, '@') || str_has_suffix(u->name, ".env") ||
                                    str_has_suffix(u->name, ".target"))
                                        continue;
                                while (c->stop_units && c->stop_units[n])
                                        n++;
                                nv = realloc(c->stop_units, (n + 2) * sizeof(char *));
                                if (!nv)
                                        return -ENOMEM;
                                c->stop_units = nv;
                                if (!(nv[n] = strdup(u->name)))
                                        return -ENOMEM;
                                nv[n + 1] = NULL;
                        }
                }
        }
        return 0;
}

static int write_updates(const store_paths *sp, const store_update *u, size_t n, progress *pg, strbuf *why) {
        for (size_t i = 0; i < n; i++) {
                strbuf path = STRBUF_INIT, bak = STRBUF_INIT;
                int r = 0;

                if (u[i].old_text && u[i].new_text && strcmp(u[i].old_text, u[i].new_text) == 0)
                        continue;
                strbuf_addf(&path, "%s/%s", sp->config_dir, u[i].name);
                strbuf_addf(&bak, "%s~", u[i].name);
                if (path.oom || bak.oom)
                        r = -ENOMEM;
                /* The previous declaration stays recoverable (the generator ignores NAME.ini~). */
                if (r == 0 && u[i].old_text) {
                        r = store_write_file(sp->config_dir, strbuf_str(&bak), u[i].old_text, 0600);
                        pg->backups = pg->backups || r == 0;
                }
                if (r == 0 && u[i].new_text)
                        r = store_write_file(sp->config_dir, u[i].name, u[i].new_text, 0600);
                else if (r == 0 && unlink(strbuf_str(&path)) < 0 && errno != ENOENT)
                        r = -errno;
                if (r < 0)
                        strbuf_addf(why, "cannot %s %s: %s", u[i].new_text ? "write" : "remove", strbuf_str(&path),
                                    strerror(-r));
                else {
                        fprintf(pg->out, "  %s %s\n", u[i].new_text ? "wrote" : "removed", strbuf_str(&path));
                        strbuf_addf(&pg->done, " %s %s;", u[i].new_text ? "wrote" : "removed", strbuf_str(&path));
                        pg->files_written = true;
                }
                strbuf_free(&path);
                strbuf_free(&bak);
                if (r < 0)
                        return -1;
        }
        return 0;
}

static bool any_file_changes(const store_update *u, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!u[i].old_text != !u[i].new_text || (u[i].old_text && strcmp(u[i].old_text, u[i].new_text) != 0))
                        return true;
        return false;
}

/* The units of app `name` on one side, as one text (NULL: not there). */
static char *side_units_text(const side *s, const char *name) {
        strbuf sb = STRBUF_INIT;

        for (size_t k = 0; k < s->n_apps; k++)
                if (strcmp(s->apps[k].name, name) == 0) {
                        applyplan_units_text(s->apps[k].units, s->apps[k].n_units, &sb);
                        return strbuf_steal(&sb);
                }
        return NULL;
}

void apply_report_diags(apply_report *rep, const diag_list *dl) {
        for (size_t i = 0; rep && i < dl->n; i++) {
                if (rep->diags.len)
                        strbuf_addc(&rep->diags, ',');
                applyplan_diag_json(&dl->v[i], &rep->diags);
        }
}

void apply_report_free(apply_report *rep) {
        strbuf_free(&rep->diags);
        strbuf_free(&rep->files);
        strbuf_free(&rep->apps);
        strbuf_free(&rep->error);
}

/* The files and apps of the report, once the plan is made. */
static void report_fill(apply_report *rep, const store_paths *sp, const store_update *u, size_t n,
                        const apply_plan *plan, const side *old, const side *new, app_outcome *outcomes,
                        const bool *start_unchanged) {
        for (size_t i = 0; i < n; i++) {
                bool same = u[i].old_text && u[i].new_text && strcmp(u[i].old_text, u[i].new_text) == 0;
                strbuf path = STRBUF_INIT;

                strbuf_addf(&path, "%s/%s", sp->config_dir, u[i].name);
                strbuf_adds(&rep->files, i ? ",{\"path\":" : "{\"path\":");
                json_escape(&rep->files, strbuf_str(&path), path.len);
                strbuf_adds(&rep->files, ",\"source\":");
                if (u[i].label)
                        json_escape(&rep->files, u[i].label, strlen(u[i].label));
                else
                        strbuf_adds(&rep->files, "null");
                strbuf_addf(&rep->files, ",\"action\":\"%s\"}",
                            !u[i].new_text ? "removed" : same ? "unchanged" : !u[i].old_text ? "created" : "updated");
                strbuf_free(&path);
        }
        for (size_t i = 0; i < plan->n; i++) {
                outcomes[i].before = side_units_text(old, plan->v[i].name);
                outcomes[i].after = side_units_text(new, plan->v[i].name);
                outcomes[i].starts = start_unchanged && start_unchanged[i];
                if (rep->unit_diff) {
                        strbuf a = STRBUF_INIT, b = STRBUF_INIT;

                        strbuf_addf(&a, "%s, as applied", plan->v[i].name);
                        strbuf_addf(&b, "%s, as declared", plan->v[i].name);
                        line_diff(rep->unit_diff, outcomes[i].before ? outcomes[i].before : "",
                                  outcomes[i].after ? outcomes[i].after : "", strbuf_str(&a), strbuf_str(&b), 3);
                        strbuf_free(&a);
                        strbuf_free(&b);
                }
        }
        applyplan_render_json(plan, outcomes, &rep->apps);
}

int converge(const verb_opts *o, const store_paths *sp, store_update *u, size_t n) {
        return converge_report(o, sp, u, n, NULL);
}

int converge_report(const verb_opts *o, const store_paths *sp, store_update *u, size_t n, apply_report *rep) {
        side old = { 0 }, new = { 0 };
        apply_plan plan = { 0 };
        diag_list dl = DIAG_LIST_INIT;
        progress pg = { .out = rep && !rep->human_to_stdout ? stderr : stdout, .done = STRBUF_INIT, .plan = &plan };
        bool work = false;
        strbuf why = STRBUF_INIT, out = STRBUF_INIT;
        pbus *b = NULL;
        const char *what = NULL, *failed_app = NULL;
        bool *start_unchanged = NULL, files, need_reload, retiring = false;
        uint32_t **befores = NULL;
        double t0 = now_s();
        int r, ret = 0;

        r = side_build(&old, sp, u, n, false, &dl);
        if (r == 0)
                r = side_build(&new, sp, u, n, true, &dl);
        print_diags(&dl, o->quiet);
        apply_report_diags(rep, &dl);
        if (r < 0) {
                ret = r == -ENOMEM ? EXIT_SYSTEM : EXIT_DECL;
                goto out;
        }
        if ((r = applyplan_build(old.apps, old.n_apps, new.apps, new.n_apps, &plan)) < 0 ||
            (r = removed_units(&old, &plan)) < 0) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        if (rep && !(pg.outcomes = calloc(plan.n + 1, sizeof(app_outcome)))) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        files = any_file_changes(u, n);

        r = pbus_open(o->user, &b, &what);
        if (r < 0 && !o->dry_run) {
                fprintf(stderr, "pmgen: cannot reach %s: %s%s\n", what, strerror(-r),
                        o->user ? " (is the user manager running? see loginctl enable-linger in pmgen(1))" : "");
                if (rep)
                        strbuf_addf(&rep->error, "cannot reach %s: %s", what, strerror(-r));
                ret = EXIT_SYSTEM;
                goto out;
        }
        start_unchanged = calloc(plan.n + 1, sizeof(bool));
        if (!start_unchanged) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        need_reload = files;
        for (size_t i = 0; b && i < plan.n; i++) {
                const app_change *c = &plan.v[i];
                char *target, *load = NULL, *active = NULL;

                if (c->kind != CHANGE_UNCHANGED)
                        continue;
                target = unitname("%s.target", c->name, 0);
                if (target)
                        (void) unit_state(b, target, &load, &active, NULL);
                if (!load || strcmp(load, "loaded") != 0)
                        need_reload = true; /* declared, but the generator has not made it yet */
                if (c->autostart && (!active || strcmp(active, "active") != 0))
                        start_unchanged[i] = true;
                free(target);
                free(load);
                free(active);
        }

        /* The plan. */
        work = files || need_reload || !applyplan_is_noop(&plan);

        for (size_t i = 0; i < plan.n; i++)
                work = work || start_unchanged[i];
        for (size_t i = 0; i < n; i++) {
                bool same = u[i].old_text && u[i].new_text && strcmp(u[i].old_text, u[i].new_text) == 0;

                strbuf_addf(&out, "%s/%s%s%s%s\n", sp->config_dir, u[i].name, u[i].label ? " " : "", u[i].label ? u[i].label : "",
                            !u[i].new_text ? " (removed)" : same ? " (unchanged)" : !u[i].old_text ? " (new)" : "");
        }
        applyplan_render(&plan, &out);
        for (size_t i = 0; i < plan.n; i++)
                if (start_unchanged[i])
                        strbuf_addf(&out, "  > %s: not running: starts\n", plan.v[i].name);
        if (need_reload && !files)
                strbuf_adds(&out, "  > systemd has not loaded every declared app: it reloads\n");
        if (rep)
                report_fill(rep, sp, u, n, &plan, &old, &new, pg.outcomes, start_unchanged);
        fputs(strbuf_str(&out), pg.out);
        if (!work) {
                fputs("nothing to do\n", pg.out);
                goto out;
        }
        if (o->dry_run) {
                fputs("dry run: nothing was changed\n", pg.out);
                goto out;
        }
        fflush(pg.out);

        for (size_t i = 0; i < plan.n; i++) {
                const app_change *c = &plan.v[i];

                if (c->new_instances < c->old_instances && (c->old_socket || c->kind == CHANGE_REMOVED))
                        retiring = true;
                if (c->replace_sockets)
                        retiring = true;
        }
        if (retiring && !o->user && geteuid() == 0 && enable_tcp_migrate_req() == 1)
                fputs("  enabled net.ipv4.tcp_migrate_req: connections queued on a retired socket move to the others\n", pg.out);

        /* 1. Removed apps stop while their units still exist. */
        for (size_t i = 0; i < plan.n; i++)
                if (plan.v[i].kind == CHANGE_REMOVED && stop_app(b, &plan.v[i], &pg, &why) < 0) {
                        failed_app = plan.v[i].name;
                        ret = EXIT_UNIT;
                        goto fail;
                }
        /* 2. The declarations. */
        if (write_updates(sp, u, n, &pg, &why) < 0) {
                ret = EXIT_SYSTEM;
                goto fail;
        }
        /* 3. The generator makes the units. */
        if (need_reload) {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                r = pbus_reload(b, &e);
                if (r < 0) {
                        strbuf_addf(&why, "daemon-reload failed: %s", pbus_error_message(&e, r));
                        sd_bus_error_free(&e);
                        ret = EXIT_UNIT;
                        goto fail;
                }
                sd_bus_error_free(&e);
                pg.reloaded = true;
                fputs("  reloaded systemd (the generator made the units)\n", pg.out);
                strbuf_adds(&pg.done, " daemon-reload;");
        }
        for (size_t i = 0; i < plan.n; i++) {
                const app_change *c = &plan.v[i];
                char *target, *load = NULL;

                if (c->kind == CHANGE_REMOVED)
                        continue;
                target = unitname("%s.target", c->name, 0);
                if (target)
                        (void) unit_state(b, target, &load, NULL, NULL);
                if (!load || strcmp(load, "loaded") != 0) {
                        strbuf_addf(&why,
                                    "%s is %s after daemon-reload: the generator did not make it (its messages are in the "
                                    "journal: journalctl -b -t %s)",
                                    target ? target : c->name, load ? load : "unknown",
                                    o->user ? "pmgen-user-generator" : "pmgen-generator");
                        free(target);
                        free(load);
                        failed_app = c->name;
                        ret = EXIT_UNIT;
                        goto fail;
                }
                free(target);
                free(load);
        }
        /* 4. Converge: new apps start together; changed ones roll, instance by instance; then the new
         * ones must have stayed up for their min_uptime. */
        befores = calloc(plan.n + 1, sizeof(uint32_t *));
        if (!befores) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        unsigned longest = 0;

        for (size_t i = 0; i < plan.n; i++) {
                const app_change *c = &plan.v[i];

                if (!((c->kind == CHANGE_ADDED && c->autostart) || (c->kind == CHANGE_UNCHANGED && start_unchanged[i])))
                        continue;
                if (start_app(b, c, &befores[i], &why) < 0) {
                        failed_app = c->name;
                        ret = EXIT_UNIT;
                        goto fail;
                }
                if (c->min_uptime_ms > longest)
                        longest = c->min_uptime_ms;
        }
        double started = now_s();

        for (size_t i = 0; i < plan.n; i++) {
                const app_change *c = &plan.v[i];

                if ((c->kind == CHANGE_CHANGED || c->kind == CHANGE_SCALED) && converge_app(b, c, &pg, &why) < 0) {
                        failed_app = c->name;
                        ret = EXIT_UNIT;
                        goto fail;
                }
        }
        double since = (now_s() - started) * 1000.0;

        if (longest > since)
                usleep((useconds_t) ((longest - since) * 1000.0));
        for (size_t i = 0; i < plan.n; i++)
                if (befores[i] && started_app(b, &plan.v[i], befores[i], plan.v[i].min_uptime_ms, &pg, &why) < 0) {
                        failed_app = plan.v[i].name;
                        ret = EXIT_UNIT;
                        goto fail;
                }
        fprintf(pg.out, "applied in %.1fs\n", now_s() - t0);
        goto out;
fail:
        report_failure(&pg, strbuf_str(&why), failed_app);
        if (rep) {
                strbuf_addf(&rep->error, "apply failed: %s", strbuf_str(&why));
                if (pg.done.len)
                        strbuf_addf(&rep->error, "; done before the failure:%s", strbuf_str(&pg.done));
                if (!pg.files_written)
                        strbuf_adds(&rep->error, "; no declaration was changed");
        }
out:
        if (rep) {
                /* With --dry-run, what would change; otherwise what did (a failure half way did some). */
                rep->changed = o->dry_run || ret == 0 ? work : pg.files_written || pg.done.len > 0;
                if (plan.n && rep->apps.len) {
                        /* the outcomes after the jobs */
                        strbuf_truncate(&rep->apps, 0);
                        applyplan_render_json(&plan, pg.outcomes, &rep->apps);
                }
                if (pg.oom && !rep->error.len)
                        strbuf_adds(&rep->error, "out of memory while recording what was done: the lists of "
                                                 "restarted, started and stopped instances are incomplete");
        }
        app_outcomes_free(pg.outcomes, plan.n);
        fflush(pg.out);
        for (size_t i = 0; befores && i < plan.n; i++)
                free(befores[i]);
        free(befores);
        free(start_unchanged);
        pbus_close(b);
        applyplan_free(&plan);
        side_free(&old);
        side_free(&new);
        diag_list_free(&dl);
        strbuf_free(&pg.done);
        strbuf_free(&why);
        strbuf_free(&out);
        return ret;
}
