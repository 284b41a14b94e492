/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the JS-lite front end: js_parse() on arbitrary bytes with
 * a fixed host, then both writers on success. It also checks two properties:
 * what value_to_js() writes reads back to the same tree, and so does the JSON
 * of an object or array (JSON is a subset of what js_parse accepts).
 *
 * An input may carry a .env file after a line "//ENV": the declaration is what
 * comes before it, and dotenv's config() reads the rest as /srv/app/.env. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse-js.h"
#include "write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fake_getenv(void *userdata, const char *name) {
        (void) userdata;
        if (strcmp(name, "NODE_ENV") == 0)
                return "production";
        if (strcmp(name, "PORT") == 0)
                return "8080";
        if (strcmp(name, "EMPTY") == 0)
                return "";
        return NULL;
}

#define ENV_MARK "\n//ENV\n"

static const char *env_text; /* the input's .env part, or NULL */
static size_t env_len;

static int fake_read_file(void *userdata, const char *path, char **ret, size_t *len) {
        const char *text = NULL;
        size_t n = 0;

        (void) userdata;
        if (strcmp(path, "/srv/app/.env") == 0 && env_text) {
                text = env_text;
                n = env_len;
        } else if (strcmp(path, "/srv/app/prod.env") == 0) {
                text = "NODE_ENV=staging\nPORT=9000\nMULTI=\"a\\nb\"\n";
                n = strlen(text);
        } else
                return strcmp(path, "/srv/app/denied.env") == 0 ? -EACCES : -ENOENT;
        *ret = malloc(n + 1);
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, text, n);
        (*ret)[n] = '\0';
        *len = n;
        return 0;
}

static const js_host host = { .getenv = fake_getenv, .ncpus = 4, .cwd = "/srv/cwd", .read_file = fake_read_file,
                              .homedir = "/home/u" };

/* Parses text and checks that its JSON is json. */
static void check_reparse(const char *what, const char *text, size_t len, const char *json) {
        diag_list dl = DIAG_LIST_INIT;
        strbuf again = STRBUF_INIT, diags = STRBUF_INIT;
        value *v = NULL;
        int r = js_parse("again.js", "/srv/app/again.js", text, len, &host, &v, &dl);

        if (r == -ENOMEM)
                goto out;
        if (r != 0) {
                diag_render(&dl, &diags);
                fprintf(stderr, "%s does not read back:\n%s\n%s", what, text, strbuf_str(&diags));
                abort();
        }
        value_to_json(v, &again, 0);
        if (strcmp(strbuf_str(&again), json) != 0) {
                fprintf(stderr, "%s changes the value:\n%s\n%s\n", what, json, strbuf_str(&again));
                abort();
        }
out:
        value_free(v);
        diag_list_free(&dl);
        strbuf_free(&again);
        strbuf_free(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        diag_list dl = DIAG_LIST_INIT;
        strbuf json = STRBUF_INIT, pretty = STRBUF_INIT, js = STRBUF_INIT, diags = STRBUF_INIT;
        value *v = NULL;
        const char *text = (const char *) data, *mark;

        if (size > 1 << 16)
                return 0;
        env_text = NULL;
        mark = memmem(text, size, ENV_MARK, strlen(ENV_MARK));
        if (mark) {
                env_text = mark + strlen(ENV_MARK);
                env_len = size - (size_t) (env_text - text);
                size = (size_t) (mark - text);
        }
        if (js_parse("fuzz.js", "/srv/app/ecosystem.config.js", text, size, &host, &v, &dl) == 0) {
                value_to_json(v, &json, 0);
                value_to_json(v, &pretty, 2);
                value_to_js(v, &js);
                if (!json.oom && !js.oom) {
                        check_reparse("value_to_js output", strbuf_str(&js), js.len, strbuf_str(&json));
                        if (v->type == V_OBJECT || v->type == V_ARRAY) {
                                check_reparse("JSON output", strbuf_str(&json), json.len, strbuf_str(&json));
                                check_reparse("pretty JSON output", strbuf_str(&pretty), pretty.len, strbuf_str(&json));
                        }
                }
        }
        diag_render(&dl, &diags);
        value_free(v);
        diag_list_free(&dl);
        strbuf_free(&json);
        strbuf_free(&pretty);
        strbuf_free(&js);
        strbuf_free(&diags);
        return 0;
}
