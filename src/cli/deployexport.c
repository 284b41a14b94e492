/* SPDX-License-Identifier: MIT */
/* pmgen deploy-export (deployexport.h): PM2's deploy section → an Ansible inventory and
 * playbook. deploy_export_render() is pure; cmd_deploy_export() reads and writes. */
#include "deployexport.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "emit.h"
#include "host.h"
#include "parse-js.h"
#include "plan.h"
#include "write.h"

/* ---- the mapping (pure) -------------------------------------------------------------------- */

typedef struct dctx {
        const char *env;
        diag_list *dl;
        strbuf *pb;      /* the playbook */
        strbuf notes;    /* comments for what was left out, at the top of the playbook */
        strbuf handlers; /* the play's handlers */
        bool become;     /* the deploy user is not root: the apply step needs root */
        unsigned n_apply;
} dctx;

#define WRAP 90 /* bytes of text per line before a long string or comment is wrapped (yamllint: 160) */

/* A JSON string (YAML's double-quoted form). A long one is cut into lines that end with
 * an escaped line break ("\\" + newline: YAML joins them without a space), each cut
 * before a byte that is neither blank nor inside a UTF-8 sequence. */
static void yaml_str(strbuf *out, const char *s) {
        size_t len = strlen(s), from = 0;

        strbuf_addc(out, '"');
        while (from < len) {
                size_t to = len - from > WRAP ? from + WRAP : len;
                strbuf part = STRBUF_INIT;

                while (to < len && (s[to] == ' ' || s[to] == '\t' || ((unsigned char) s[to] & 0xC0) == 0x80))
                        to++;
                json_escape(&part, s + from, to - from);
                if (part.len >= 2)
                        strbuf_add(out, part.s + 1, part.len - 2); /* without its quotes */
                strbuf_free(&part);
                if (to < len)
                        strbuf_adds(out, "\\\n          ");
                from = to;
        }
        strbuf_addc(out, '"');
}

/* A short string on one line (task and host names: bounded by the caller). */
static void yaml_name(strbuf *out, const char *s) {
        json_escape(out, s, strlen(s));
}

/* A user string that Ansible must never template. */
static void yaml_unsafe(strbuf *out, const char *s) {
        strbuf_adds(out, "!unsafe ");
        yaml_str(out, s);
}

/* YAML comment lines, wrapped at blanks: no newline can end one early. */
static void comment(strbuf *out, const char *indent, const char *s) {
        size_t col = 0;

        strbuf_addf(out, "%s# ", indent);
        for (const char *p = s; *p; p++) {
                char ch = *p == '\n' || *p == '\r' ? ' ' : *p;

                if (ch == ' ' && col >= WRAP) {
                        strbuf_addf(out, "\n%s#   ", indent);
                        col = 0;
                        continue;
                }
                strbuf_addc(out, ch);
                col++;
        }
        strbuf_addc(out, '\n');
}

static bool all_of(const char *s, const char *set) {
        return s[0] && strspn(s, set) == strlen(s);
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

static bool host_ok(const char *s) {
        return all_of(s, ALNUM "._-:[]") && s[0] != '-' && s[0] != '.' && strlen(s) <= 253;
}

static bool user_ok(const char *s) {
        return all_of(s, ALNUM "._-") && s[0] != '-';
}

static bool env_name_ok(const char *s) {
        return all_of(s, ALNUM "_") && !(s[0] >= '0' && s[0] <= '9');
}

/* A file name that can go into a templated path: no "..", no template characters. */
static bool file_ok(const char *s) {
        return all_of(s, ALNUM "._/-") && s[0] != '/' && s[0] != '-' && !strstr(s, "..");
}

static const value *get(const value *obj, const char *key) {
        const member *m = obj && obj->type == V_OBJECT ? value_object_get(obj, key) : NULL;

        return m && m->val->type != V_UNDEFINED ? m->val : NULL;
}

/* A string value, or NULL with an error when it is something else. */
static const char *want_string(dctx *c, const value *v, const char *key) {
        if (!v)
                return NULL;
        if (v->type != V_STRING || strlen(v->str.s) != v->str.len) {
                diag_error(c->dl, v->where, "deploy.%s.%s: expected a string, found %s", c->env, key,
                           value_type_name(v->type));
                return NULL;
        }
        return v->str.s;
}

/* Splits a hook at && and ; outside quotes. *parts is a NULL-terminated list (free each and it). */
static int split_commands(const char *s, char ***parts) {
        char **v = NULL;
        size_t n = 0;
        strbuf cur = STRBUF_INIT;
        char q = 0;

        for (const char *p = s;; p++) {
                bool end = !*p || (!q && (*p == ';' || (p[0] == '&' && p[1] == '&')));

                if (!end) {
                        if (q == '"' && *p == '\\' && p[1])
                                strbuf_addc(&cur, *p++); /* the escaped character follows */
                        else if (q && *p == q)
                                q = 0;
                        else if (!q && (*p == '\'' || *p == '"'))
                                q = *p;
                        strbuf_addc(&cur, *p);
                        continue;
                }
                const char *b = strbuf_str(&cur);
                size_t len = cur.len;

                while (len && (*b == ' ' || *b == '\t' || *b == '\n'))
                        b++, len--;
                while (len && (b[len - 1] == ' ' || b[len - 1] == '\t' || b[len - 1] == '\n'))
                        len--;
                if (len) {
                        char **nv = realloc(v, (n + 2) * sizeof(char *));

                        if (!nv)
                                goto oom;
                        v = nv;
                        v[n] = xstrndup(b, len);
                        if (!v[n])
                                goto oom;
                        v[++n] = NULL;
                }
                strbuf_truncate(&cur, 0);
                if (!*p)
                        break;
                if (*p == '&')
                        p++;
        }
        if (cur.oom)
                goto oom;
        strbuf_free(&cur);
        *parts = v;
        return 0;
oom:
        strbuf_free(&cur);
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
        return -ENOMEM;
}

static void strv_free_(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

/* Words of a simple command (no quotes: a quoted command is never a pm2 call we map). */
static size_t words(const char *s, const char **w, size_t *wl, size_t max) {
        size_t n = 0;

        while (*s && n < max) {
                s += strspn(s, " \t");
                if (!*s)
                        break;
                w[n] = s;
                wl[n] = strcspn(s, " \t");
                s += wl[n];
                n++;
        }
        return n;
}

static bool word_is(const char *w, size_t len, const char *s) {
        return strlen(s) == len && memcmp(w, s, len) == 0;
}

static void shell_task(dctx *c, const char *hook_name, const char *cmd, const char *chdir, const char *when, bool local) {
        strbuf *o = c->pb;

        strbuf_adds(o, "    - name: ");
        {
                strbuf name = STRBUF_INIT;

                strbuf_addf(&name, "%c%s hook: %.60s", hook_name[0] - 'a' + 'A', hook_name + 1, cmd);
                /* the name is templated by Ansible: keep braces out of it */
                for (size_t i = 0; i < name.len; i++)
                        if (name.s[i] == '{' || name.s[i] == '}' || name.s[i] == '%' || name.s[i] == '\n')
                                name.s[i] = '_';
                yaml_name(o, strbuf_str(&name));
                strbuf_free(&name);
        }
        /* ansible.builtin.command when no shell is needed (ansible-lint's command-instead-of-shell) */
        strbuf_addf(o, "\n      ansible.builtin.%s:\n        cmd: ",
                    cmd[strcspn(cmd, "|&;<>()$`\\\"'*?[]#~=%{}!\n")] ? "shell" : "command");
        yaml_unsafe(o, cmd);
        strbuf_addc(o, '\n');
        if (chdir)
                strbuf_addf(o, "        chdir: \"{{ pmgen_deploy_path }}/%s\"\n", chdir);
        if (local)
                strbuf_adds(o, "      delegate_to: localhost\n      run_once: true\n");
        if (when)
                strbuf_addf(o, "      when: %s\n", when);
        strbuf_adds(o, "      changed_when: true\n");
}

/* `pm2 VERB FILE --env X`: the apply task; 1 when it was one, 0 when not a pm2 command. */
static int pm2_command(dctx *c, const value *where, const char *cmd) {
        const char *w[16];
        size_t wl[16], n = words(cmd, w, wl, 16);
        static const char *const verbs[] = { "start", "reload", "restart", "startOrReload", "startOrRestart",
                                             "startOrGracefulReload", "gracefulReload" };
        bool pm2 = n > 0 && (word_is(w[0], wl[0], "pm2") || (wl[0] > 4 && memcmp(w[0] + wl[0] - 4, "/pm2", 4) == 0));
        bool mapped_verb = false;
        char *file = NULL, *env = NULL;
        strbuf why = STRBUF_INIT, why2 = STRBUF_INIT;

        if (!pm2)
                return 0;
        for (size_t i = 0; n > 1 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
                mapped_verb = mapped_verb || word_is(w[1], wl[1], verbs[i]);
        if (!mapped_verb)
                strbuf_addf(&why, "`%s`: pmgen has no step for it (the declarations persist by themselves; "
                                  "the other verbs are pmgen's: pmgen(1))",
                            cmd);
        for (size_t i = 2; mapped_verb && !why.len && i < n; i++) {
                if (word_is(w[i], wl[i], "--env") || word_is(w[i], wl[i], "-e")) {
                        if (i + 1 >= n) {
                                strbuf_addf(&why, "`%s`: --env without a name", cmd);
                                break;
                        }
                        i++;
                        free(env);
                        env = xstrndup(w[i], wl[i]);
                } else if (wl[i] > 6 && memcmp(w[i], "--env=", 6) == 0) {
                        free(env);
                        env = xstrndup(w[i] + 6, wl[i] - 6);
                } else if (word_is(w[i], wl[i], "--update-env") || word_is(w[i], wl[i], "-s") ||
                           word_is(w[i], wl[i], "--silent"))
                        ; /* apply always updates the environment; -s: nothing to silence */
                else if (w[i][0] == '-')
                        strbuf_addf(&why, "`%s`: option %.*s has no pmgen.pmgen.apply equivalent", cmd, (int) wl[i], w[i]);
                else if (!file)
                        file = xstrndup(w[i], wl[i]);
                else
                        strbuf_addf(&why, "`%s`: more than one file", cmd);
        }
        if (mapped_verb && !why.len) {
                if (!file || !(str_has_suffix(file, ".js") || str_has_suffix(file, ".cjs") ||
                               str_has_suffix(file, ".mjs") || str_has_suffix(file, ".json")))
                        strbuf_addf(&why, "`%s`: name the ecosystem file (pm2 %s APP or all has no declaration to apply)",
                                    cmd, n > 1 ? "VERB" : "");
                else if (!file_ok(file))
                        strbuf_addf(&why, "`%s`: the file name '%s' must be a relative path of letters, digits, ._/-",
                                    cmd, file);
                else if (env && !all_of(env, ALNUM "_-"))
                        strbuf_addf(&why, "`%s`: the env name '%s' must be letters, digits, _ and -", cmd, env);
        }
        if (why.len) {
                diag_warning(c->dl, where->where, "deploy.%s.post-deploy: not mapped: %s", c->env, strbuf_str(&why));
                strbuf_addf(&why2, "post-deploy, not mapped: %s", strbuf_str(&why));
                comment(c->pb, "    ", strbuf_str(&why2));
                strbuf_addf(&c->notes, "post-deploy: %s\n", strbuf_str(&why));
        } else {
                strbuf *o = c->pb;

                c->n_apply++;
                strbuf_adds(o, "    - name: ");
                {
                        strbuf name = STRBUF_INIT;

                        strbuf_addf(&name, "Apply %.50s%s%.20s (was: %.50s)", file, env ? " with --env " : "", env ? env : "", cmd);
                        for (size_t i = 0; i < name.len; i++)
                                if (name.s[i] == '{' || name.s[i] == '}' || name.s[i] == '%')
                                        name.s[i] = '_';
                        yaml_name(o, strbuf_str(&name));
                        strbuf_free(&name);
                }
                strbuf_addf(o, "\n      pmgen.pmgen.apply:\n        src: \"{{ pmgen_deploy_path }}/current/%s\"\n", file);
                if (env)
                        strbuf_addf(o, "        env: \"%s\"\n", env);
                if (c->become)
                        strbuf_adds(o, "      become: true\n");
                strbuf_addf(o, "      register: pmgen_deploy_apply_%u\n", c->n_apply);
                /* New code under the same declaration: apply changes nothing, so reload what it left
                 * alone (PM2's reload), one instance at a time, once the release link moved. */
                strbuf_addf(&c->handlers,
                            "    - name: Reload the apps left unchanged by apply step %u\n"
                            "      ansible.builtin.command:\n"
                            "        argv: [pmgen, reload, \"{{ item.name }}\"]\n"
                            "      loop: \"{{ pmgen_deploy_apply_%u.apps | default([]) | selectattr('action', 'equalto', "
                            "'unchanged') | list }}\"\n"
                            "      loop_control:\n"
                            "        label: \"{{ item.name }}\"\n"
                            "      listen: pmgen release changed\n"
                            "      changed_when: true\n",
                            c->n_apply, c->n_apply);
                if (c->become)
                        strbuf_adds(&c->handlers, "      become: true\n");
        }
        free(file);
        free(env);
        strbuf_free(&why);
        strbuf_free(&why2);
        return 1;
}

/* A hook value: a string of commands (&& and ; separated). */
static int hook(dctx *c, const value *root_env, const char *key, const char *chdir, const char *when, bool local) {
        const value *v = get(root_env, key);
        const char *s = want_string(c, v, key);
        char **parts = NULL;
        int r;

        if (!s)
                return 0;
        r = split_commands(s, &parts);
        if (r < 0)
                return r;
        for (size_t i = 0; parts && parts[i]; i++) {
                if (strcmp(key, "post-deploy") == 0 && pm2_command(c, v, parts[i]))
                        continue;
                if (strcmp(key, "post-deploy") != 0) {
                        const char *w[2];
                        size_t wl[2];

                        if (words(parts[i], w, wl, 1) == 1 && word_is(w[0], wl[0], "pm2")) {
                                diag_warning(c->dl, v->where, "deploy.%s.%s: not mapped: `%s` (pmgen manages the apps)",
                                             c->env, key, parts[i]);
                                strbuf line = STRBUF_INIT;

                                strbuf_addf(&line, "%s, not mapped: %s", key, parts[i]);
                                comment(c->pb, "    ", strbuf_str(&line));
                                strbuf_free(&line);
                                strbuf_addf(&c->notes, "%s: `%s`\n", key, parts[i]);
                                continue;
                        }
                }
                shell_task(c, key, parts[i], chdir, when, local);
        }
        strv_free_(parts);
        return 0;
}

static const char *const known_keys[] = { "user",     "host",       "ref",          "repo",
                                          "path",     "pre-setup",  "post-setup",   "pre-deploy-local",
                                          "pre-deploy", "post-deploy", "ssh_options", "env",
                                          "key",      NULL };

int deploy_export_render(const value *root, const char *env, const char *file, strbuf *inventory, strbuf *playbook,
                         diag_list *dl) {
        const value *deploy = get(root, "deploy"), *e, *v;
        const char *user, *repo, *ref, *path, *key;
        size_t errors = dl->errors;
        strbuf pb = STRBUF_INIT, inv = STRBUF_INIT;
        dctx c = { .env = env, .dl = dl, .pb = &pb, .notes = STRBUF_INIT, .handlers = STRBUF_INIT };
        int r = 0;

        if (!deploy || deploy->type != V_OBJECT) {
                diag_error(dl, deploy ? deploy->where : root->where,
                           "expected a 'deploy' object with one member per environment (PM2's deploy section)%s",
                           deploy ? "" : ", found none");
                return -EINVAL;
        }
        e = get(deploy, env);
        if (!e || e->type != V_OBJECT) {
                strbuf names = STRBUF_INIT;

                for (size_t i = 0; i < deploy->obj.n; i++)
                        strbuf_addf(&names, "%s%s", i ? ", " : "", deploy->obj.m[i].key);
                diag_error(dl, e ? e->where : deploy->where, "deploy.%s: expected an object; the environments here: %s", env,
                           names.len ? strbuf_str(&names) : "none");
                strbuf_free(&names);
                return -EINVAL;
        }
        if (!all_of(env, ALNUM "_-")) {
                diag_error(dl, e->where, "deploy.%s: the environment name becomes an inventory group: letters, digits, _ and -",
                           env);
                return -EINVAL;
        }
        for (size_t i = 0; i < e->obj.n; i++) {
                bool known = false;

                for (size_t k = 0; known_keys[k] && !known; k++)
                        known = strcmp(known_keys[k], e->obj.m[i].key) == 0;
                if (!known) {
                        diag_warning(dl, e->obj.m[i].key_where, "deploy.%s.%s: unknown to pm2 deploy; left out", env,
                                     e->obj.m[i].key);
                        strbuf_addf(&c.notes, "%s: unknown key, left out\n", e->obj.m[i].key);
                }
        }
        user = want_string(&c, get(e, "user"), "user");
        repo = want_string(&c, get(e, "repo"), "repo");
        ref = want_string(&c, get(e, "ref"), "ref");
        path = want_string(&c, get(e, "path"), "path");
        key = want_string(&c, get(e, "key"), "key");
        if (user && !user_ok(user))
                diag_error(dl, get(e, "user")->where, "deploy.%s.user: '%s' is not a user name (letters, digits, ._-)", env, user);
        if (!repo)
                diag_error(dl, e->where, "deploy.%s: expected 'repo' (the git repository to deploy)", env);
        if (!path)
                diag_error(dl, e->where, "deploy.%s: expected 'path' (the directory on the hosts)", env);
        else if (path[0] != '/' || strchr(path, '\n'))
                diag_error(dl, get(e, "path")->where, "deploy.%s.path: expected an absolute path, found '%s'", env, path);
        c.become = user && strcmp(user, "root") != 0;

        /* ---- the inventory ---- */
        strbuf_addf(&inv, "---\n# Generated by pmgen deploy-export, from deploy.%s of\n#   %s\n# The hosts of `pm2 deploy %s`; "
                          "add per-host variables under each host.\nall:\n  children:\n    %s:\n      hosts:\n",
                    env, file, env, env);
        v = get(e, "host");
        if (!v)
                diag_error(dl, e->where, "deploy.%s: expected 'host' (a host name or a list of them)", env);
        else if (v->type == V_STRING || v->type == V_ARRAY) {
                size_t n = v->type == V_ARRAY ? v->arr.n : 1;

                if (n == 0)
                        diag_error(dl, v->where, "deploy.%s.host: the list is empty", env);
                for (size_t i = 0; i < n; i++) {
                        const value *h = v->type == V_ARRAY ? v->arr.items[i] : v;

                        if (h->type != V_STRING || !host_ok(h->str.s))
                                diag_error(dl, h->where, "deploy.%s.host: expected a host name (letters, digits, ._-:[]), found %s",
                                           env, h->type == V_STRING ? h->str.s : value_type_name(h->type));
                        else {
                                strbuf_adds(&inv, "        ");
                                yaml_name(&inv, h->str.s);
                                strbuf_adds(&inv, ": {}\n");
                        }
                }
        } else
                diag_error(dl, v->where, "deploy.%s.host: expected a string or a list of strings, found %s", env,
                           value_type_name(v->type));
        if (user || key || get(e, "ssh_options")) {
                strbuf_adds(&inv, "      vars:\n");
                if (user)
                        strbuf_addf(&inv, "        ansible_user: \"%s\"\n", user);
                if (key) {
                        strbuf_adds(&inv, "        ansible_ssh_private_key_file: ");
                        yaml_unsafe(&inv, key);
                        strbuf_addc(&inv, '\n');
                }
                v = get(e, "ssh_options");
                if (v) {
                        strbuf args = STRBUF_INIT;
                        size_t n = v->type == V_ARRAY ? v->arr.n : 1;

                        for (size_t i = 0; i < n; i++) {
                                const value *o = v->type == V_ARRAY ? v->arr.items[i] : v;

                                if (o->type != V_STRING || strchr(o->str.s, '\'') || strchr(o->str.s, '\n'))
                                        diag_error(dl, o->where,
                                                   "deploy.%s.ssh_options: expected strings without quotes or newlines", env);
                                else
                                        strbuf_addf(&args, "%s-o '%s'", args.len ? " " : "", o->str.s);
                        }
                        strbuf_adds(&inv, "        ansible_ssh_common_args: ");
                        yaml_unsafe(&inv, strbuf_str(&args));
                        strbuf_addc(&inv, '\n');
                        strbuf_free(&args);
                }
        }
        if (dl->errors > errors) {
                r = -EINVAL;
                goto out;
        }

        /* ---- the playbook ---- */
        strbuf_addf(&pb, "- name: Deploy %s (was pm2 deploy %s)\n  hosts: %s\n  serial: 1\n  max_fail_percentage: 0\n"
                    "  gather_facts: false\n", env,
                    env, env);
        strbuf_adds(&pb, "  vars:\n    pmgen_deploy_path: ");
        yaml_unsafe(&pb, path);
        strbuf_adds(&pb, "\n    pmgen_deploy_repo: ");
        yaml_unsafe(&pb, repo);
        strbuf_adds(&pb, "\n    pmgen_deploy_ref: ");
        /* PM2 resets to "origin/main"; git clones then check out "main". */
        yaml_unsafe(&pb, ref ? (str_has_prefix(ref, "origin/") ? ref + 7 : ref) : "HEAD");
        strbuf_addc(&pb, '\n');
        v = get(e, "env");
        if (v && v->type != V_OBJECT)
                diag_error(dl, v->where, "deploy.%s.env: expected an object of variables, found %s", env,
                           value_type_name(v->type));
        else if (v && v->obj.n) {
                strbuf_adds(&pb, "  environment:\n");
                for (size_t i = 0; i < v->obj.n; i++) {
                        const member *m = &v->obj.m[i];
                        char buf[VALUE_NUMBER_BUF];
                        const char *val = m->val->type == V_STRING   ? m->val->str.s
                                          : m->val->type == V_NUMBER ? value_number_to_string(m->val->num, buf)
                                          : m->val->type == V_BOOL   ? (m->val->b ? "true" : "false")
                                                                     : NULL;

                        if (!env_name_ok(m->key) || !val) {
                                diag_error(dl, m->key_where, "deploy.%s.env.%s: expected a variable name and a string value", env,
                                           m->key);
                                continue;
                        }
                        strbuf_addf(&pb, "    %s: ", m->key);
                        yaml_unsafe(&pb, val);
                        strbuf_addc(&pb, '\n');
                }
        }
        strbuf_adds(&pb, "  tasks:\n");
        if ((r = hook(&c, e, "pre-deploy-local", NULL, NULL, true)) < 0)
                goto out;
        strbuf_adds(&pb, "    - name: Look for an earlier setup\n"
                         "      ansible.builtin.stat:\n"
                         "        path: \"{{ pmgen_deploy_path }}/source\"\n"
                         "      register: pmgen_deploy_setup\n");
        if ((r = hook(&c, e, "pre-setup", NULL, "not pmgen_deploy_setup.stat.exists", false)) < 0)
                goto out;
        strbuf_adds(&pb, "    - name: Create the releases directory\n"
                         "      ansible.builtin.file:\n"
                         "        path: \"{{ pmgen_deploy_path }}/releases\"\n"
                         "        state: directory\n"
                         "        mode: \"0755\"\n"
                         "    - name: Fetch the code (pm2 deploy's git clone / fetch)\n"
                         "      ansible.builtin.git:\n"
                         "        repo: \"{{ pmgen_deploy_repo }}\"\n"
                         "        dest: \"{{ pmgen_deploy_path }}/source\"\n"
                         "        version: \"{{ pmgen_deploy_ref }}\"\n"
                         "      register: pmgen_deploy_source\n");
        if ((r = hook(&c, e, "post-setup", "source", "not pmgen_deploy_setup.stat.exists", false)) < 0 ||
            (r = hook(&c, e, "pre-deploy", "source", NULL, false)) < 0)
                goto out;
        strbuf_adds(&pb, "    - name: Check out the release into releases/<commit>\n"
                         "      ansible.builtin.git:\n"
                         "        repo: \"{{ pmgen_deploy_path }}/source\"\n"
                         "        dest: \"{{ pmgen_deploy_path }}/releases/{{ pmgen_deploy_source.after }}\"\n"
                         "        version: \"{{ pmgen_deploy_source.after }}\"\n"
                         "    - name: Point current at the release\n"
                         "      ansible.builtin.file:\n"
                         "        src: \"{{ pmgen_deploy_path }}/releases/{{ pmgen_deploy_source.after }}\"\n"
                         "        dest: \"{{ pmgen_deploy_path }}/current\"\n"
                         "        state: link\n"
                         "      notify: pmgen release changed\n");
        if ((r = hook(&c, e, "post-deploy", "current", NULL, false)) < 0)
                goto out;
        if (c.n_apply == 0) {
                strbuf_adds(&pb, "    # No `pm2 reload|startOrReload FILE --env X` in post-deploy: add the apply step, e.g.\n"
                                 "    # - name: Apply the declarations\n"
                                 "    #   pmgen.pmgen.apply:\n"
                                 "    #     src: \"{{ pmgen_deploy_path }}/current/ecosystem.config.js\"\n");
                strbuf_adds(&c.notes, "post-deploy: no pm2 start/reload of an ecosystem file: no apply step\n");
        }
        if (c.handlers.len) {
                strbuf_adds(&pb, "  handlers:\n");
                strbuf_add(&pb, c.handlers.s, c.handlers.len);
        }
        if (dl->errors > errors)
                r = -EINVAL;
out:
        if (r == 0) {
                strbuf_addf(playbook,
                            "---\n# Generated by pmgen deploy-export, from deploy.%s of\n#   %s\n# `pm2 deploy %s` as an Ansible play.\n"
                            "# It needs the pmgen.pmgen collection (contrib/ansible; pmgen(1), DEPLOY-EXPORT):\n"
                            "#   ANSIBLE_COLLECTIONS_PATH=contrib/ansible ansible-playbook -i inventory-%s.yml deploy-%s.yml\n"
                            "# Layout on the hosts: PATH/source (the clone), PATH/releases/<commit>, PATH/current -> the release.\n",
                            env, file, env, env, env);
                for (const char *p = strbuf_str(&c.notes); *p;) {
                        size_t len = strcspn(p, "\n");
                        strbuf line = STRBUF_INIT;

                        strbuf_adds(&line, "Not mapped: ");
                        strbuf_add(&line, p, len);
                        comment(playbook, "", strbuf_str(&line));
                        strbuf_free(&line);
                        p += len + (p[len] == '\n');
                }
                strbuf_add(playbook, pb.s ? pb.s : "", pb.len);
                strbuf_add(inventory, inv.s ? inv.s : "", inv.len);
                if (pb.oom || inv.oom || c.notes.oom || c.handlers.oom || playbook->oom || inventory->oom)
                        r = -ENOMEM;
        }
        strbuf_free(&pb);
        strbuf_free(&inv);
        strbuf_free(&c.notes);
        strbuf_free(&c.handlers);
        return r;
}

/* ---- the command ------------------------------------------------------------------------------ */

int cmd_deploy_export(const verb_opts *o, const char *file, const char *env) {
        diag_list dl = DIAG_LIST_INIT;
        strbuf inv = STRBUF_INIT, pb = STRBUF_INIT, iname = STRBUF_INIT, pname = STRBUF_INIT;
        char cwd[PATH_MAX], *text = NULL, *abs = NULL;
        size_t len = 0;
        value *raw = NULL;
        js_host h;
        int r, ret = 0;

        if (!o->output) {
                fprintf(stderr, "pmgen: deploy-export: expected -o DIR (where the inventory and the playbook go)\n"
                                "Try 'pmgen --help'.\n");
                return EXIT_USAGE;
        }
        if (decl_format_of(file) != FORMAT_JS) {
                fprintf(stderr, "pmgen: deploy-export: %s: expected an ecosystem file (.js, .cjs, .mjs, .json): "
                                "the INI form has no deploy section\n", file);
                return EXIT_USAGE;
        }
        if (!getcwd(cwd, sizeof(cwd)) || !(abs = path_resolve(cwd, file))) {
                fprintf(stderr, "pmgen: deploy-export: %s\n", strerror(errno ? errno : ENOMEM));
                return EXIT_SYSTEM;
        }
        r = read_file(file, 4u << 20, &text, &len);
        if (r < 0) {
                diag_error(&dl, ((loc){ file, 0, 0 }), "cannot read: %s", r == -EFBIG ? "larger than 4 MiB" : strerror(-r));
                ret = EXIT_DECL;
                goto out;
        }
        host_js(&h, cwd);
        r = js_parse(file, abs, text, len, &h, &raw, &dl);
        if (r == 0)
                r = deploy_export_render(raw, env, file, &inv, &pb, &dl);
        print_diags(&dl, o->quiet);
        diag_list_free(&dl);
        if (r < 0) {
                ret = r == -ENOMEM ? EXIT_SYSTEM : EXIT_DECL;
                goto out;
        }
        strbuf_addf(&iname, "inventory-%s.yml", env);
        strbuf_addf(&pname, "deploy-%s.yml", env);
        if (iname.oom || pname.oom) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        {
                out_file f[2] = { { iname.s, inv.s, 0644, false }, { pname.s, pb.s, 0644, false } };
                out_files of = { f, 2 };
                const char *failed = NULL;

                r = write_out_files(o->output, &of, &failed);
                if (r < 0) {
                        fprintf(stderr, "pmgen: cannot write %s/%s: %s\n", o->output, failed == o->output ? "" : failed,
                                strerror(-r));
                        ret = EXIT_SYSTEM;
                        goto out;
                }
        }
        if (!o->quiet)
                fprintf(stderr, "pmgen: wrote %s/%s and %s/%s\n", o->output, strbuf_str(&iname), o->output,
                        strbuf_str(&pname));
out:
        print_diags(&dl, o->quiet);
        if (ret == EXIT_DECL)
                fprintf(stderr, "pmgen: nothing was written\n");
        value_free(raw);
        free(text);
        free(abs);
        strbuf_free(&inv);
        strbuf_free(&pb);
        strbuf_free(&iname);
        strbuf_free(&pname);
        diag_list_free(&dl);
        return ret;
}
