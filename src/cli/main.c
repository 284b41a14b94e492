/* SPDX-License-Identifier: MIT */
/* pmgen: the command line. Verbs are thin: they call the compile pipeline
 * (compile.c) and print what it found. Exit codes (pmgen(1)):
 *   0 success, 1 the declarations have errors, 2 usage error, 3 system error. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "host.h"
#include "write.h"

enum { EXIT_DECL = 1, EXIT_USAGE = 2, EXIT_SYSTEM = 3 };

static const char usage_text[] =
        "Usage: pmgen COMMAND [OPTIONS] FILE...\n"
        "\n"
        "Compile PM2 ecosystem files (or pmgen INI files) into systemd units.\n"
        "\n"
        "Commands:\n"
        "  check FILE...             validate; print every problem as file:line:col\n"
        "  generate FILE... -o DIR   write the units of every app into DIR\n"
        "  convert FILE [--to ini|js|json]\n"
        "                            print the declaration in another form (default:\n"
        "                            .js/.json -> ini, .ini -> js)\n"
        "\n"
        "Options:\n"
        "  -e, --env NAME            apply env_NAME over env (PM2's --env)\n"
        "  -o, --output DIR          where generate writes (e.g. /etc/systemd/system)\n"
        "      --eval                let node evaluate a .js file that needs real code\n"
        "                            (it runs the file; the generator never does)\n"
        "      --shim PATH           pmgen-shim path written into units\n"
        "                            (default " PMGEN_SHIM_PATH ")\n"
        "      --node-preload PATH   node preload path written into units\n"
        "                            (default " PMGEN_NODE_PRELOAD_PATH ")\n"
        "  -q, --quiet               do not print warnings\n"
        "  -h, --help                show this help\n"
        "      --version             show the version\n"
        "\n"
        "Exit status: 0 ok, 1 errors in the declarations, 2 usage, 3 system error.\n"
        "See pmgen(1) and pmgen.ini(5).\n";

typedef struct cli {
        compile_opts co;
        const char *output;
        const char *to;
        bool quiet;
} cli;

static int usage_error(const char *fmt, const char *arg) {
        fprintf(stderr, "pmgen: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\nTry 'pmgen --help'.\n");
        return EXIT_USAGE;
}

static void print_diags(const diag_list *dl, bool quiet) {
        strbuf sb = STRBUF_INIT;

        for (size_t i = 0; i < dl->n; i++)
                if (!quiet || dl->v[i].level == DIAG_ERROR)
                        diag_render_one(&dl->v[i], &sb);
        if (dl->oom)
                strbuf_adds(&sb, "pmgen: out of memory while recording diagnostics\n");
        fputs(strbuf_str(&sb), stderr);
        strbuf_free(&sb);
}

static int exit_for(int r) {
        return r == -EINVAL ? EXIT_DECL : r < 0 ? EXIT_SYSTEM : 0;
}

/* Loads every file; on success *decls holds n of them. */
static int load_all(cli *c, int n, char **files, decl_file *decls, diag_list *dl) {
        int r = 0;

        for (int i = 0; i < n; i++) {
                int q = decl_load(files[i], &c->co, &decls[i], dl);

                if (q < 0 && (r == 0 || q != -EINVAL))
                        r = q;
        }
        return r;
}

static int cmd_check_or_generate(cli *c, bool write, int n, char **files) {
        decl_file *decls = calloc((size_t) n, sizeof(decl_file));
        diag_list dl = DIAG_LIST_INIT;
        out_files out = { 0 };
        size_t apps = 0;
        int r;

        if (!decls)
                return EXIT_SYSTEM;
        r = load_all(c, n, files, decls, &dl);
        for (int i = 0; r == 0 && i < n; i++) {
                int q = decl_emit(&decls[i], &c->co, &out, &dl);

                apps += decls[i].m.n_apps;
                if (q < 0)
                        r = q;
        }
        /* Two declarations that make the same unit. */
        for (size_t i = 0; r == 0 && i < out.n; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(out.v[i].name, out.v[j].name) == 0 && !out.v[i].symlink) {
                                diag_error(&dl, ((loc){ files[0], 0, 0 }), "two apps generate %s: app names must be unique",
                                           out.v[i].name);
                                r = -EINVAL;
                        }
        if (r == 0 && diag_failed(&dl))
                r = -EINVAL;
        print_diags(&dl, c->quiet);
        if (r == 0 && write) {
                const char *failed = NULL;
                int q = write_out_files(c->output, &out, &failed);

                if (q < 0) {
                        fprintf(stderr, "pmgen: cannot write %s/%s: %s\n", c->output,
                                failed == c->output ? "" : failed, strerror(-q));
                        r = q;
                } else if (!c->quiet)
                        fprintf(stderr, "pmgen: wrote %zu files for %zu app%s to %s\n", out.n, apps, apps == 1 ? "" : "s",
                                c->output);
        } else if (r == 0 && !c->quiet)
                fprintf(stderr, "pmgen: %zu app%s OK\n", apps, apps == 1 ? "" : "s");
        out_files_free(&out);
        for (int i = 0; i < n; i++)
                decl_free(&decls[i]);
        free(decls);
        diag_list_free(&dl);
        return exit_for(r);
}

static int cmd_convert(cli *c, const char *file) {
        diag_list dl = DIAG_LIST_INIT;
        decl_file d;
        strbuf sb = STRBUF_INIT;
        const char *to = c->to;
        int r;

        if (!to)
                to = decl_format_of(file) == FORMAT_INI ? "js" : "ini";
        for (const char *p = file; *p; p++)
                if ((unsigned char) *p < 0x20)
                        return usage_error("%s", "convert: the file name has a control character");
        if (strcmp(to, "ini") && strcmp(to, "js") && strcmp(to, "json"))
                return usage_error("--to: expected ini, js or json, found '%s'", to);
        r = decl_load(file, &c->co, &d, &dl);
        if (r == 0) {
                if (strcmp(to, "ini") == 0) {
                        strbuf_addf(&sb, "; pmgen declaration, converted by pmgen convert from %s\n", file);
                        r = value_to_ini(d.m.root, &sb, &dl);
                } else if (strcmp(to, "js") == 0) {
                        strbuf_addf(&sb, "// pmgen declaration, converted by pmgen convert from %s\n", file);
                        value_to_js(d.m.root, &sb);
                } else {
                        value_to_json(d.m.root, &sb, 2);
                        strbuf_addc(&sb, '\n');
                }
                if (r == 0 && sb.oom)
                        r = -ENOMEM;
                decl_free(&d);
        }
        print_diags(&dl, c->quiet);
        if (r == 0 && fwrite(sb.s, 1, sb.len, stdout) != sb.len)
                r = -EIO;
        if (r == 0 && fflush(stdout) != 0)
                r = -EIO;
        strbuf_free(&sb);
        diag_list_free(&dl);
        return exit_for(r);
}

int main(int argc, char **argv) {
        enum { OPT_EVAL = 256, OPT_SHIM, OPT_PRELOAD, OPT_VERSION, OPT_TO };
        static const struct option opts[] = {
                { "env", required_argument, NULL, 'e' },       { "output", required_argument, NULL, 'o' },
                { "eval", no_argument, NULL, OPT_EVAL },         { "shim", required_argument, NULL, OPT_SHIM },
                { "node-preload", required_argument, NULL, OPT_PRELOAD },
                { "to", required_argument, NULL, OPT_TO },       { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },              { "version", no_argument, NULL, OPT_VERSION },
                { NULL, 0, NULL, 0 },
        };
        cli c = { .co = { .shim_path = PMGEN_SHIM_PATH, .preload_path = PMGEN_NODE_PRELOAD_PATH, .generator = "pmgen" } };
        const char *cmd;
        int o;

        if (argc >= 2 && argv[1][0] != '-') {
                cmd = argv[1];
                argv[1] = argv[0];
                argc--;
                argv++;
        } else
                cmd = NULL;
        while ((o = getopt_long(argc, argv, "e:o:qh", opts, NULL)) != -1) {
                switch (o) {
                case 'e':
                        c.co.profile = optarg;
                        break;
                case 'o':
                        c.output = optarg;
                        break;
                case OPT_EVAL:
                        c.co.eval = true;
                        break;
                case OPT_SHIM:
                        c.co.shim_path = optarg;
                        break;
                case OPT_PRELOAD:
                        c.co.preload_path = optarg;
                        break;
                case OPT_TO:
                        c.to = optarg;
                        break;
                case 'q':
                        c.quiet = true;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return 0;
                case OPT_VERSION:
                        puts("pmgen " PMGEN_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "Try 'pmgen --help'.\n");
                        return EXIT_USAGE;
                }
        }
        if (!cmd && optind < argc)
                cmd = argv[optind++];
        if (!cmd)
                return usage_error("%s", "missing command (check, generate or convert)");
        int nfiles = argc - optind;
        char **files = argv + optind;

        if (c.co.shim_path[0] != '/' || c.co.preload_path[0] != '/')
                return usage_error("%s", "--shim and --node-preload need absolute paths");
        if (strcmp(cmd, "check") == 0 || strcmp(cmd, "generate") == 0) {
                bool gen = cmd[0] == 'g';

                if (nfiles < 1)
                        return usage_error("%s: expected at least one declaration file", cmd);
                if (gen && !c.output)
                        return usage_error("%s", "generate: expected -o DIR (for example -o /etc/systemd/system)");
                return cmd_check_or_generate(&c, gen, nfiles, files);
        }
        if (strcmp(cmd, "convert") == 0) {
                if (nfiles != 1)
                        return usage_error("%s", "convert: expected exactly one declaration file");
                return cmd_convert(&c, files[0]);
        }
        if (strcmp(cmd, "help") == 0) {
                fputs(usage_text, stdout);
                return 0;
        }
        return usage_error("unknown command '%s' (expected check, generate or convert)", cmd);
}
