/* SPDX-License-Identifier: MIT */
#include "host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *host_getenv(void *userdata, const char *name) {
        (void) userdata;
        return getenv(name);
}

/* The CPU bandwidth limit (in CPUs, 0: none) of the cgroup at rel (below the v2 mount, or the v1 cpu
 * controller's). */
static long cgroup_cpus(const char *rel) {
        static const char *const v1_roots[] = { "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu", NULL };
        char path[PATH_MAX], *text = NULL, *q = NULL, *per = NULL;
        size_t len;
        long n = 0;

        snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cpu.max", rel);
        if (read_file(path, 4096, &text, &len) == 0) {
                n = plan_cpus_from_cpu_max(text);
                free(text);
                return n;
        }
        for (size_t i = 0; v1_roots[i]; i++) {
                snprintf(path, sizeof(path), "%s/%s/cpu.cfs_quota_us", v1_roots[i], rel);
                if (read_file(path, 4096, &q, &len) < 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s/cpu.cfs_period_us", v1_roots[i], rel);
                if (read_file(path, 4096, &per, &len) == 0) {
                        char both[128];

                        q[strcspn(q, "\n")] = '\0';
                        snprintf(both, sizeof(both), "%s %s", q, per);
                        n = plan_cpus_from_cpu_max(both);
                }
                free(q);
                free(per);
                return n;
        }
        return 0;
}

/* What `instances: max` means here: the CPUs the service manager may use (its affinity and ours), capped
 * by the CPU bandwidth limit of the slice the units run in (system.slice; the user's slices for a user). */
long host_ncpus(void) {
        cpu_set_t set;
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        char rel[128];

        if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
                n = CPU_COUNT(&set);
        if (sched_getaffinity(1, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0 && CPU_COUNT(&set) < n)
                n = CPU_COUNT(&set);
        if (geteuid() == 0) {
                long c = cgroup_cpus("system.slice");

                if (c > 0 && c < n)
                        n = c;
        } else {
                const char *fmt[] = { "user.slice", "user.slice/user-%u.slice", "user.slice/user-%u.slice/user@%u.service" };

                for (size_t i = 0; i < 3; i++) {
                        long c;

                        snprintf(rel, sizeof(rel), fmt[i], (unsigned) geteuid(), (unsigned) geteuid());
                        c = cgroup_cpus(rel);
                        if (c > 0 && c < n)
                                n = c;
                }
        }
        return n > 0 ? n : 1;
}

#define DOTENV_MAX_BYTES (1u << 20)

static int host_read_file(void *userdata, const char *path, char **ret, size_t *len) {
        (void) userdata;
        return read_file(path, DOTENV_MAX_BYTES, ret, len);
}

/* os.homedir() as node finds it: HOME, else the user's passwd entry. */
static const char *host_homedir(void) {
        static char dir[PATH_MAX];
        const char *home = getenv("HOME");
        struct passwd pw, *res = NULL;
        char buf[4096];

        if (home && home[0])
                return home;
        if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) != 0 || !res || !res->pw_dir || !res->pw_dir[0])
                return NULL;
        snprintf(dir, sizeof(dir), "%s", res->pw_dir);
        return dir;
}

void host_js(js_host *h, const char *cwd) {
        *h = (js_host){ .getenv = host_getenv, .ncpus = host_ncpus(), .cwd = cwd, .userdata = NULL,
                        .read_file = host_read_file, .homedir = host_homedir() };
}

static char *exec_in(const char *dir, size_t dlen, const char *cmd) {
        strbuf sb = STRBUF_INIT;
        struct stat st;

        if (dlen == 0 || dir[0] != '/')
                return NULL;
        strbuf_add(&sb, dir, dlen);
        strbuf_addc(&sb, '/');
        strbuf_adds(&sb, cmd);
        if (!sb.oom && stat(strbuf_str(&sb), &st) == 0 && S_ISREG(st.st_mode) && access(strbuf_str(&sb), X_OK) == 0)
                return strbuf_steal(&sb);
        strbuf_free(&sb);
        return NULL;
}

static char *exec_in_path(const char *path, const char *cmd) {
        for (const char *p = path; p && *p;) {
                size_t n = strcspn(p, ":");
                char *r = exec_in(p, n, cmd);

                if (r)
                        return r;
                p += n;
                if (*p == ':')
                        p++;
        }
        return NULL;
}

/* The newest nvm-installed node's bin directory under home (version-sorted). */
static char *nvm_newest(const char *home, const char *cmd) {
        strbuf dir = STRBUF_INIT;
        struct dirent **names = NULL;
        char *found = NULL;
        int n;

        strbuf_addf(&dir, "%s/.nvm/versions/node", home);
        n = scandir(strbuf_str(&dir), &names, NULL, versionsort);
        for (int i = n - 1; i >= 0; i--) {
                if (!found && names[i]->d_name[0] == 'v') {
                        strbuf bin = STRBUF_INIT;

                        strbuf_addf(&bin, "%s/%s/bin", strbuf_str(&dir), names[i]->d_name);
                        found = exec_in(bin.s, bin.len, cmd);
                        strbuf_free(&bin);
                }
                free(names[i]);
        }
        free(names);
        strbuf_free(&dir);
        return found;
}

/* PATH, then nvm's (NVM_BIN, ~/.nvm of the invoking user: sudo drops nvm from
 * PATH), then the usual system directories. */
static char *host_which(void *userdata, const char *cmd) {
        char *r;
        const char *sudo_user = getenv("SUDO_USER"), *home = getenv("HOME");

        (void) userdata;
        if ((r = exec_in_path(getenv("PATH"), cmd)))
                return r;
        if ((r = exec_in_path(getenv("NVM_BIN"), cmd)))
                return r;
        if (home && (r = nvm_newest(home, cmd)))
                return r;
        if (sudo_user && !strchr(sudo_user, '/')) {
                strbuf h = STRBUF_INIT;

                strbuf_addf(&h, "/home/%s", sudo_user);
                r = nvm_newest(strbuf_str(&h), cmd);
                strbuf_free(&h);
                if (r)
                        return r;
        }
        return exec_in_path("/usr/local/bin:/usr/bin:/bin", cmd);
}

static int host_sniff(void *userdata, const char *path) {
        unsigned char buf[4] = { 0 };
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n;

        (void) userdata;
        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR ? -ENOENT : 0;
        n = read(fd, buf, sizeof(buf));
        close(fd);
        if (n >= 2 && buf[0] == '#' && buf[1] == '!')
                return 1;
        if (n == 4 && memcmp(buf, "\177ELF", 4) == 0)
                return 1;
        return 0;
}

static int host_dir(void *userdata, const char *path) {
        struct stat st;

        (void) userdata;
        if (stat(path, &st) < 0)
                return errno == ENOENT || errno == ENOTDIR ? -ENOENT : 1; /* EACCES: not ours to judge */
        return S_ISDIR(st.st_mode) ? 1 : 0;
}

void host_plan(plan_host *h) {
        *h = (plan_host){ .which = host_which, .sniff = host_sniff, .ncpus = host_ncpus(), .userdata = NULL,
                          .dir = host_dir };
}

int read_file(const char *path, size_t max, char **ret, size_t *len) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        strbuf sb = STRBUF_INIT;
        char buf[65536];
        int r = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                if (sb.len + (size_t) n > max) {
                        r = -EFBIG;
                        break;
                }
                strbuf_add(&sb, buf, (size_t) n);
        }
        close(fd);
        if (r == 0 && sb.oom)
                r = -ENOMEM;
        if (r < 0) {
                strbuf_free(&sb);
                return r;
        }
        *len = sb.len;
        *ret = strbuf_steal(&sb);
        return *ret ? 0 : -ENOMEM;
}

static int mkdir_p(const char *path) {
        char *p = strdup(path);
        int r = 0;

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                if (*s == '/' || *s == '\0') {
                        char c = *s;

                        *s = '\0';
                        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                                r = -errno;
                                break;
                        }
                        *s = c;
                        if (!c)
                                break;
                }
        }
        free(p);
        return r;
}

static int write_one(int dirfd, const out_file *f) {
        strbuf tmp = STRBUF_INIT;
        const char *slash = strrchr(f->name, '/');
        int r = 0, fd = -1;

        if (slash)
                strbuf_add(&tmp, f->name, (size_t) (slash - f->name + 1));
        strbuf_addf(&tmp, ".#%s.%ld", slash ? slash + 1 : f->name, (long) getpid());
        if (tmp.oom)
                return -ENOMEM;
        (void) unlinkat(dirfd, strbuf_str(&tmp), 0);
        if (f->symlink) {
                if (symlinkat(f->content, dirfd, strbuf_str(&tmp)) < 0)
                        r = -errno;
        } else {
                size_t len = strlen(f->content), off = 0;

                fd = openat(dirfd, strbuf_str(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, f->mode);
                if (fd < 0)
                        r = -errno;
                else if (fchmod(fd, f->mode) < 0)
                        r = -errno;
                while (r == 0 && off < len) {
                        ssize_t n = write(fd, f->content + off, len - off);

                        if (n < 0 && errno != EINTR)
                                r = -errno;
                        else if (n > 0)
                                off += (size_t) n;
                }
                if (r == 0 && fsync(fd) < 0)
                        r = -errno;
                if (fd >= 0 && close(fd) < 0 && r == 0)
                        r = -errno;
        }
        if (r == 0 && renameat(dirfd, strbuf_str(&tmp), dirfd, f->name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dirfd, strbuf_str(&tmp), 0);
        strbuf_free(&tmp);
        return r;
}

int write_out_files(const char *dir, const out_files *f, const char **failed) {
        int dirfd, r;

        *failed = dir;
        if ((r = mkdir_p(dir)) < 0)
                return r;
        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        for (size_t i = 0; i < f->n; i++) {
                const char *slash = strrchr(f->v[i].name, '/');

                *failed = f->v[i].name;
                if (slash) {
                        char *sub = xstrndup(f->v[i].name, (size_t) (slash - f->v[i].name));

                        if (!sub) {
                                r = -ENOMEM;
                                break;
                        }
                        if (mkdirat(dirfd, sub, 0755) < 0 && errno != EEXIST)
                                r = -errno;
                        free(sub);
                        if (r < 0)
                                break;
                }
                if ((r = write_one(dirfd, &f->v[i])) < 0)
                        break;
        }
        if (r == 0 && fsync(dirfd) < 0)
                r = -errno;
        close(dirfd);
        return r;
}
