# spool: a durable message queue in a directory.  GNU make.
#
#   make                  spool, libspool.a, libspool.so (in this directory)
#   make test             every suite, then one line "N passed, N failed"
#   make demo             the main job on a scratch queue, narrated
#   make install          PREFIX=/usr/local, DESTDIR for staged installs
#   make lint             mandoc -Tlint and clang-format --dry-run
#   make dist             spool-VERSION.tar.gz of the tracked files
#   make bench, torture   the benchmarks; the long test tier
#
# Objects go to build/ (build-asan/ for the sanitizer tree, SANITIZE=1).
# The user's CFLAGS, CPPFLAGS and LDFLAGS are kept; ours come after them.
# `make`, `make demo` and `make test` first check their dependencies with
# tests/deps.sh (SPOOL_NO_DEPS=1 skips that).  V=1 shows full commands.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

PKG_CONFIG ?= pkg-config
INSTALL ?= install
OBJCOPY ?= objcopy
CFLAGS ?= -g

VERSION := $(shell sed -n 's/^\#define SPOOL_VERSION "\(.*\)"/\1/p' lib/spool.h)
SOMAJOR := $(shell sed -n 's/^\#define SPOOL_VERSION_MAJOR \([0-9]*\).*/\1/p' lib/spool.h)
SONAME := libspool.so.$(SOMAJOR)
SOFILE := libspool.so.$(VERSION)

# Evaluated when used, so that a libarchive-dev just installed by the
# dependency check is seen by the same make run.
ARCHIVE_CFLAGS = $(shell $(PKG_CONFIG) --cflags libarchive 2>/dev/null)
ARCHIVE_LIBS = $(shell $(PKG_CONFIG) --libs libarchive 2>/dev/null)
# libarchive is opened with dlopen() by export and import only (see
# lib/archive_dl.h): linking it would cost every command its start-up.
DL_LIBS = -ldl -lpthread

STD_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra
ifeq ($(SANITIZE),1)
# The sanitizer tree: no _FORTIFY_SOURCE (it hides accesses from ASan) and
# no -Werror (sanitizer instrumentation provokes spurious warnings; the
# normal tree is the one that must build clean).
B := build-asan
OUT := build-asan/
OPT_CFLAGS = -O1
HARDEN_CFLAGS = -fno-omit-frame-pointer -fsanitize=address,undefined \
    -fno-sanitize-recover=all
HARDEN_LDFLAGS = -fsanitize=address,undefined
else
B := build
OUT :=
OPT_CFLAGS = -O2
WERROR = -Werror
HARDEN_CFLAGS ?= -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
    -Wformat-security
HARDEN_LDFLAGS ?= -Wl,-z,relro,-z,now
endif

# -O2 comes before the user's CFLAGS so that CFLAGS=-O0 can override it.
ALL_CFLAGS = $(OPT_CFLAGS) $(CFLAGS) $(STD_CFLAGS) $(WERROR) \
    $(HARDEN_CFLAGS) $(ARCHIVE_CFLAGS)
ALL_CPPFLAGS = -Ilib $(CPPFLAGS)

LIB_SRC := $(sort $(wildcard lib/*.c))
CMD_SRC := $(sort $(wildcard cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
PIC_OBJ := $(LIB_SRC:%.c=$(B)/pic/%.o)
CMD_OBJ := $(CMD_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
MAN_PAGES := $(sort $(wildcard man/*.[1-9]))

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-5s %s\n' $(1) $(2);
endif

# Every output is written under a temporary name and renamed into place,
# so that two makes in one tree never leave a half-written file behind.
TMP = $@.tmp$$$$

all: $(OUT)spool $(OUT)libspool.a
ifneq ($(SANITIZE),1)
all: $(SOFILE)
endif

$(OUT)spool: $(CMD_OBJ) $(OUT)libspool.a
	$(call say,LINK,$@)
	$(Q)$(CC) $(OPT_CFLAGS) $(CFLAGS) $(HARDEN_CFLAGS) -pie $(LDFLAGS) \
	    $(HARDEN_LDFLAGS) -o $(TMP) $(CMD_OBJ) $(OUT)libspool.a \
	    $(DL_LIBS) && mv -f $(TMP) $@

# Every object, every name: for the unit tests, which test internals too.
$(B)/libspool-internal.a: $(LIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $(TMP) && $(AR) rcs $(TMP) $(LIB_OBJ) && mv -f $(TMP) $@

ifeq ($(SANITIZE),1)
$(OUT)libspool.a: $(B)/libspool-internal.a
	$(Q)cp -f $< $(TMP) && mv -f $(TMP) $@
else
# The installed static library is one relocatable object whose only
# global names are the spool_ API, so that a program linking it cannot
# collide with the library's internal helpers (the shared library hides
# them with a version script).  spool itself links this one: it may use
# nothing but the API.
$(OUT)libspool.a: $(LIB_OBJ) Makefile
	$(call say,AR,$@)
	$(Q)d=$(B)/ar.$$$$ && rm -rf $$d && mkdir -p $$d && \
	    $(LD) -r -o $$d/libspool.o $(LIB_OBJ) && \
	    $(OBJCOPY) --wildcard --keep-global-symbol='spool_*' \
	    $$d/libspool.o && $(AR) rcs $$d/libspool.a $$d/libspool.o && \
	    mv -f $$d/libspool.a $@ && rm -rf $$d
endif

# Only the spool_ names are exported from the shared library.
$(B)/libspool.ver:
	$(Q)mkdir -p $(@D)
	$(Q)printf '{\n\tglobal: spool_*;\n\tlocal: *;\n};\n' >$(TMP) && \
	    mv -f $(TMP) $@

$(SOFILE): $(PIC_OBJ) $(B)/libspool.ver
	$(call say,LINK,$@)
	$(Q)$(CC) $(OPT_CFLAGS) $(CFLAGS) -shared -Wl,-soname,$(SONAME) \
	    -Wl,--version-script=$(B)/libspool.ver -Wl,-z,defs $(LDFLAGS) \
	    $(HARDEN_LDFLAGS) -o $(TMP) $(PIC_OBJ) $(DL_LIBS) && \
	    mv -f $(TMP) $@
	$(Q)ln -sf $(SOFILE) $(SONAME) && ln -sf $(SOFILE) libspool.so

$(B)/pic/%.o: %.c | deps-build
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -fPIC -MMD -MP \
	    -MF $(@:.o=.d) -MT $@ -c -o $(TMP) $< && mv -f $(TMP) $@

$(B)/%.o: %.c | deps-build
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -fPIE -MMD -MP \
	    -MF $(@:.o=.d) -MT $@ -c -o $(TMP) $< && mv -f $(TMP) $@

# C unit tests: one program per tests/unit/*.c, linked with every object.
units: $(UNIT_BIN)

$(B)/unit/%: tests/unit/%.c tests/unit/tap.h $(B)/libspool-internal.a \
    | deps-build
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -fPIE -pie \
	    $(LDFLAGS) $(HARDEN_LDFLAGS) -o $(TMP) $< $(B)/libspool-internal.a \
	    $(DL_LIBS) && mv -f $(TMP) $@

# The ASan+UBSan tree in build-asan/: spool, libspool.a, unit tests.
asan:
	+$(Q)$(MAKE) --no-print-directory SANITIZE=1 all

deps-build deps-test deps-bench deps-torture:
	@PKG_CONFIG='$(PKG_CONFIG)' CC='$(CC)' sh tests/deps.sh $(@:deps-%=%)

# The .pc file is written at install time, from the install's own PREFIX.
define PC_TEMPLATE
prefix=$(PREFIX)
libdir=$(patsubst $(PREFIX)%,$${prefix}%,$(LIBDIR))
includedir=$(patsubst $(PREFIX)%,$${prefix}%,$(INCLUDEDIR))

Name: libspool
Description: durable at-least-once message queue in a directory
Version: $(VERSION)
Cflags: -I$${includedir}
Libs: -L$${libdir} -lspool
Libs.private: -ldl -lpthread
endef
export PC_TEMPLATE

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR)
	$(INSTALL) -m 755 spool $(DESTDIR)$(BINDIR)/spool
	$(INSTALL) -m 644 libspool.a $(DESTDIR)$(LIBDIR)/libspool.a
	$(INSTALL) -m 755 $(SOFILE) $(DESTDIR)$(LIBDIR)/$(SOFILE)
	ln -sf $(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SOFILE) $(DESTDIR)$(LIBDIR)/libspool.so
	$(INSTALL) -m 644 lib/spool.h $(DESTDIR)$(INCLUDEDIR)/spool.h
	printf '%s\n' "$$PC_TEMPLATE" >$(DESTDIR)$(PKGCONFIGDIR)/libspool.pc
	@set -e; for p in $(MAN_PAGES); do \
		s=$${p##*.}; \
		echo "$(INSTALL) -m 644 $$p $(DESTDIR)$(MANDIR)/man$$s/"; \
		$(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$s; \
		$(INSTALL) -m 644 $$p $(DESTDIR)$(MANDIR)/man$$s/; \
	done
	@set -e; install_one() { \
		[ -f "$$1" ] || return 0; \
		echo "$(INSTALL) -m 644 $$1 $$2/$$3"; \
		$(INSTALL) -d "$$2"; $(INSTALL) -m 644 "$$1" "$$2/$$3"; \
	}; \
	install_one completions/spool.bash $(DESTDIR)$(BASHCOMPDIR) spool; \
	install_one completions/_spool $(DESTDIR)$(ZSHCOMPDIR) _spool; \
	install_one completions/spool.fish $(DESTDIR)$(FISHCOMPDIR) spool.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/spool $(DESTDIR)$(LIBDIR)/libspool.a \
	    $(DESTDIR)$(LIBDIR)/$(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libspool.so \
	    $(DESTDIR)$(INCLUDEDIR)/spool.h \
	    $(DESTDIR)$(PKGCONFIGDIR)/libspool.pc \
	    $(DESTDIR)$(BASHCOMPDIR)/spool $(DESTDIR)$(ZSHCOMPDIR)/_spool \
	    $(DESTDIR)$(FISHCOMPDIR)/spool.fish
	@for p in $(MAN_PAGES); do \
		f=$(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/}; \
		echo "rm -f $$f"; rm -f "$$f"; \
	done

test: deps-test
	@tests/run

torture: deps-torture
	@SPOOL_TORTURE=long tests/run

demo: all
	@sh tests/demo.sh

# Benchmarks: tests/bench/run-all if there is one, else every executable
# in tests/bench/ in turn.
bench: deps-bench all
	@if [ -x tests/bench/run-all ]; then exec tests/bench/run-all; fi; \
	status=0; ran=0; \
	for b in tests/bench/*; do \
		[ -f "$$b" ] && [ -x "$$b" ] || continue; \
		ran=1; echo "== $$b"; "$$b" || status=1; \
	done; \
	[ $$ran = 1 ] || echo "make bench: no benchmarks in tests/bench/"; \
	exit $$status

FORMAT_SRC = $(wildcard lib/*.[ch] cmd/*.[ch] tests/unit/*.[ch] \
    tests/fuzz/*.c)

lint: lint-man lint-format

# mandoc may report what depends on the pages this machine has installed
# (a referenced page missing, or missing from its mandoc.db); nothing else.
lint-man:
	@out=$$(mandoc -Tlint $(MAN_PAGES) 2>&1 | \
	    grep -v -e 'referenced manual not found' -e 'outdated mandoc.db'); \
	if [ -n "$$out" ]; then printf '%s\n' "$$out"; exit 1; fi

lint-format:
	@clang-format --dry-run -Werror $(FORMAT_SRC)

dist:
	@git rev-parse --verify -q HEAD >/dev/null || \
	    { echo "make dist: needs a git checkout"; exit 1; }
	@git diff --quiet HEAD || \
	    echo "make dist: note: uncommitted changes are not included"
	git archive --format=tar.gz --prefix=spool-$(VERSION)/ \
	    -o spool-$(VERSION).tar.gz HEAD

clean:
	rm -rf build build-asan
	rm -f spool libspool.a libspool.so libspool.so.* spool-*.tar.gz
	rm -f lib/*.o lib/*.d cmd/*.o cmd/*.d

.PHONY: all asan units install uninstall test torture demo bench lint \
    lint-man lint-format dist clean deps-build deps-test deps-bench \
    deps-torture
.DELETE_ON_ERROR:

-include $(LIB_OBJ:.o=.d) $(PIC_OBJ:.o=.d) $(CMD_OBJ:.o=.d)
