/* SPDX-License-Identifier: MIT */
#include "compile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "parse-ini.h"
#include "parse-js.h"
#include "plan.h"

#define DECL_MAX_BYTES (4u << 20)

extern char **environ;

decl_format decl_format_of(const char *path) {
        static const char *const js[] = { ".js", ".cjs", ".mjs", ".json" };

        for (size_t i = 0; i < 4; i++)
                if (str_has_suffix(path, js[i]))
                        return FORMAT_JS;
        if (str_has_suffix(path, ".ini"))
                return FORMAT_INI;
        return FORMAT_UNKNOWN;
}

/* --eval: node evaluates the file and prints the export as JSON. */
static const char eval_script[] =
        "const f=process.argv[1];"
        "const out=v=>{v=(v&&v.__esModule&&v.default)||(v&&v.default&&Object.keys(v).length===1?v.default:v);"
        "process.stdout.write(JSON.stringify(v===undefined?null:v));};"
        "if(f.endsWith('.mjs'))import(require('url').pathToFileURL(f)).then(out,e=>{console.error(e.message);process.exit(1)});"
        "else out(require(f));";

static int run_eval(const char *abs_file, char **ret, size_t *len, strbuf *err) {
        plan_host h;
        char *node;
        int pfd[2], r = 0, status;
        pid_t pid;
        posix_spawn_file_actions_t fa;
        strbuf sb = STRBUF_INIT;

        host_plan(&h);
        node = h.which(NULL, "node");
        if (!node) {
                strbuf_adds(err, "--eval needs node on PATH");
                return -ENOENT;
        }
        if (pipe2(pfd, O_CLOEXEC) < 0) {
                free(node);
                return -errno;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
        char *argv[] = { node, (char *) "-e", (char *) eval_script, (char *) abs_file, NULL };

        r = -posix_spawn(&pid, node, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pfd[1]);
        if (r == 0) {
                char buf[65536];
                ssize_t n;

                while ((n = read(pfd[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
                        if (n > 0 && sb.len < DECL_MAX_BYTES)
                                strbuf_add(&sb, buf, (size_t) n);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        strbuf_adds(err, "node could not evaluate the file (its error is above)");
                        r = -EINVAL;
                }
        }
        close(pfd[0]);
        free(node);
        if (r == 0 && sb.oom)
                r = -ENOMEM;
        if (r < 0) {
                strbuf_free(&sb);
                return r;
        }
        *len = sb.len;
        *ret = strbuf_steal(&sb);
        return 0;
}

static char *dir_of(const char *abs) {
        const char *slash = strrchr(abs, '/');

        return slash == abs ? strdup("/") : xstrndup(abs, (size_t) (slash - abs));
}

int decl_load(const char *file, const compile_opts *o, decl_file *ret, diag_list *dl) {
        decl_file d = { 0 };
        char cwd[PATH_MAX];
        decl_format fmt = decl_format_of(file);
        loc whole = { file, 0, 0 };
        int r;

        if (fmt == FORMAT_UNKNOWN) {
                diag_error(dl, whole, "unknown declaration format: expected a .js, .cjs, .mjs, .json or .ini file");
                return -EINVAL;
        }
        if (!getcwd(cwd, sizeof(cwd)))
                return -errno;
        d.file = file;
        d.abs_file = path_resolve(cwd, file);
        if (!d.abs_file || !(d.dir = dir_of(d.abs_file))) {
                r = -ENOMEM;
                goto fail;
        }
        if (o->eval && fmt == FORMAT_JS) {
                strbuf err = STRBUF_INIT;

                r = run_eval(d.abs_file, &d.text, &d.len, &err);
                if (r < 0) {
                        diag_error(dl, ((loc){ d.file, 0, 0 }), "%s", err.len ? strbuf_str(&err) : strerror(-r));
                        strbuf_free(&err);
                        goto fail;
                }
                strbuf_free(&err);
        } else {
                r = read_file(file, DECL_MAX_BYTES, &d.text, &d.len);
                if (r < 0) {
                        diag_error(dl, ((loc){ d.file, 0, 0 }), "cannot read: %s",
                                   r == -EFBIG ? "larger than 4 MiB" : strerror(-r));
                        goto fail;
                }
        }
        if (fmt == FORMAT_JS) {
                js_host h;

                host_js(&h, cwd);
                r = js_parse(d.file, d.abs_file, d.text, d.len, &h, &d.raw, dl);
        } else
                r = ini_parse_text(d.file, d.text, d.len, &d.raw, dl);
        if (r < 0)
                goto fail;
        r = model_build(d.raw, d.file, &d.m, dl);
        if (r < 0)
                goto fail;
        *ret = d;
        return 0;
fail:
        decl_free(&d);
        return r;
}

int decl_emit(const decl_file *d, const compile_opts *o, out_files *out, diag_list *dl) {
        plan_host h;
        plan_opts po = { .profile = o->profile, .source = d->abs_file, .source_dir = d->dir,
                         .paths_must_exist = o->paths_must_exist };
        emit_opts eo = { .generator = o->generator, .source = d->abs_file, .shim_path = o->shim_path,
                         .preload_path = o->preload_path, .bind_preload_path = o->bind_preload_path,
                         .user = o->user };
        int r = 0;

        host_plan(&h);
        for (size_t i = 0; i < d->m.n_apps; i++) {
                app_plan p;
                int q = plan_app(&d->m.apps[i], &po, &h, &p, dl);

                if (q == 0) {
                        q = emit_app(&p, &eo, out, dl);
                        plan_free(&p);
                }
                if (q == -ENOMEM)
                        return q;
                if (q < 0)
                        r = q;
        }
        return r;
}

void decl_free(decl_file *d) {
        if (!d)
                return;
        model_free(&d->m);
        value_free(d->raw);
        free(d->text);
        free(d->dir);
        free(d->abs_file);
        memset(d, 0, sizeof(*d));
}
