# tessera - GNU Makefile.  `make help` lists the targets.
#
# Build modifiers (see README "Build modifiers"):
#   CC=clang          compiler (gcc and clang both build clean with -Werror)
#   SANITIZE=1        AddressSanitizer + UndefinedBehaviorSanitizer build in build-san/
#   DEBUG=1           -O0 -g
#   PREFIX=/usr/local install prefix
#   MPI=0             build without Open MPI (default: with it when pkg-config
#                     finds ompi-c; the set-up installs it)

CC      ?= cc
PREFIX  ?= /usr/local
PKGS     = libutf8proc libxxhash libzstd zlib sqlite3 jansson libdivsufsort libmicrohttpd

ifeq ($(SANITIZE),1)
BUILD   ?= build-san
OPT      = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN    = -fsanitize=address,undefined
else ifeq ($(DEBUG),1)
BUILD   ?= build-debug
OPT      = -O0 -g
else
BUILD   ?= build
OPT      = -O2 -g
endif

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib
CFLAGS  ?=
ALL_CFLAGS = -std=c11 $(OPT) $(WARN) -fvisibility=hidden $(CFLAGS)
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lutf8proc -lxxhash -lzstd -lz -lsqlite3 -ljansson -ldivsufsort -lmicrohttpd) -lstemmer -lbz2 -lpthread -lm

# Open MPI: only cli/mpi.c includes mpi.h; the library never links it.
MPI     ?= $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
ifeq ($(MPI),1)
MPI_CFLAGS = -DTSR_MPI $(patsubst -I%,-isystem %,$(shell pkg-config --cflags ompi-c))
MPI_LIBS   = $(shell pkg-config --libs ompi-c)
endif

LIB_SRC  = $(sort $(wildcard lib/*.c lib/common/*.c))
CLI_SRC  = $(sort $(wildcard cli/*.c server/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))
BENCH_SRC = $(sort $(wildcard bench/*.c))
EXAMPLE_SRC = $(sort $(wildcard examples/*.c))

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
EXAMPLE_BIN = $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
DEPS_OK  = $(BUILD)/.deps-ok

.PHONY: deps-ok bench-discover demo bench-tools all lib cli tests test test-quick test-san eval bench install uninstall clean help deps fuzz

all: $(BUILD)/tessera $(BUILD)/libtessera.so $(BUILD)/libtessera_pic.a $(BUILD)/tessera.pc

help:
	@echo "make              build $(BUILD)/tessera (stops naming 'make deps' when a library is missing)"
	@echo "make demo         the main job: index the system's license texts, check every"
	@echo "                  /usr/share/doc/*/copyright against them, report (demo/)"
	@echo "make test         full test run: unit, CLI, round trip, faults, sanitizers"
	@echo "                  (make demo and make test install missing packages first)"
	@echo "make test-quick   unit + CLI tests only, no sanitizer build"
	@echo "make eval         accuracy on ../shared/data (PAN 2013, news) -> EVAL.md figures"
	@echo "make bench        speed and memory, with peers -> BENCHMARKS.md figures"
	@echo "                  (parts: make bench-discover, bench-dedup, bench-serve, bench-mpi)"
	@echo "make fuzz         build libFuzzer targets (clang) in build-fuzz/"
	@echo "make install      install binary, library, header and man page under PREFIX"
	@echo "make deps         install the Debian packages (build, tests, demo; as root)"
	@echo "make clean        remove build directories"

# Packages.  Plain `make` never installs anything: it checks that the build's
# libraries are there (pkg-config, the libstemmer header) and, when one is
# missing, stops naming it and `make deps`.  `make deps` installs every Debian
# package (scripts/install-deps.sh; root or sudo).  `make demo` and `make test`
# run deps-ok first, which installs them only when something is missing, so a
# fresh machine needs no other step.
$(DEPS_OK):
	@mkdir -p $(BUILD)
	@missing=""; \
	for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	test -e /usr/include/libstemmer.h || missing="$$missing libstemmer"; \
	test -e /usr/include/bzlib.h || missing="$$missing libbz2"; \
	if [ -n "$$missing" ]; then \
	    echo "tessera: the build needs libraries that are not installed:$$missing" >&2; \
	    echo "tessera: run 'make deps' (it installs the Debian packages, as root), then 'make'" >&2; \
	    exit 1; \
	fi
	@touch $@

deps:
	sh scripts/install-deps.sh

# the packages of the build, the tests and the demo, installed when missing
# (before a build that looks for MPI): make demo, make test (tests/run.sh)
deps-ok:
	@{ pkg-config --exists $(PKGS) ompi-c && command -v mpirun && command -v python3 && \
	   /usr/bin/python3 -c 'import pytest, setuptools, pandas' && command -v python3 && command -v chromium && \
	   command -v node && command -v sim_text && command -v strace && command -v bzip2 && \
	   test -e /usr/include/libstemmer.h && test -e /usr/include/bzlib.h; } >/dev/null 2>&1 || \
	   sh scripts/install-deps.sh

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# the MPI choice is part of mpi.o: a stamp per choice rebuilds it on a change
$(BUILD)/cli/mpi.o: ALL_CFLAGS += $(MPI_CFLAGS)
$(BUILD)/cli/mpi.o: $(BUILD)/.mpi-$(MPI)
$(BUILD)/.mpi-$(MPI): | $(DEPS_OK)
	@rm -f $(BUILD)/.mpi-*
	@touch $@

# libtessera.a: the library's objects linked into one (ld -r) whose hidden
# symbols, everything but the header's TSR_API functions, are made local:
# a program linking the archive sees the API alone, as users of
# libtessera.so do, and cannot collide with al_align or ix_lookup.  The unit
# tests, which call the stages inside, link libtessera_internal.a, the
# objects as they are.
$(BUILD)/libtessera_internal.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libtessera.a: $(LIB_OBJ)
	@rm -f $@ $(BUILD)/libtessera.o
	$(LD) -r -o $(BUILD)/libtessera.o $^
	objcopy --localize-hidden $(BUILD)/libtessera.o
	ar rcs $@ $(BUILD)/libtessera.o

# The shared library: the same sources compiled position-independent, only
# the tsr_ API exported (lib/tessera.map), soname libtessera.so.MAJOR.
# libtessera_pic.a holds the same objects for static linking into shared
# objects (the Python extension, python/).  build/tessera.pc is for the
# default PREFIX; `make install` writes one for its own.
VERSION  = $(shell sed -n 's/^\#define TSR_VERSION_STRING "\(.*\)"/\1/p' lib/tessera.h)
SOMAJOR  = $(firstword $(subst ., ,$(VERSION)))
PIC_OBJ  = $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
SO_NAME  = libtessera.so.$(SOMAJOR)

$(BUILD)/pic/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(BUILD)/libtessera_pic.a: $(PIC_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libtessera.so.$(VERSION): $(PIC_OBJ) lib/tessera.map
	$(CC) $(LDSAN) -shared -Wl,-soname,$(SO_NAME) -Wl,--version-script=lib/tessera.map \
	    -Wl,--no-undefined -o $@ $(PIC_OBJ) $(LDLIBS)

$(BUILD)/libtessera.so: $(BUILD)/libtessera.so.$(VERSION)
	ln -sf libtessera.so.$(VERSION) $(BUILD)/$(SO_NAME)
	ln -sf libtessera.so.$(VERSION) $@

$(BUILD)/tessera.pc: lib/tessera.pc.in lib/tessera.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

lib: $(BUILD)/libtessera.a $(BUILD)/libtessera.so $(BUILD)/libtessera_pic.a $(BUILD)/tessera.pc

# The web page of `tessera serve`, embedded in the binary (web/embed.sh).
WEB_SRC  = $(sort $(wildcard web/*.html web/*.css web/*.js))
WEB_OBJ  = $(BUILD)/gen/serve_assets.o

$(BUILD)/gen/serve_assets.c: $(WEB_SRC) web/embed.sh
	@mkdir -p $(dir $@)
	sh web/embed.sh $(WEB_SRC) > $@.tmp && mv $@.tmp $@

$(WEB_OBJ): $(BUILD)/gen/serve_assets.c server/assets.h
	$(CC) $(CPPFLAGS) -Iserver $(ALL_CFLAGS) -c $< -o $@

# the CLI reaches the server's two layers (server/http.h, server/api.h)
$(BUILD)/cli/%.o $(BUILD)/server/%.o: CPPFLAGS += -Iserver

# Two programs from the same sources (cli/full.c).  tessera-full links the
# HTTP server (libmicrohttpd, GnuTLS) and Open MPI; tessera, the one users
# run, leaves them out, which saves about 10 ms of dynamic loading at each
# start, and hands `serve` and MPI runs to tessera-full (exec).  Its
# cmd_serve.o and mpi.o are those two files compiled with -DTSR_LEAN.
LEAN_SRC = cli/cmd_serve.c cli/mpi.c
LEAN_OBJ = $(filter-out $(LEAN_SRC:%.c=$(BUILD)/%.o) $(BUILD)/server/%.o,$(CLI_OBJ)) \
           $(LEAN_SRC:%.c=$(BUILD)/lean/%.o)
$(BUILD)/lean/%.o: %.c $(BUILD)/.mpi-$(MPI) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iserver -DTSR_LEAN -DTSR_MPI_FULL=$(MPI) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tessera: $(LEAN_OBJ) $(BUILD)/libtessera.a | $(BUILD)/tessera-full
	$(CC) $(LDSAN) -o $@ $(LEAN_OBJ) $(BUILD)/libtessera.a $(filter-out -lmicrohttpd,$(LDLIBS))

$(BUILD)/tessera-full: $(CLI_OBJ) $(WEB_OBJ) $(BUILD)/libtessera.a
	$(CC) $(LDSAN) -o $@ $(CLI_OBJ) $(WEB_OBJ) $(BUILD)/libtessera.a $(LDLIBS) $(MPI_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libtessera_internal.a tests/unit/testhelp.h \
                  tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(LDSAN) -o $@ $< $(BUILD)/libtessera_internal.a $(LDLIBS)

$(BUILD)/tests/%: tests/tools/%.c $(BUILD)/libtessera.a tests/tools/synth.h \
                  tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDSAN) -o $@ $< $(BUILD)/libtessera.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDSAN) -o $@ $< $(BUILD)/libtessera.a $(LDLIBS)

$(BUILD)/examples/%: examples/%.c $(BUILD)/libtessera.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDSAN) -o $@ $< $(BUILD)/libtessera.a $(LDLIBS)

tests: $(BUILD)/tessera $(UNIT_BIN) $(TOOL_BIN) $(EXAMPLE_BIN)

bench-tools: $(BUILD)/tessera $(BENCH_BIN)

test:
	@sh tests/run.sh

test-quick:
	@sh tests/run.sh --quick

# the packages first, in a make of their own: the build looks for MPI when it starts
demo: deps-ok
	@$(MAKE) all
	@sh scripts/demo.sh

eval: all
	@sh eval/run.sh

bench: bench-tools
	@sh bench/run.sh

fuzz:
	$(MAKE) -f tests/fuzz/Makefile

# every fuzz target in turn, for 10^7 executions each (its time limits add up
# to 12.6 hours, most of it fuzz_catalog;
# FUZZ_TIME=S per target instead): build-fuzz/campaign.txt, tests/fuzz/README.md
.PHONY: fuzz-long
fuzz-long:
	$(MAKE) -f tests/fuzz/Makefile campaign

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/tessera $(DESTDIR)$(PREFIX)/bin/tessera
	install -d $(DESTDIR)$(PREFIX)/libexec/tessera
	install -m 755 $(BUILD)/tessera-full $(DESTDIR)$(PREFIX)/libexec/tessera/tessera-full
	install -m 644 $(BUILD)/libtessera.a $(DESTDIR)$(PREFIX)/lib/libtessera.a
	install -m 755 $(BUILD)/libtessera.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libtessera.so.$(VERSION)
	ln -sf libtessera.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SO_NAME)
	ln -sf libtessera.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libtessera.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' lib/tessera.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/tessera.pc
	install -m 644 lib/tessera.h $(DESTDIR)$(PREFIX)/include/tessera.h
	install -m 644 doc/tessera.1 $(DESTDIR)$(PREFIX)/share/man/man1/tessera.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tessera $(DESTDIR)$(PREFIX)/libexec/tessera/tessera-full \
	      $(DESTDIR)$(PREFIX)/lib/libtessera.a \
	      $(DESTDIR)$(PREFIX)/lib/libtessera.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SO_NAME) \
	      $(DESTDIR)$(PREFIX)/lib/libtessera.so $(DESTDIR)$(PREFIX)/lib/pkgconfig/tessera.pc \
	      $(DESTDIR)$(PREFIX)/include/tessera.h $(DESTDIR)$(PREFIX)/share/man/man1/tessera.1
	-rmdir $(DESTDIR)$(PREFIX)/libexec/tessera 2>/dev/null

clean:
	rm -rf build build-san build-debug build-fuzz build-clang

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(PIC_OBJ:.o=.d) $(LEAN_SRC:%.c=$(BUILD)/lean/%.d)

bench-discover: bench-tools
	@sh bench/run_discover.sh

# index and discover on 2 MPI ranks against 1 process: bench/mpi_bench.sh
.PHONY: bench-mpi
bench-mpi: bench-tools
	@sh bench/mpi_bench.sh

.PHONY: bench-dedup
bench-dedup: all
	@sh bench/dedup_bench.sh

# `tessera serve` under load (wrk, loopback): bench/serve.sh -> BENCHMARKS.md
.PHONY: bench-serve
bench-serve: all
	@sh bench/serve.sh
