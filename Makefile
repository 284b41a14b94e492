# pmgen: PM2's job done the systemd way.
#
#   make            build pmgen and pmgen-shim into build/
#   make demo       build, compile contrib/examples/ecosystem.config.js and run it in a throwaway systemd
#   make bench      pmgen against PM2 and bare node, side by side (tests/bench/run.sh; as root, ~18 min;
#                   BENCH_QUICK=1 for a smoke run)
#   make check      unit, golden, bad-input, shim (valgrind), fuzz smoke, man lint, completions, install
#                   paths and sandbox integration tests (the Debian package's included)
#   make fuzz       run the libFuzzer harnesses for FUZZ_SECONDS each (clang)
#   make install    install under $(DESTDIR)$(PREFIX)
#   make deb        the Debian package (pkg/deb/, dpkg-buildpackage) into build/deb/, checked by lintian if installed
#   make rpm        the RPM package (pkg/rpm/pmgen.spec, rpmbuild -bb) into build/rpm/RPMS/
#
# `make deps` installs the Debian packages the build and tests need (as root), or prints the command.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/libexec
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
SYSCONFDIR  ?= /etc
PKGLIBEXECDIR = $(LIBEXECDIR)/pmgen
PKGDATADIR    = $(DATADIR)/pmgen
SYSTEMD_UNIT_DIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
SYSTEMD_GENERATOR_DIR ?= $(shell pkg-config --variable=systemdsystemgeneratordir systemd 2>/dev/null || echo /lib/systemd/system-generators)
# The systemd generators are pmgen itself under other names (pmgen(1), GENERATOR): `make install` links
# pmgen-generator and pmgen-user-generator to $(BINDIR)/pmgen.
SYSTEMD_USER_GENERATOR_DIR ?= $(shell pkg-config --variable=systemdusergeneratordir systemd 2>/dev/null || echo /usr/lib/systemd/user-generators)
SYSTEMD_USER_UNIT_DIR ?= $(shell pkg-config --variable=systemduserunitdir systemd 2>/dev/null || echo /usr/lib/systemd/user)
SYSCTL_DIR ?= $(shell pkg-config --variable=sysctldir systemd 2>/dev/null || echo /usr/lib/sysctl.d)
BASH_COMPLETION_DIR ?= $(DATADIR)/bash-completion/completions
# zsh's default $fpath has vendor-completions under /usr (the distribution's) and site-functions under
# /usr/local (the administrator's).
ZSH_COMPLETION_DIR  ?= $(if $(filter /usr,$(PREFIX)),$(DATADIR)/zsh/vendor-completions,$(DATADIR)/zsh/site-functions)

VERSION := 0.1.0

CC       ?= gcc
CLANG    ?= clang
CFLAGS   ?= -O2 -g
WARN      = -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter
# libinih is used as Debian builds it (r55); these pin the behaviour pmgen's reader relies on and are
# checked against <ini.h> by tests/unit/test-parse-ini.c (see man/pmgen.ini.5).
INI_PIN   = -DINI_MAX_LINE=200 -DINI_ALLOW_MULTILINE=1 -DINI_ALLOW_INLINE_COMMENTS=1 \
            -DINI_INLINE_COMMENT_PREFIXES='";"' -DINI_START_COMMENT_PREFIXES='";\#"' -DINI_STOP_ON_FIRST_ERROR=0 \
            -DINI_HANDLER_LINENO=0 -DINI_CALL_HANDLER_ON_NEW_SECTION=0 -DINI_ALLOW_NO_VALUE=0 -DINI_USE_STACK=1
PATHS     = -DPMGEN_VERSION='"$(VERSION)"' -DPMGEN_SHIM_PATH='"$(PKGLIBEXECDIR)/pmgen-shim"' \
            -DPMGEN_NODE_PRELOAD_PATH='"$(PKGDATADIR)/node-preload.cjs"' -DPMGEN_SYSCONFDIR='"$(SYSCONFDIR)"' \
            -DPMGEN_BIND_PRELOAD_PATH='"$(PKGLIBEXECDIR)/libpmgen-bind.so"'
ALL_CFLAGS = $(WARN) $(INI_PIN) $(PATHS) -D_GNU_SOURCE -Isrc $(CFLAGS) $(CPPFLAGS)
SAN_CFLAGS = $(WARN) $(INI_PIN) $(PATHS) -D_GNU_SOURCE -Isrc -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

LIBS_CORE = -linih -lm
LIBS_SD   = $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)

CORE_SRC = $(sort $(wildcard src/*.c))
CLI_SRC  = $(sort $(wildcard src/cli/*.c))
SHIM_SRC = $(sort $(wildcard src/shim/*.c))
UNIT_TEST_SRC = $(sort $(wildcard tests/unit/test-*.c))
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz-*.c))

B = build
CORE_OBJ = $(CORE_SRC:%.c=$(B)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(B)/%.o)
SHIM_OBJ = $(SHIM_SRC:%.c=$(B)/%.o)
SAN_CORE_OBJ = $(CORE_SRC:%.c=$(B)/san/%.o)
SAN_CLI_OBJ  = $(filter-out $(B)/san/src/cli/main.o,$(CLI_SRC:%.c=$(B)/san/%.o))
UNIT_TESTS = $(UNIT_TEST_SRC:tests/unit/%.c=$(B)/san/tests/%)
FUZZERS = $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 15

.DELETE_ON_ERROR:
.PHONY: all deps demo check check-unit check-golden check-bad check-shim check-verify check-man check-completions \
        check-install check-fuzz check-integration fuzz install uninstall clean golden-update

all: $(B)/pmgen $(B)/pmgen-shim $(B)/libpmgen-bind.so $(B)/san/pmgen

# The compiled-in paths (PATHS) depend on PREFIX, LIBEXECDIR, DATADIR and SYSCONFDIR, which `make install`
# may set: $(B)/paths.flags holds the PATHS of the last build and is rewritten when they differ, and whatever
# is compiled with PATHS depends on it, so `make && make install PREFIX=/usr` rebuilds and installs a pmgen
# that looks for /usr/libexec/pmgen/pmgen-shim. (Compared as make reads this file, so `make -n` tells.)
ifneq ($(strip $(shell cat $(B)/paths.flags 2>/dev/null)),$(strip $(PATHS)))
$(B)/paths.flags: FORCE
endif
$(B)/paths.flags:
	@mkdir -p $(@D)
	@printf '%s\n' '$(subst ','\'',$(strip $(PATHS)))' >$@
.PHONY: FORCE
FORCE:

$(B)/%.o: %.c $(B)/paths.flags
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/san/%.o: %.c $(B)/paths.flags
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) $(SAN_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libpmgen.a: $(CORE_OBJ)
	rm -f $@; ar rcs $@ $^

$(B)/san/libpmgen.a: $(SAN_CORE_OBJ)
	rm -f $@; ar rcs $@ $^

$(B)/pmgen: $(CLI_OBJ) $(B)/libpmgen.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_SD) $(LDFLAGS)

# The same CLI built with ASan/UBSan: golden and bad-input tests run it.
$(B)/san/pmgen: $(CLI_SRC:%.c=$(B)/san/%.o) $(B)/san/libpmgen.a
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_SD)

# LD_PRELOAD library for cluster-mode apps without a declared port (src/preload/bind.c).
$(B)/libpmgen-bind.so: src/preload/bind.c src/preload/bind-proto.h $(B)/paths.flags
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	@$(CC) $(ALL_CFLAGS) -fPIC -shared -Wl,-z,defs -o $@ src/preload/bind.c -ldl -lpthread $(LDFLAGS)

# (src/health.c: the health check's pure parsers, shared with the compiler; src/wedge.c: the watchdog's)
$(B)/pmgen-shim: $(SHIM_OBJ) $(B)/src/health.o $(B)/src/wedge.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS_SD) $(LDFLAGS)

$(B)/san/tests/%: tests/unit/%.c $(B)/san/libpmgen.a $(SAN_CLI_OBJ) $(B)/paths.flags
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	@$(CC) $(SAN_CFLAGS) -MMD -MP -o $@ $< $(SAN_CLI_OBJ) $(B)/san/libpmgen.a $(LIBS_CORE) $(LIBS_SD) -lcmocka

$(B)/fuzz/%: tests/fuzz/%.c $(CORE_SRC) $(B)/paths.flags
	@mkdir -p $(@D)
	$(CLANG) $(WARN) $(INI_PIN) $(PATHS) -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(CORE_SRC) $(LIBS_CORE)

deps:
	@tests/deps.sh

check: deps all check-unit check-golden check-bad check-shim check-verify check-man check-completions check-install \
       check-fuzz check-integration
	@echo "make check: all passed"

check-unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

check-golden: $(B)/san/pmgen
	tests/golden/run.sh $(B)/san/pmgen

golden-update: $(B)/san/pmgen
	tests/golden/run.sh --update $(B)/san/pmgen

check-bad: $(B)/san/pmgen
	tests/bad/run.sh $(B)/san/pmgen

check-shim: $(B)/pmgen-shim
	tests/shim/run.sh $(B)/pmgen-shim

check-verify: $(B)/pmgen $(B)/san/tests/test-calendar
	tests/verify.sh $(B)/pmgen
	tests/calendar-verify.sh $(B)/san/tests/test-calendar

check-man:
	tests/man-lint.sh

check-completions:
	tests/completions.sh

# `make install PREFIX=/usr DESTDIR=...` from a /usr/local build: a build of its own in a temporary directory
check-install:
	tests/install-paths.sh

check-fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do n=$${f##*/}; echo "== $$n ($(FUZZ_SMOKE_SECONDS)s)"; \
		$$f -max_total_time=$(FUZZ_SMOKE_SECONDS) -max_len=4096 -print_final_stats=0 \
			$(B)/fuzz/corpus-$$n tests/fuzz/seeds-$${n#fuzz-} 2>$(B)/fuzz/$$n.log \
			|| { tail -40 $(B)/fuzz/$$n.log; exit 1; }; done

fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do n=$${f##*/}; mkdir -p $(B)/fuzz/corpus-$$n; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(B)/fuzz/corpus-$$n tests/fuzz/seeds-$${n#fuzz-}; done

$(FUZZERS): | $(B)/fuzz/dirs
$(B)/fuzz/dirs: $(FUZZ_SRC)
	@mkdir -p $(B)/fuzz; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); mkdir -p $(B)/fuzz/corpus-$$n; done; touch $@

check-integration: all
	tests/integration/run.sh

demo: deps all
	tests/demo.sh

# Benchmarks against PM2 (README, "Benchmarks"): installs wrk, hyperfine and npm (unless a node package
# such as NodeSource's already brings npm: it conflicts with Debian's), then PM2 from npm into a temporary
# directory. Writes tests/bench/results/summary.md.
.PHONY: bench
bench: all
	PMGEN_DEPS_EXTRA="wrk hyperfine $$(command -v npm >/dev/null || echo npm)" tests/deps.sh
	tests/bench/run.sh

install: $(B)/pmgen $(B)/pmgen-shim $(B)/libpmgen-bind.so
	install -Dm755 $(B)/pmgen $(DESTDIR)$(BINDIR)/pmgen
	install -Dm755 $(B)/pmgen-shim $(DESTDIR)$(PKGLIBEXECDIR)/pmgen-shim
	install -Dm644 $(B)/libpmgen-bind.so $(DESTDIR)$(PKGLIBEXECDIR)/libpmgen-bind.so
	install -Dm644 src/node/node-preload.cjs $(DESTDIR)$(PKGDATADIR)/node-preload.cjs
	install -Dm644 units/pmgen.target $(DESTDIR)$(SYSTEMD_UNIT_DIR)/pmgen.target
	install -Dm644 units/pmgen-ns@.target $(DESTDIR)$(SYSTEMD_UNIT_DIR)/pmgen-ns@.target
	install -d $(DESTDIR)$(SYSTEMD_GENERATOR_DIR) $(DESTDIR)$(SYSTEMD_USER_GENERATOR_DIR)
	ln -sf $(BINDIR)/pmgen $(DESTDIR)$(SYSTEMD_GENERATOR_DIR)/pmgen-generator
	ln -sf $(BINDIR)/pmgen $(DESTDIR)$(SYSTEMD_USER_GENERATOR_DIR)/pmgen-user-generator
	# PM2's command line (pmgen-pm2(1)); `pm2` itself is left to the pmgen-pm2-compat package's alternative
	ln -sf pmgen $(DESTDIR)$(BINDIR)/pmgen-pm2
	install -Dm644 units/pmgen.target $(DESTDIR)$(SYSTEMD_USER_UNIT_DIR)/pmgen.target
	install -Dm644 contrib/sysctl.d/60-pmgen.conf $(DESTDIR)$(SYSCTL_DIR)/60-pmgen.conf
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	for m in man/*.[158]; do install -m644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	ln -sf pmgen-generator.8 $(DESTDIR)$(MANDIR)/man8/pmgen-user-generator.8
	install -Dm644 contrib/completions/pmgen.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/pmgen
	install -Dm644 contrib/completions/_pmgen $(DESTDIR)$(ZSH_COMPLETION_DIR)/_pmgen

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pmgen $(DESTDIR)$(BINDIR)/pmgen-pm2 $(DESTDIR)$(PKGLIBEXECDIR)/pmgen-shim $(DESTDIR)$(PKGDATADIR)/node-preload.cjs \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/pmgen.target $(DESTDIR)$(SYSTEMD_UNIT_DIR)/pmgen-ns@.target \
		$(DESTDIR)$(PKGLIBEXECDIR)/libpmgen-bind.so \
		$(DESTDIR)$(SYSTEMD_GENERATOR_DIR)/pmgen-generator $(DESTDIR)$(SYSTEMD_USER_GENERATOR_DIR)/pmgen-user-generator \
		$(DESTDIR)$(SYSTEMD_USER_UNIT_DIR)/pmgen.target $(DESTDIR)$(SYSCTL_DIR)/60-pmgen.conf
	for m in man/*.[158]; do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	rm -f $(DESTDIR)$(MANDIR)/man8/pmgen-user-generator.8 $(DESTDIR)$(BASH_COMPLETION_DIR)/pmgen \
		$(DESTDIR)$(ZSH_COMPLETION_DIR)/_pmgen

# ---- packages (README, "Packages") -------------------------------------------------------------------------
# Both build from a copy of the working tree (build/ and VCS files left out), so the source tree never gets a
# debian/ directory or rpmbuild's output. DEB_BUILD_OPTIONS is passed on (nocheck skips the unit tests).
PKG_TREE_EXCLUDES = --exclude=./build --exclude=./debian --exclude-vcs
DEB_OUT = $(B)/deb
RPM_TOP = $(B)/rpm

.PHONY: deb rpm
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
		{ echo "make deb: needs dpkg-dev and debhelper (apt-get install dpkg-dev debhelper)" >&2; exit 1; }
	@v=$$(dpkg-parsechangelog -l pkg/deb/changelog -S Version); [ "$${v%%-*}" = "$(VERSION)" ] || \
		{ echo "make deb: pkg/deb/changelog is at $$v, the Makefile at $(VERSION): add a changelog entry" >&2; exit 1; }
	rm -rf $(DEB_OUT)
	mkdir -p $(DEB_OUT)/pmgen-$(VERSION)
	tar $(PKG_TREE_EXCLUDES) -cf - . | tar -C $(DEB_OUT)/pmgen-$(VERSION) -xf -
	cp -R pkg/deb $(DEB_OUT)/pmgen-$(VERSION)/debian
	cd $(DEB_OUT)/pmgen-$(VERSION) && dpkg-buildpackage -b -us -uc \
		$(if $(findstring parallel=,$(DEB_BUILD_OPTIONS)),,-J$(shell nproc))
	rm -rf $(DEB_OUT)/pmgen-$(VERSION)
	@ls -1 $(DEB_OUT)/*.deb
	@if command -v lintian >/dev/null; then \
		echo "lintian $(DEB_OUT)/*.changes:"; \
		lintian --display-level '>=warning' --fail-on error $(DEB_OUT)/*.changes \
			&& echo "lintian: no errors" || { echo "lintian: errors (above)" >&2; exit 1; }; \
	else echo "lintian is not installed: the package was not checked (apt-get install lintian)"; fi

# rpmbuild checks BuildRequires against the rpm database, which is empty on Debian: there, --nodeps (the
# build dependencies are Debian's, from tests/deps.sh). RPMBUILD_FLAGS='--without check' skips the unit tests.
rpm:
	@command -v rpmbuild >/dev/null || { echo "make rpm: needs rpmbuild (Debian: apt-get install rpm)" >&2; exit 1; }
	rm -rf $(RPM_TOP)
	mkdir -p $(RPM_TOP)/SOURCES $(RPM_TOP)/pmgen-$(VERSION)
	tar $(PKG_TREE_EXCLUDES) -cf - . | tar -C $(RPM_TOP)/pmgen-$(VERSION) -xf -
	tar -C $(RPM_TOP) -czf $(RPM_TOP)/SOURCES/pmgen-$(VERSION).tar.gz pmgen-$(VERSION)
	rm -rf $(RPM_TOP)/pmgen-$(VERSION)
	rpmbuild -bb --define '_topdir $(abspath $(RPM_TOP))' --define 'pmgen_version $(VERSION)' \
		$$(rpm -q rpm >/dev/null 2>&1 || echo --nodeps) $(RPMBUILD_FLAGS) pkg/rpm/pmgen.spec
	@find $(RPM_TOP)/RPMS -name '*.rpm'

clean:
	rm -rf $(B)

# (not those of the package builds' own copies of the tree)
-include $(shell find $(B) \( -path '$(DEB_OUT)' -o -path '$(RPM_TOP)' \) -prune -o -name '*.d' -type f -print 2>/dev/null)
