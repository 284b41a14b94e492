/* SPDX-License-Identifier: MIT */
#include "escape.h"

#include <string.h>

static bool is_alnum(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

const char *name_check(const char *name, size_t *bad_at) {
        size_t n = strlen(name);

        *bad_at = 0;
        if (n == 0)
                return "a name cannot be empty";
        if (n > NAME_MAX_LEN) {
                *bad_at = NAME_MAX_LEN;
                return "a name is at most 64 bytes long";
        }
        if (!is_alnum((unsigned char) name[0]))
                return "a name must start with a letter or a digit";
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) name[i];

                if (!is_alnum(c) && !strchr("_.:-", c)) {
                        *bad_at = i;
                        return "a name may contain only letters, digits, '_', '.', ':' and '-' (it becomes a unit name)";
                }
        }
        return NULL;
}

const char *unit_name_check(const char *name, size_t *bad_at) {
        static const char *const suffixes[] = { ".service", ".socket", ".target", ".mount", ".automount", ".device",
                                                ".path", ".timer", ".slice", ".scope", ".swap", NULL };
        const char *dot = strrchr(name, '.');
        const char *at = strchr(name, '@');
        size_t n = strlen(name);
        bool suffix_ok = false;

        *bad_at = 0;
        if (n == 0 || n > 255)
                return "expected a systemd unit name (1-255 bytes)";
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) name[i];

                if (!is_alnum(c) && !strchr(":_.\\@-", c)) {
                        *bad_at = i;
                        return "expected a systemd unit name: letters, digits, ':', '_', '.', '\\', '@' and '-'";
                }
        }
        for (size_t i = 0; dot && suffixes[i]; i++)
                suffix_ok = suffix_ok || strcmp(dot, suffixes[i]) == 0;
        if (!suffix_ok || dot == name) {
                *bad_at = dot ? (size_t) (dot - name) : n;
                return "expected a systemd unit name with its type, such as postgresql.service or network-online.target";
        }
        if (at && (at == name || at + 1 == dot)) {
                *bad_at = (size_t) (at - name);
                return "expected a unit, not a template (name@instance.service, not name@.service)";
        }
        return NULL;
}

const char *env_name_check(const char *name, size_t *bad_at) {
        size_t n = strlen(name);

        *bad_at = 0;
        if (n == 0)
                return "an environment variable name cannot be empty";
        if (n > 255) {
                *bad_at = 255;
                return "an environment variable name is at most 255 bytes long";
        }
        if (name[0] >= '0' && name[0] <= '9')
                return "an environment variable name cannot start with a digit";
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) name[i];

                if (!is_alnum(c) && c != '_') {
                        *bad_at = i;
                        return "an environment variable name may contain only letters, digits and '_'";
                }
        }
        return NULL;
}

const char *unit_value_check(const char *s, size_t *bad_at) {
        size_t n = strlen(s);

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c < 0x20 || c == 0x7f) {
                        *bad_at = i;
                        return "control characters (such as a newline) cannot appear here";
                }
        }
        if (n > 0 && s[n - 1] == '\\') {
                *bad_at = n - 1;
                return "a trailing '\\' cannot appear here (systemd would join the next line)";
        }
        *bad_at = 0;
        return NULL;
}

void escape_specifiers(strbuf *out, const char *s) {
        for (; *s; s++) {
                if (*s == '%')
                        strbuf_addc(out, '%');
                strbuf_addc(out, *s);
        }
}

static bool exec_word_is_bare(const char *w) {
        if (!*w || strchr("@:+!|", *w))
                return false;
        for (; *w; w++)
                if (!is_alnum((unsigned char) *w) && !strchr("_./:=,+@-", *w))
                        return false;
        return true;
}

void escape_exec_word(strbuf *out, const char *word) {
        if (exec_word_is_bare(word)) {
                strbuf_adds(out, word);
                return;
        }
        strbuf_addc(out, '"');
        for (const unsigned char *p = (const unsigned char *) word; *p; p++) {
                switch (*p) {
                case '"':  strbuf_adds(out, "\\\""); break;
                case '\\': strbuf_adds(out, "\\\\"); break;
                case '\n': strbuf_adds(out, "\\n"); break;
                case '\t': strbuf_adds(out, "\\t"); break;
                case '%':  strbuf_adds(out, "%%"); break;
                case '$':  strbuf_adds(out, "$$"); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                strbuf_addf(out, "\\x%02x", *p);
                        else
                                strbuf_addc(out, (char) *p);
                }
        }
        strbuf_addc(out, '"');
}

void escape_env_line(strbuf *out, const char *name, const char *value) {
        strbuf_adds(out, name);
        strbuf_adds(out, "=\"");
        for (; *value; value++) {
                if (strchr("\"\\$`", *value))
                        strbuf_addc(out, '\\');
                strbuf_addc(out, *value);
        }
        strbuf_adds(out, "\"\n");
}

void escape_environment(strbuf *out, const char *name, const char *value) {
        strbuf_adds(out, "Environment=\"");
        strbuf_adds(out, name);
        strbuf_addc(out, '=');
        for (; *value; value++) {
                if (*value == '"' || *value == '\\')
                        strbuf_addc(out, '\\');
                else if (*value == '%')
                        strbuf_addc(out, '%');
                strbuf_addc(out, *value);
        }
        strbuf_adds(out, "\"\n");
}

void escape_unit_name_part(strbuf *out, const char *s) {
        if (*s == '.') { /* a leading dot would hide the unit */
                strbuf_adds(out, "\\x2e");
                s++;
        }
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '/')
                        strbuf_addc(out, '-');
                else if (is_alnum(*p) || *p == ':' || *p == '_' || *p == '.')
                        strbuf_addc(out, (char) *p);
                else
                        strbuf_addf(out, "\\x%02x", *p);
        }
}
