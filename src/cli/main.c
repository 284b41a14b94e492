/* SPDX-License-Identifier: MIT */
/* pmgen: the command line. Verbs are thin: they call the compile pipeline
 * (compile.c), apply (apply.c), PM2's verbs (verbs.c) or import (import.c) and print
 * what they found. Run as pmgen-generator or pmgen-user-generator it is the systemd
 * generator (generator.c). Exit codes (pmgen(1), cli.h):
 *   0 success, 1 the declarations have errors, 2 usage error, 3 system error,
 *   4 a systemd job failed, 5 no such app. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adhoc.h"
#include "apply.h"
#include "cli.h"
#include "compile.h"
#include "deployexport.h"
#include "envcmd.h"
#include "generator.h"
#include "host.h"
#include "import.h"
#include "monit.h"
#include "pm2compat.h"
#include "verbs.h"
#include "write.h"

static const char usage_text[] =
        "Usage: pmgen COMMAND [OPTIONS] [ARG...]\n"
        "\n"
        "Compile PM2 ecosystem files (or pmgen INI files) into systemd units, apply them\n"
        "and run PM2's verbs against systemd.\n"
        "\n"
        "Compiling:\n"
        "  check FILE...             validate; print every problem as file:line:col\n"
        "  generate FILE... -o DIR   write the units of every app into DIR\n"
        "  convert FILE [--to ini|js|json]\n"
        "                            print the declaration in another form (default:\n"
        "                            .js/.json -> ini, .ini -> js)\n"
        "\n"
        "Running (like PM2):\n"
        "  apply [FILE...]           converge systemd to the declarations (default:\n"
        "                            ./ecosystem.config.js); --env, --dry-run, --prune\n"
        "  diff [FILE...]            what apply would change: its plan, then each app's units as a\n"
        "                            unified diff (environment values hidden); changes nothing\n"
        "  ls | status               instances: pid, uptime, restarts, status, cpu, memory\n"
        "  logs [APP]                the apps' journal records; --lines N, -f, --err, --json\n"
        "  start|stop APP|all        start or stop an app's target\n"
        "                            (APP@N: one instance, for start, stop, restart, reload,\n"
        "                            reset and logs)\n"
        "  start SCRIPT [PM2 flags]  declare a script as an app (/etc/pmgen/NAME.ini) and\n"
        "                            apply it: -i N|max, --name, --port, --env K=V, --cwd,\n"
        "                            ... (pmgen start --help); start FILE [--only A,B]\n"
        "                            applies an ecosystem file\n"
        "  restart APP|all           restart its instances; --update-env regenerates first\n"
        "  reload APP|all            reload the instances one at a time\n"
        "  scale APP N|+N|-N         change its instance count in the declaration, converge\n"
        "  delete APP|all            stop it and remove its declaration\n"
        "  describe APP              declaration, units, env (masked), sockets, limits, exits\n"
        "  reset APP|all             start an app that reached max_restarts (errored) again\n"
        "  env APP                   the environment an instance runs with, and where each variable\n"
        "                            comes from (declared values masked)\n"
        "  monit                     a live view: instances, cpu, memory/limit, journal;\n"
        "                            keys r reload, R restart, up/down, PgUp/PgDn, q\n"
        "  import [DUMP]             PM2's dump.pm2 as a declaration (-o FILE, --apply)\n"
        "  generator DIR [DIR DIR]   run the systemd generator (as pmgen-generator does)\n"
        "  deploy-export FILE ENV -o DIR\n"
        "                            PM2's deploy section as an Ansible inventory and\n"
        "                            playbook (the pmgen.pmgen collection)\n"
        "\n"
        "Options:\n"
        "  -e, --env NAME            apply env_NAME over env (PM2's --env)\n"
        "  -o, --output DIR|FILE     where generate and deploy-export (a directory) or\n"
        "                            import (a file) write\n"
        "      --user                the user manager (systemctl --user) and ~/.config/pmgen\n"
        "      --dry-run             apply, scale, delete: print the plan, change nothing\n"
        "      --prune               apply: also remove apps applied earlier from other files\n"
        "      --json                ls, logs, apply: JSON for scripts\n"
        "  -n, --lines N             logs: the last N records (default 15)\n"
        "  -f, --follow              logs: keep printing new records\n"
        "      --err                 logs: records at priority warning or worse\n"
        "      --time                logs: each line with its time (an app's log_date_format, else ISO 8601)\n"
        "      --update-env          restart: regenerate the units from the declarations first\n"
        "      --apply               import: apply the imported declaration at once\n"
        "      --all-env             import: keep the session variables of PM2's environment\n"
        "      --to ini|js|json      convert, import: the form to print\n"
        "      --eval                let node evaluate a .js file that needs real code\n"
        "                            (it runs the file; the generator never does)\n"
        "      --shim PATH           pmgen-shim path written into units\n"
        "                            (default " PMGEN_SHIM_PATH ")\n"
        "      --node-preload PATH   node preload path written into units\n"
        "                            (default " PMGEN_NODE_PRELOAD_PATH ")\n"
        "      --bind-preload PATH   libpmgen-bind.so path written into units (cluster\n"
        "                            mode without a port; default " PMGEN_BIND_PRELOAD_PATH ")\n"
        "  -q, --quiet               do not print warnings\n"
        "  -h, --help                show this help\n"
        "      --version             show the version\n"
        "\n"
        "Exit status: 0 ok, 1 errors in the declarations, 2 usage, 3 system error,\n"
        "4 a systemd job failed, 5 no such app. See pmgen(1) and pmgen.ini(5).\n";

typedef struct cli {
        compile_opts co;
        const char *output;
        const char *to;
        bool quiet;
        verb_opts v;
} cli;

static int usage_error(const char *fmt, const char *arg) {
        fprintf(stderr, "pmgen: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\nTry 'pmgen --help'.\n");
        return EXIT_USAGE;
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

/* Which options each command takes (a bit per option below). */
enum {
        O_ENV = 1 << 0, O_OUTPUT = 1 << 1, O_EVAL = 1 << 2, O_SHIM = 1 << 3, O_TO = 1 << 4, O_USER = 1 << 5,
        O_DRY = 1 << 6, O_PRUNE = 1 << 7, O_JSON = 1 << 8, O_LINES = 1 << 9, O_FOLLOW = 1 << 10, O_ERR = 1 << 11,
        O_UPDATE = 1 << 12, O_APPLY = 1 << 13, O_ALLENV = 1 << 14,
        O_TIME = 1 << 15,
};

typedef struct command {
        const char *name, *alias;
        unsigned opts;
        int min_args, max_args; /* -1: any */
        const char *args;       /* for messages */
} command;

static const command commands[] = {
        { "check", NULL, O_ENV | O_EVAL | O_SHIM, 1, -1, "FILE..." },
        { "generate", NULL, O_ENV | O_EVAL | O_SHIM | O_OUTPUT | O_USER, 1, -1, "FILE... -o DIR" },
        { "convert", NULL, O_ENV | O_EVAL | O_TO, 1, 1, "FILE" },
        { "apply", NULL, O_ENV | O_EVAL | O_USER | O_DRY | O_PRUNE | O_JSON, 0, -1, "[FILE...]" },
        { "diff", NULL, O_ENV | O_USER | O_PRUNE, 0, -1, "[FILE...]" },
        { "ls", "status", O_USER | O_JSON, 0, 0, "" },
        { "list", NULL, O_USER | O_JSON, 0, 0, "" },
        { "logs", "log", O_USER | O_JSON | O_LINES | O_FOLLOW | O_ERR | O_TIME, 0, 1, "[APP]" },
        { "start", NULL, O_USER, 1, 1, "APP|all" },
        { "stop", NULL, O_USER, 1, 1, "APP|all" },
        { "restart", NULL, O_USER | O_UPDATE, 1, 1, "APP|all" },
        { "reload", NULL, O_USER, 1, 1, "APP|all" },
        { "scale", NULL, O_USER | O_DRY, 2, 2, "APP N|+N|-N" },
        { "delete", "del", O_USER | O_DRY, 1, 1, "APP|all" },
        { "describe", "show", O_USER, 1, 1, "APP" },
        { "reset", NULL, O_USER, 1, 1, "APP|all" },
        { "env", NULL, O_USER, 1, 1, "APP" },
        { "monit", NULL, O_USER, 0, 0, "" },
        { "import", NULL, O_USER | O_OUTPUT | O_TO | O_APPLY | O_ENV | O_DRY | O_ALLENV, 0, 1, "[DUMP]" },
        { "generator", NULL, O_USER, 1, 3, "DIR [DIR DIR]" },
        { "deploy-export", NULL, O_OUTPUT, 2, 2, "FILE ENV -o DIR" },
        { "help", NULL, 0, 0, 1, "" },
};

static const command *find_command(const char *name) {
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, name) == 0 || (commands[i].alias && strcmp(commands[i].alias, name) == 0))
                        return &commands[i];
        return NULL;
}

static const char *prog_base(const char *argv0) {
        const char *b = argv0 ? strrchr(argv0, '/') : NULL;

        return b ? b + 1 : argv0 ? argv0 : "pmgen";
}

int main(int argc, char **argv) {
        enum {
                OPT_EVAL = 256, OPT_SHIM, OPT_PRELOAD, OPT_VERSION, OPT_TO, OPT_USER, OPT_DRY, OPT_PRUNE, OPT_JSON, OPT_ERR,
                OPT_UPDATE, OPT_APPLY, OPT_ALLENV, OPT_BIND_PRELOAD, OPT_TIME,
        };
        static const struct option opts[] = {
                { "env", required_argument, NULL, 'e' },       { "output", required_argument, NULL, 'o' },
                { "eval", no_argument, NULL, OPT_EVAL },         { "shim", required_argument, NULL, OPT_SHIM },
                { "node-preload", required_argument, NULL, OPT_PRELOAD },
                { "bind-preload", required_argument, NULL, OPT_BIND_PRELOAD },
                { "to", required_argument, NULL, OPT_TO },       { "quiet", no_argument, NULL, 'q' },
                { "user", no_argument, NULL, OPT_USER },         { "dry-run", no_argument, NULL, OPT_DRY },
                { "prune", no_argument, NULL, OPT_PRUNE },       { "json", no_argument, NULL, OPT_JSON },
                { "lines", required_argument, NULL, 'n' },       { "follow", no_argument, NULL, 'f' },
                { "err", no_argument, NULL, OPT_ERR },           { "update-env", no_argument, NULL, OPT_UPDATE },
                { "time", no_argument, NULL, OPT_TIME },
                { "apply", no_argument, NULL, OPT_APPLY },       { "all-env", no_argument, NULL, OPT_ALLENV },
                { "help", no_argument, NULL, 'h' },              { "version", no_argument, NULL, OPT_VERSION },
                { NULL, 0, NULL, 0 },
        };
        cli c = { .co = { .shim_path = PMGEN_SHIM_PATH, .preload_path = PMGEN_NODE_PRELOAD_PATH,
                          .bind_preload_path = PMGEN_BIND_PRELOAD_PATH, .generator = "pmgen" },
                  .v = { .lines = -1 } };
        const char *cmd, *base = prog_base(argv[0]);
        const command *cd;
        unsigned given = 0;
        int o;

        /* The systemd generator: the same binary under another name. */
        if (strcmp(base, "pmgen-generator") == 0 || strcmp(base, "pmgen-user-generator") == 0)
                return generator_main(argc, argv, generator_is_user(getenv("SYSTEMD_SCOPE"), base));
        /* PM2's command line (pmgen-pm2(1)): the pmgen-pm2-compat package's `pm2` alternative. */
        if (strcmp(base, "pm2") == 0 || strcmp(base, "pmgen-pm2") == 0)
                return pm2_main(argc, argv);

        if (argc >= 2 && argv[1][0] != '-') {
                cmd = argv[1];
                argv[1] = argv[0];
                argc--;
                argv++;
        } else
                cmd = NULL;
        /* `pmgen start SCRIPT|FILE|APP` takes PM2's flags: its own parser (adhoc.h). The global flags
         * without a value may come first: `pmgen --user start app.js`. */
        for (int i = 1; !cmd && i < argc; i++) {
                if (strcmp(argv[i], "start") == 0) {
                        memmove(argv + i, argv + i + 1, (size_t) (argc - i) * sizeof(char *));
                        return adhoc_main(argc - 1, argv);
                }
                if (strcmp(argv[i], "--user") != 0 && strcmp(argv[i], "-q") != 0 && strcmp(argv[i], "--quiet") != 0 &&
                    strcmp(argv[i], "--dry-run") != 0)
                        break;
        }
        if (cmd && strcmp(cmd, "start") == 0)
                return adhoc_main(argc, argv);
        /* `pmgen scale APP -1`: a count, not an option. */
        bool negative_count = false;

        if (cmd && strcmp(cmd, "scale") == 0)
                for (int i = 1; i < argc; i++)
                        if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9' &&
                            strspn(argv[i] + 1, "0123456789") == strlen(argv[i] + 1)) {
                                argv[i][0] = '~';
                                negative_count = true;
                        }
        while ((o = getopt_long(argc, argv, "e:o:qhn:f", opts, NULL)) != -1) {
                switch (o) {
                case 'e':
                        c.co.profile = c.v.profile = optarg;
                        given |= O_ENV;
                        break;
                case 'o':
                        c.output = c.v.output = optarg;
                        given |= O_OUTPUT;
                        break;
                case OPT_EVAL:
                        c.co.eval = true;
                        given |= O_EVAL;
                        break;
                case OPT_SHIM:
                        c.co.shim_path = optarg;
                        given |= O_SHIM;
                        break;
                case OPT_PRELOAD:
                        c.co.preload_path = optarg;
                        given |= O_SHIM;
                        break;
                case OPT_BIND_PRELOAD:
                        c.co.bind_preload_path = optarg;
                        given |= O_SHIM;
                        break;
                case OPT_TO:
                        c.to = c.v.to = optarg;
                        given |= O_TO;
                        break;
                case 'q':
                        c.quiet = c.v.quiet = true;
                        break;
                case OPT_USER:
                        c.v.user = true;
                        given |= O_USER;
                        break;
                case OPT_DRY:
                        c.v.dry_run = true;
                        given |= O_DRY;
                        break;
                case OPT_PRUNE:
                        c.v.prune = true;
                        given |= O_PRUNE;
                        break;
                case OPT_JSON:
                        c.v.json = true;
                        given |= O_JSON;
                        break;
                case 'n': {
                        char *end = NULL;
                        long x;

                        errno = 0;
                        x = strtol(optarg, &end, 10);
                        if (errno || !*optarg || *end || x < 0 || x > 1000000)
                                return usage_error("--lines: expected a number from 0 to 1000000, found '%s'", optarg);
                        c.v.lines = x;
                        given |= O_LINES;
                        break;
                }
                case 'f':
                        c.v.follow = true;
                        given |= O_FOLLOW;
                        break;
                case OPT_ERR:
                        c.v.err_only = true;
                        given |= O_ERR;
                        break;
                case OPT_TIME:
                        c.v.time = true;
                        given |= O_TIME;
                        break;
                case OPT_UPDATE:
                        c.v.update_env = true;
                        given |= O_UPDATE;
                        break;
                case OPT_APPLY:
                        c.v.apply = true;
                        given |= O_APPLY;
                        break;
                case OPT_ALLENV:
                        c.v.all_env = true;
                        given |= O_ALLENV;
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
                return usage_error("%s", "missing command (apply, ls, logs, check, generate … : see pmgen --help)");
        int nargs = argc - optind;
        char **args = argv + optind;

        cd = find_command(cmd);
        if (!cd)
                return usage_error("unknown command '%s' (see pmgen --help)", cmd);
        if (given & ~cd->opts) {
                static const char *const names[] = { "--env",  "--output", "--eval",  "--shim",       "--to",
                                                     "--user", "--dry-run", "--prune", "--json",       "--lines",
                                                     "--follow", "--err",   "--update-env", "--apply", "--all-env",
                                                     "--time" };

                for (unsigned b = 0; b < sizeof(names) / sizeof(names[0]); b++)
                        if ((given & ~cd->opts) & (1u << b)) {
                                fprintf(stderr, "pmgen: %s does not take %s\nTry 'pmgen --help'.\n", cd->name, names[b]);
                                return EXIT_USAGE;
                        }
        }
        if (nargs < cd->min_args || (cd->max_args >= 0 && nargs > cd->max_args)) {
                fprintf(stderr, "pmgen: %s: expected %s%s\nTry 'pmgen --help'.\n", cd->name, cd->args[0] ? cd->args : "no argument",
                        nargs > cd->max_args && cd->max_args >= 0 ? ", found more" : "");
                return EXIT_USAGE;
        }
        if (c.co.shim_path[0] != '/' || c.co.preload_path[0] != '/' || c.co.bind_preload_path[0] != '/')
                return usage_error("%s", "--shim, --node-preload and --bind-preload need absolute paths");
        if (strcmp(cd->name, "check") == 0 || strcmp(cd->name, "generate") == 0) {
                bool gen = cd->name[0] == 'g';

                if (gen && !c.output)
                        return usage_error("%s", "generate: expected -o DIR (for example -o /etc/systemd/system)");
                c.co.user = c.v.user;
                return cmd_check_or_generate(&c, gen, nargs, args);
        }
        if (strcmp(cd->name, "convert") == 0)
                return cmd_convert(&c, args[0]);
        if (strcmp(cd->name, "apply") == 0) {
                if (c.co.eval)
                        return usage_error("%s", "apply: --eval is not supported (the generator never runs node: "
                                                 "`pmgen convert --eval FILE > apps.ini` and apply that)");
                return cmd_apply(&c.v, nargs, args);
        }
        if (strcmp(cd->name, "diff") == 0)
                return cmd_diff(&c.v, nargs, args);
        if (strcmp(cd->name, "ls") == 0 || strcmp(cd->name, "list") == 0)
                return cmd_ls(&c.v);
        if (strcmp(cd->name, "logs") == 0)
                return cmd_logs(&c.v, nargs ? args[0] : NULL);
        if (strcmp(cd->name, "start") == 0)
                return cmd_start(&c.v, args[0]);
        if (strcmp(cd->name, "reset") == 0)
                return cmd_reset(&c.v, args[0]);
        if (strcmp(cd->name, "env") == 0)
                return cmd_env(&c.v, args[0]);
        if (strcmp(cd->name, "stop") == 0)
                return cmd_stop(&c.v, args[0]);
        if (strcmp(cd->name, "restart") == 0)
                return cmd_restart(&c.v, args[0]);
        if (strcmp(cd->name, "reload") == 0)
                return cmd_reload(&c.v, args[0]);
        if (strcmp(cd->name, "scale") == 0) {
                if (negative_count && args[1][0] == '~')
                        args[1][0] = '-';
                return cmd_scale(&c.v, args[0], args[1]);
        }
        if (strcmp(cd->name, "delete") == 0)
                return adhoc_delete(&c.v, args[0]);
        if (strcmp(cd->name, "describe") == 0)
                return cmd_describe(&c.v, args[0]);
        if (strcmp(cd->name, "monit") == 0)
                return cmd_monit(&c.v);
        if (strcmp(cd->name, "import") == 0) {
                if ((c.v.profile || c.v.dry_run) && !c.v.apply)
                        return usage_error("%s", "import: --env and --dry-run go with --apply");
                if (c.v.apply && c.output)
                        return usage_error("%s", "import: -o writes a file, --apply applies: choose one");
                return cmd_import(&c.v, nargs ? args[0] : NULL);
        }
        if (strcmp(cd->name, "deploy-export") == 0)
                return cmd_deploy_export(&c.v, args[0], args[1]);
        if (strcmp(cd->name, "generator") == 0) {
                char *gargv[5] = { (char *) "pmgen-generator", NULL, NULL, NULL, NULL };

                for (int i = 0; i < nargs; i++)
                        gargv[i + 1] = args[i];
                return generator_main(nargs + 1, gargv, c.v.user);
        }
        fputs(usage_text, stdout);
        return 0;
}
