/* SPDX-License-Identifier: MIT */
#include "edit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* The section name of a header line "[name]" / "[name env]", or 0 length. */
static size_t section_of(const char *line, size_t len, const char **name) {
        size_t end;

        if (len < 3 || line[0] != '[')
                return 0;
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
                len--;
        if (line[len - 1] != ']')
                return 0;
        *name = line + 1;
        end = len - 2;
        return end;
}

/* Which app a section belongs to: "api" for [api], [api env], [api env_x]. */
static bool section_is_app(const char *sec, size_t n, const char *app, bool *main_section) {
        size_t a = strlen(app);

        if (n < a || memcmp(sec, app, a) != 0)
                return false;
        if (n == a) {
                *main_section = true;
                return true;
        }
        *main_section = false;
        if (sec[a] != ' ')
                return false;
        const char *rest = sec + a;
        size_t m = n - a;

        while (m > 0 && *rest == ' ') {
                rest++;
                m--;
        }
        return (m == 3 && memcmp(rest, "env", 3) == 0) || (m > 4 && memcmp(rest, "env_", 4) == 0);
}

static bool is_key(const char *line, size_t len, const char *key) {
        size_t k = strlen(key);

        if (len <= k || memcmp(line, key, k) != 0)
                return false;
        for (size_t i = k; i < len; i++) {
                if (line[i] == '=')
                        return true;
                if (line[i] != ' ' && line[i] != '\t')
                        return false;
        }
        return false;
}

int edit_set_instances(const char *text, const char *app, unsigned count, char **ret) {
        strbuf out = STRBUF_INIT;
        bool in_app = false, found_section = false, done = false;
        const char *p = text;

        while (*p) {
                size_t len = strcspn(p, "\n");
                bool nl = p[len] == '\n';
                const char *sec;
                size_t sn = section_of(p, len, &sec);
                bool main_sec = false;

                if (sn) {
                        if (in_app && !done) { /* the [app] section ended without the key */
                                strbuf_addf(&out, "instances = %u\n", count);
                                done = true;
                        }
                        in_app = section_is_app(sec, sn, app, &main_sec) && main_sec;
                        if (in_app) {
                                found_section = true;
                                strbuf_add(&out, p, len);
                                strbuf_addc(&out, '\n');
                                strbuf_addf(&out, "instances = %u\n", count);
                                done = true;
                                p += len + nl;
                                continue;
                        }
                } else if (in_app && is_key(p, len, "instances")) {
                        p += len + nl; /* replaced by the line after the header */
                        continue;
                }
                strbuf_add(&out, p, len);
                if (nl)
                        strbuf_addc(&out, '\n');
                p += len + nl;
        }
        if (!found_section) {
                strbuf_free(&out);
                return -ENOENT;
        }
        if (out.oom)
                return -ENOMEM;
        *ret = strbuf_steal(&out);
        return *ret ? 0 : -ENOMEM;
}

int edit_remove_app(const char *text, const char *app, char **ret, bool *empty) {
        strbuf out = STRBUF_INIT, held = STRBUF_INIT;
        bool skipping = false, found = false, any = false;
        size_t pending = 0; /* where the comment lines just above the next section start in out */
        const char *p = text;

        while (*p) {
                size_t len = strcspn(p, "\n");
                bool nl = p[len] == '\n';
                const char *sec;
                size_t sn = section_of(p, len, &sec);
                bool main_sec, comment = len == 0 || p[0] == ';' || p[0] == '#' || (len == 1 && p[0] == '\r');

                if (sn) {
                        bool was = skipping;

                        skipping = section_is_app(sec, sn, app, &main_sec);
                        if (skipping) {
                                found = true;
                                /* the comments that introduce it go too (not the file's own header) */
                                if (any && !was)
                                        strbuf_truncate(&out, pending);
                                strbuf_truncate(&held, 0);
                        } else {
                                any = true;
                                if (was) { /* comments after the removed sections introduce this one */
                                        const char *h = strbuf_str(&held);

                                        /* no second blank line where the removed sections were */
                                        while ((out.len == 0 || (out.len >= 2 && memcmp(out.s + out.len - 2, "\n\n", 2) == 0)) &&
                                               *h == '\n')
                                                h++;
                                        strbuf_adds(&out, h);
                                }
                                strbuf_truncate(&held, 0);
                        }
                }
                if (skipping) {
                        if (comment && !sn) {
                                strbuf_add(&held, p, len);
                                strbuf_addc(&held, '\n');
                        } else
                                strbuf_truncate(&held, 0);
                } else {
                        if (!comment || sn)
                                pending = out.len + len + (nl ? 1 : 0);
                        strbuf_add(&out, p, len);
                        if (nl)
                                strbuf_addc(&out, '\n');
                }
                p += len + nl;
        }
        strbuf_free(&held);
        if (!found) {
                strbuf_free(&out);
                return -ENOENT;
        }
        if (out.oom)
                return -ENOMEM;
        *empty = !any;
        *ret = strbuf_steal(&out);
        return *ret ? 0 : -ENOMEM;
}

char *edit_store_name(const char *source, bool (*taken)(const char *name, void *userdata), void *userdata) {
        const char *base = strrchr(source, '/'), *dot;
        strbuf stem = STRBUF_INIT;

        base = base ? base + 1 : source;
        dot = strrchr(base, '.');
        if (!dot || dot == base)
                dot = base + strlen(base);
        for (const char *c = base; c < dot; c++) /* names the generator and a shell read easily */
                strbuf_addc(&stem, (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                                                   *c == '.' || *c == '_' || *c == '-'
                                           ? *c
                                           : '_');
        if (stem.len == 0)
                strbuf_adds(&stem, "apps");
        for (unsigned i = 1; i < 10000; i++) {
                strbuf name = STRBUF_INIT;

                if (i == 1)
                        strbuf_addf(&name, "%s.ini", strbuf_str(&stem));
                else
                        strbuf_addf(&name, "%s-%u.ini", strbuf_str(&stem), i);
                if (name.oom) {
                        strbuf_free(&stem);
                        return NULL;
                }
                if (!taken(strbuf_str(&name), userdata)) {
                        strbuf_free(&stem);
                        return strbuf_steal(&name);
                }
                strbuf_free(&name);
        }
        strbuf_free(&stem);
        return NULL;
}
