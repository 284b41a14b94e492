/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the JS-lite front end: js_parse() on arbitrary bytes with
 * a fixed host, then both writers on success. It also checks two properties:
 * what value_to_js() writes reads back to the same tree, and so does the JSON
 * of an object or array (JSON is a subset of what js_parse accepts). */
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

static const js_host host = { fake_getenv, 4, "/srv/cwd", NULL };

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

        if (size > 1 << 16)
                return 0;
        if (js_parse("fuzz.js", "/srv/app/ecosystem.config.js", (const char *) data, size, &host, &v, &dl) == 0) {
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
