/* SPDX-License-Identifier: MIT */
#include "generator.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "compile.h"
#include "host.h"
#include "store.h"

typedef struct glog {
        int kmsg;  /* /dev/kmsg when systemd runs us, else -1 */
        bool journal; /* run by systemd without a kernel log (containers, user managers): the journal */
        int level; /* highest level printed */
        const char *ident;
} glog;

int generator_log_level(const char *s) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

        if (!s || !*s)
                return -1;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        for (int i = 0; i < 8; i++)
                if (strcmp(s, names[i]) == 0)
                        return i;
        if (strcmp(s, "error") == 0)
                return LOG_ERR;
        if (strcmp(s, "warn") == 0)
                return LOG_WARNING;
        return -1;
}

bool generator_is_user(const char *scope_env, const char *progname) {
        const char *base;

        if (scope_env && strcmp(scope_env, "user") == 0)
                return true;
        if (scope_env && strcmp(scope_env, "system") == 0)
                return false;
        base = progname ? strrchr(progname, '/') : NULL;
        base = base ? base + 1 : progname;
        return base && strstr(base, "user-generator") != NULL;
}

static void glog_line(const glog *g, int level, const char *line) {
        if (level > g->level)
                return;
        fprintf(stderr, "%s: %s\n", g->ident, line);
        if (g->kmsg >= 0) {
                char buf[1024];
                int n = snprintf(buf, sizeof(buf), "<%d>%s[%ld]: %s\n", level, g->ident, (long) getpid(), line);

                if (n > 0)
                        (void) !write(g->kmsg, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
        } else if (g->journal)
                (void) sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", level, "SYSLOG_IDENTIFIER=%s", g->ident, NULL);
}

__attribute__((format(printf, 3, 4))) static void glog_f(const glog *g, int level, const char *fmt, ...) {
        strbuf sb = STRBUF_INIT;
        va_list ap;

        va_start(ap, fmt);
        strbuf_vaddf(&sb, fmt, ap);
        va_end(ap);
        glog_line(g, level, strbuf_str(&sb));
        strbuf_free(&sb);
}

static void glog_diags(const glog *g, const diag_list *dl) {
        for (size_t i = 0; i < dl->n; i++) {
                strbuf sb = STRBUF_INIT;
                int level = dl->v[i].level == DIAG_ERROR ? LOG_ERR : dl->v[i].level == DIAG_WARNING ? LOG_WARNING : LOG_NOTICE;

                diag_render_one(&dl->v[i], &sb);
                if (sb.len && sb.s[sb.len - 1] == '\n')
                        strbuf_truncate(&sb, sb.len - 1);
                glog_line(g, level, strbuf_str(&sb));
                strbuf_free(&sb);
        }
        if (dl->oom)
                glog_line(g, LOG_ERR, "out of memory while recording diagnostics");
}

/* Unit directories above the generator's normal directory, and the packaged ones below. */
static const char *const system_above[] = { "/etc/systemd/system", "/run/systemd/system", NULL };
static const char *const system_below[] = { "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
                                            "/lib/systemd/system", NULL };
static const char *const user_above[] = { "/etc/systemd/user", "/run/systemd/user", NULL };
static const char *const user_below[] = { "/usr/local/lib/systemd/user", "/usr/lib/systemd/user", NULL };

static bool exists_in(const char *dir, const char *name) {
        strbuf sb = STRBUF_INIT;
        struct stat st;
        bool r;

        strbuf_addf(&sb, "%s/%s", dir, name);
        r = !sb.oom && lstat(strbuf_str(&sb), &st) == 0;
        strbuf_free(&sb);
        return r;
}

static void check_shadowing(const glog *g, bool user, const out_files *out, const char *source) {
        const char *const *above = user ? user_above : system_above, *const *below = user ? user_below : system_below;
        char *home_units = NULL;

        if (user) {
                const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
                strbuf sb = STRBUF_INIT;

                if (x && x[0] == '/')
                        strbuf_addf(&sb, "%s/systemd/user", x);
                else if (home && home[0] == '/')
                        strbuf_addf(&sb, "%s/.config/systemd/user", home);
                home_units = sb.len ? strbuf_steal(&sb) : NULL;
                strbuf_free(&sb);
        }
        for (size_t i = 0; i < out->n; i++) {
                const out_file *f = &out->v[i];

                if (f->symlink || strchr(f->name, '/') || str_has_suffix(f->name, ".env"))
                        continue;
                if (home_units && exists_in(home_units, f->name))
                        glog_f(g, LOG_WARNING, "%s/%s overrides the unit generated from %s", home_units, f->name, source);
                for (size_t k = 0; above[k]; k++)
                        if (exists_in(above[k], f->name))
                                glog_f(g, LOG_WARNING, "%s/%s overrides the unit generated from %s", above[k], f->name, source);
                for (size_t k = 0; below[k]; k++)
                        if (exists_in(below[k], f->name))
                                glog_f(g, LOG_WARNING, "%s (from %s) hides the packaged unit %s/%s", f->name, source, below[k],
                                       f->name);
        }
        free(home_units);
}

/* Moves the files of one app from `from` (its range) to `to`, unless a unit name is
 * already there. Returns the clashing name (borrowed) or NULL. */
static const char *clash(const out_files *to, const out_files *from, size_t a, size_t b) {
        for (size_t i = a; i < b; i++) {
                if (from->v[i].symlink)
                        continue;
                for (size_t j = 0; j < to->n; j++)
                        if (!to->v[j].symlink && strcmp(to->v[j].name, from->v[i].name) == 0)
                                return from->v[i].name;
        }
        return NULL;
}

static int take(out_files *to, out_files *from, size_t a, size_t b) {
        out_file *nv = realloc(to->v, (to->n + (b - a)) * sizeof(out_file));

        if (!nv)
                return -ENOMEM;
        to->v = nv;
        for (size_t i = a; i < b; i++) {
                to->v[to->n++] = from->v[i];
                from->v[i] = (out_file){ 0 };
        }
        return 0;
}

/* owner[i]: the declaration whose app made out->v[i] (for clash messages). */
typedef struct owners {
        const char **v;
        size_t n;
} owners;

int generator_main(int argc, char **argv, bool user) {
        glog g = { .kmsg = -1, .level = LOG_INFO, .ident = user ? "pmgen-user-generator" : "pmgen-generator" };
        const char *lvl = getenv("SYSTEMD_LOG_LEVEL"), *bad = NULL;
        store_paths sp = { 0 };
        store_list sl = { 0 };
        out_files out = { 0 };
        owners own = { 0 };
        size_t apps = 0, decls = 0;
        bool failed = false;
        int r;

        if (generator_log_level(lvl) >= 0)
                g.level = generator_log_level(lvl);
        /* systemd gives generators /dev/null for stderr: its kernel log (which journald reads) or the journal. */
        if (getenv("SYSTEMD_SCOPE") || getppid() == 1) {
                g.kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
                g.journal = g.kmsg < 0 && access("/run/systemd/journal/socket", W_OK) == 0;
        }
        if (argc != 2 && argc != 4) {
                glog_line(&g, LOG_ERR, "expected one or three directories (systemd.generator(7)): NORMAL [EARLY LATE]");
                r = 1;
                goto out;
        }
        if (argv[1][0] != '/') {
                glog_f(&g, LOG_ERR, "%s: expected an absolute directory", argv[1]);
                r = 1;
                goto out;
        }
        r = store_paths_get(user, &sp);
        if (r == -ENOENT) { /* a user without a home directory declares nothing */
                r = 0;
                goto out;
        }
        if (r == 0)
                r = store_list_files(&sp, &sl, &bad);
        if (r < 0) {
                glog_f(&g, LOG_ERR, "cannot read %s: %s", bad ? bad : "the declaration directories", strerror(-r));
                r = 1;
                goto out;
        }
        for (size_t i = 0; i < sl.n; i++) {
                const store_entry *e = &sl.v[i];
                diag_list dl = DIAG_LIST_INIT;
                decl_file d = { 0 };
                out_files mine = { 0 };
                size_t *first = NULL;

                if (e->masked) {
                        glog_f(&g, LOG_DEBUG, "%s is masked", e->path);
                        continue;
                }
                if (e->shadowed)
                        glog_f(&g, LOG_DEBUG, "%s overrides %s", e->path, e->shadowed);
                r = store_load(e, &d, &dl);
                if (r == 0)
                        r = store_emit(&d, user, &mine, &first, &dl);
                if (r == 0 && diag_failed(&dl))
                        r = -EINVAL;
                glog_diags(&g, &dl);
                if (r == -ENOMEM) {
                        glog_line(&g, LOG_ERR, "out of memory");
                        failed = true;
                } else if (r < 0) {
                        glog_f(&g, LOG_ERR, "%s: skipped: the declaration has errors (the other declarations are generated)",
                               e->path);
                        failed = true;
                } else {
                        decls++;
                        for (size_t k = 0; k < d.m.n_apps; k++) {
                                const char *c = clash(&out, &mine, first[k], first[k + 1]);

                                if (c) {
                                        const char *other = "another declaration";

                                        for (size_t j = 0; j < out.n && j < own.n; j++)
                                                if (strcmp(out.v[j].name, c) == 0)
                                                        other = own.v[j];
                                        glog_f(&g, LOG_ERR, "%s: app '%s' makes %s, which %s makes too: app skipped", e->path,
                                               d.m.apps[k].name, c, other);
                                        failed = true;
                                        continue;
                                }
                                const char **nv = realloc(own.v, (out.n + first[k + 1] - first[k]) * sizeof(char *));

                                if (!nv || take(&out, &mine, first[k], first[k + 1]) < 0) {
                                        if (nv)
                                                own.v = nv;
                                        glog_line(&g, LOG_ERR, "out of memory");
                                        failed = true;
                                        break;
                                }
                                own.v = nv;
                                while (own.n < out.n)
                                        own.v[own.n++] = e->path;
                                apps++;
                                check_shadowing(&g, user, &(out_files){ out.v + out.n - (first[k + 1] - first[k]),
                                                                        first[k + 1] - first[k] },
                                                e->path);
                        }
                }
                free(first);
                out_files_free(&mine);
                decl_free(&d);
                diag_list_free(&dl);
        }
        r = 0;
        if (out.n > 0) {
                const char *fail_name = NULL;
                int q = write_out_files(argv[1], &out, &fail_name);

                if (q < 0) {
                        glog_f(&g, LOG_ERR, "cannot write %s/%s: %s", argv[1], fail_name == argv[1] ? "" : fail_name,
                               strerror(-q));
                        failed = true;
                } else
                        glog_f(&g, LOG_DEBUG, "wrote %zu files for %zu apps of %zu declarations to %s", out.n, apps, decls,
                               argv[1]);
        }
        if (failed)
                r = 1;
out:
        out_files_free(&out);
        free(own.v);
        store_list_free(&sl);
        store_paths_free(&sp);
        if (g.kmsg >= 0)
                close(g.kmsg);
        return r;
}
