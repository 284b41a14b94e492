/* SPDX-License-Identifier: MIT */
/* `pmgen env APP`: the environment an instance's app really runs with (its /proc/PID/environ), each
 * variable with where it comes from, the declaration's values masked. */
#include "envcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps.h"
#include "compile.h"
#include "host.h"
#include "plan.h"
#include "verbs.h"

/* What the shim and the unit add for every app (pmgen-shim(8), pmgen.ini(5)). */
static const char *const pmgen_vars[] = {
        "PORT", "NODE_APP_INSTANCE", "pm_id", "name", "exec_mode", "pm_exec_path", "pm_cwd", "namespace",
        "NODE_OPTIONS", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NODE_CHANNEL_FD",
        "NODE_CHANNEL_SERIALIZATION_MODE", "LD_PRELOAD", NULL,
};

static bool in_list(const char *name, size_t len, const char *const *list) {
        for (size_t i = 0; list && list[i]; i++)
                if (strlen(list[i]) == len && memcmp(list[i], name, len) == 0)
                        return true;
        return false;
}

void env_report(const char *block, size_t len, const char *const *declared, strbuf *out) {
        size_t width = 0;

        for (int pass = 0; pass < 2; pass++)
                for (size_t at = 0; at < len;) {
                        const char *e = block + at, *eq;
                        size_t n = strnlen(e, len - at);

                        at += n + 1;
                        eq = memchr(e, '=', n);
                        if (!eq || eq == e)
                                continue;
                        size_t nlen = (size_t) (eq - e);
                        char *name = strndup(e, nlen);
                        bool decl = in_list(e, nlen, declared);
                        bool ours = in_list(e, nlen, pmgen_vars) || (nlen > 6 && memcmp(e, "PMGEN_", 6) == 0);
                        bool masked = decl && name && !env_shown(name);
                        strbuf line = STRBUF_INIT;

                        strbuf_add(&line, e, nlen + 1);
                        if (masked)
                                strbuf_adds(&line, "****");
                        else /* control characters would reach the terminal: escaped */
                                for (const char *p = eq + 1; p < e + n; p++)
                                        if ((unsigned char) *p < 0x20 || *p == 0x7f)
                                                strbuf_addf(&line, "\\x%02x", (unsigned char) *p);
                                        else
                                                strbuf_addc(&line, *p);
                        if (pass == 0) {
                                width = line.len > width ? line.len : width;
                        } else
                                strbuf_addf(out, "%-*s  %s\n", (int) (width < 60 ? width : 60), strbuf_str(&line),
                                            decl && ours ? "declared, extended by pmgen"
                                            : decl       ? "declared"
                                            : ours       ? "pmgen"
                                                         : "systemd");
                        strbuf_free(&line);
                        free(name);
                }
}

int cmd_env(const verb_opts *o, const char *arg) {
        app_set s = { 0 };
        known_app *ka;
        inst *in = NULL;
        size_t n = 0;
        char **declared = NULL;
        int ret = app_set_load(o, &s, true);

        if (ret)
                goto out;
        ka = app_find(&s, arg);
        if (!ka) {
                fprintf(stderr, "pmgen: env: no app '%s' (see pmgen ls)\n", arg);
                ret = EXIT_NOAPP;
                goto out;
        }
        if (running_instances(&s, ka, &in, &n) < 0 || n == 0) {
                fprintf(stderr, "pmgen: env: %s has no running instance\n", ka->name);
                ret = EXIT_UNIT;
                goto out;
        }
        if (ka->a) { /* the names the declaration gives, with the profile it was applied with */
                const decl_file *d = &s.decls[ka->decl_index];
                char *src = NULL, *prof = NULL;
                plan_host h;
                diag_list dl = DIAG_LIST_INIT;
                app_plan p;

                (void) store_header_parse(d->text, &src, &prof);
                plan_opts po = { .profile = prof, .source = d->abs_file, .source_dir = d->dir };

                host_plan(&h);
                if (plan_app(ka->a, &po, &h, &p, &dl) == 0) {
                        declared = calloc(p.env.n + 1, sizeof(char *));
                        for (size_t i = 0; declared && i < p.env.n; i++)
                                declared[i] = strdup(p.env.v[i].name);
                        plan_free(&p);
                }
                diag_list_free(&dl);
                free(src);
                free(prof);
        }
        char unit[256], path[64], *block = NULL;
        size_t len = 0;
        uint32_t pid;

        snprintf(unit, sizeof(unit), "%s@%u.service", ka->name, in[0].n);
        pid = pid_of_unit(s.bus, unit);
        snprintf(path, sizeof(path), "/proc/%" PRIu32 "/environ", pid);
        if (pid == 0 || read_file(path, 1u << 20, &block, &len) < 0) {
                fprintf(stderr, "pmgen: env: cannot read the environment of %s's app (pid %" PRIu32 ")%s\n", unit, pid,
                        o->user ? "" : ": run as root");
                ret = EXIT_SYSTEM;
                goto out;
        }
        strbuf sb = STRBUF_INIT;

        env_report(block, len, (const char *const *) declared, &sb);
        printf("%s, pid %" PRIu32 " (what the app runs with; the declaration's values masked):\n%s", unit, pid,
               strbuf_str(&sb));
        strbuf_free(&sb);
        free(block);
out:
        for (size_t i = 0; declared && declared[i]; i++)
                free(declared[i]);
        free(declared);
        free(in);
        app_set_free(&s);
        return ret;
}
