/* SPDX-License-Identifier: MIT */
/* A port of lib/path.js (posix) from Node.js. The loops keep Node's structure so
 * the two can be compared line by line; '/' and '.' are ASCII, so working on
 * UTF-8 bytes gives the same results as Node's UTF-16 code units. */
#include "js-path.h"

#include <string.h>

static long last_slash_in(const strbuf *sb) {
        for (size_t i = sb->len; i > 0; i--)
                if (sb->s[i - 1] == '/')
                        return (long) i - 1;
        return -1;
}

/* normalizeString(): resolves '.', '..' and repeated slashes; the result has no
 * leading or trailing slash. */
static void normalize_string(js_str path, bool allow_above_root, strbuf *res) {
        size_t last_segment_len = 0;
        long last_slash = -1;
        int dots = 0;
        char code = 0;

        for (size_t i = 0; i <= path.len; i++) {
                if (i < path.len)
                        code = path.s[i];
                else if (code == '/')
                        break;
                else
                        code = '/';

                if (code == '/') {
                        if (last_slash == (long) i - 1 || dots == 1) {
                                /* an empty or '.' segment */
                        } else if (dots == 2) {
                                if (res->len < 2 || last_segment_len != 2 || res->s[res->len - 1] != '.' ||
                                    res->s[res->len - 2] != '.') {
                                        if (res->len > 2) {
                                                long k = last_slash_in(res);

                                                if (k == -1) {
                                                        strbuf_truncate(res, 0);
                                                        last_segment_len = 0;
                                                } else {
                                                        strbuf_truncate(res, (size_t) k);
                                                        last_segment_len = (size_t) ((long) res->len - 1 - last_slash_in(res));
                                                }
                                                last_slash = (long) i;
                                                dots = 0;
                                                continue;
                                        } else if (res->len != 0) {
                                                strbuf_truncate(res, 0);
                                                last_segment_len = 0;
                                                last_slash = (long) i;
                                                dots = 0;
                                                continue;
                                        }
                                }
                                if (allow_above_root) {
                                        strbuf_adds(res, res->len > 0 ? "/.." : "..");
                                        last_segment_len = 2;
                                }
                        } else {
                                if (res->len > 0)
                                        strbuf_addc(res, '/');
                                strbuf_add(res, path.s + last_slash + 1, i - (size_t) (last_slash + 1));
                                last_segment_len = i - (size_t) (last_slash + 1);
                        }
                        last_slash = (long) i;
                        dots = 0;
                } else if (code == '.' && dots != -1) {
                        dots++;
                } else {
                        dots = -1;
                }
                if (res->oom)
                        return;
        }
}

void js_path_normalize(js_str path, strbuf *out) {
        strbuf res = STRBUF_INIT;
        bool absolute, trailing;

        if (path.len == 0) {
                strbuf_addc(out, '.');
                return;
        }
        absolute = path.s[0] == '/';
        trailing = path.s[path.len - 1] == '/';
        normalize_string(path, !absolute, &res);
        if (res.oom)
                out->oom = true;
        if (res.len == 0)
                strbuf_adds(out, absolute ? "/" : trailing ? "./" : ".");
        else {
                if (absolute)
                        strbuf_addc(out, '/');
                strbuf_add(out, strbuf_str(&res), res.len);
                if (trailing)
                        strbuf_addc(out, '/');
        }
        strbuf_free(&res);
}

void js_path_join(const js_str *parts, size_t n, strbuf *out) {
        strbuf joined = STRBUF_INIT;
        bool any = false;

        for (size_t i = 0; i < n; i++) {
                if (parts[i].len == 0)
                        continue;
                if (any)
                        strbuf_addc(&joined, '/');
                strbuf_add(&joined, parts[i].s, parts[i].len);
                any = true;
        }
        if (joined.oom)
                out->oom = true;
        if (!any)
                strbuf_addc(out, '.');
        else
                js_path_normalize((js_str) { strbuf_str(&joined), joined.len }, out);
        strbuf_free(&joined);
}

void js_path_resolve(const js_str *parts, size_t n, js_str cwd, strbuf *out) {
        strbuf resolved = STRBUF_INIT, res = STRBUF_INIT;
        bool absolute = false;

        for (long i = (long) n - 1; i >= -1 && !absolute; i--) {
                js_str p = i >= 0 ? parts[i] : cwd;
                strbuf tmp = STRBUF_INIT;

                if (p.len == 0)
                        continue;
                strbuf_add(&tmp, p.s, p.len);
                strbuf_addc(&tmp, '/');
                strbuf_add(&tmp, strbuf_str(&resolved), resolved.len);
                if (tmp.oom)
                        out->oom = true;
                strbuf_free(&resolved);
                resolved = tmp;
                absolute = p.s[0] == '/';
        }
        normalize_string((js_str) { strbuf_str(&resolved), resolved.len }, !absolute, &res);
        if (res.oom || resolved.oom)
                out->oom = true;
        if (absolute)
                strbuf_addc(out, '/');
        if (res.len > 0 || absolute)
                strbuf_add(out, strbuf_str(&res), res.len);
        else
                strbuf_addc(out, '.');
        strbuf_free(&resolved);
        strbuf_free(&res);
}

void js_path_dirname(js_str path, strbuf *out) {
        bool has_root, matched_slash = true;
        size_t end = 0;

        if (path.len == 0) {
                strbuf_addc(out, '.');
                return;
        }
        has_root = path.s[0] == '/';
        for (size_t i = path.len - 1; i >= 1; i--) {
                if (path.s[i] == '/') {
                        if (!matched_slash) {
                                end = i;
                                break;
                        }
                } else {
                        matched_slash = false;
                }
        }
        if (end == 0)
                strbuf_adds(out, has_root ? "/" : ".");
        else if (has_root && end == 1)
                strbuf_adds(out, "//");
        else
                strbuf_add(out, path.s, end);
}

void js_path_basename(js_str path, js_str ext, strbuf *out) {
        long start = 0, end = -1;
        bool matched_slash = true;

        if (ext.s && ext.len > 0 && ext.len <= path.len) {
                long ext_idx = (long) ext.len - 1, first_non_slash_end = -1;

                if (ext.len == path.len && memcmp(ext.s, path.s, ext.len) == 0)
                        return;
                for (long i = (long) path.len - 1; i >= 0; i--) {
                        char code = path.s[i];

                        if (code == '/') {
                                if (!matched_slash) {
                                        start = i + 1;
                                        break;
                                }
                        } else {
                                if (first_non_slash_end == -1) {
                                        matched_slash = false;
                                        first_non_slash_end = i + 1;
                                }
                                if (ext_idx >= 0) {
                                        if (code == ext.s[ext_idx]) {
                                                if (--ext_idx == -1)
                                                        end = i;
                                        } else {
                                                ext_idx = -1;
                                                end = first_non_slash_end;
                                        }
                                }
                        }
                }
                if (start == end)
                        end = first_non_slash_end;
                else if (end == -1)
                        end = (long) path.len;
                if (end > start)
                        strbuf_add(out, path.s + start, (size_t) (end - start));
                return;
        }
        for (long i = (long) path.len - 1; i >= 0; i--) {
                if (path.s[i] == '/') {
                        if (!matched_slash) {
                                start = i + 1;
                                break;
                        }
                } else if (end == -1) {
                        matched_slash = false;
                        end = i + 1;
                }
        }
        if (end > start)
                strbuf_add(out, path.s + start, (size_t) (end - start));
}
