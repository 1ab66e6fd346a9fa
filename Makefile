# lift — build, test and benchmark. Everything goes to $(BUILD) (default build/).
#
#   make            build/liftd + build/liftctl (checks the build packages, never installs)
#   make deps       installs the Debian packages the tests need (as root)
#   make test       deps + build + the whole suite against a throwaway PostgreSQL
#   make test-faults the fault tests (tests/fault/) at full length
#   make demo       the main job end to end (see README)
#   make sanitize   the suite under ASan+UBSan (clang)
#   make tsan       the tests that run threads (liftd's among them) under ThreadSanitizer
#   make fuzz       the libFuzzer harnesses of tests/fuzz/, FUZZ_SECONDS each (default 60)
#   make bench      benchmarks under bench/
#   make soak       liftd under half its maximum load for SOAK_SECONDS (default 600)
#   make install    binaries, manual pages, SQL, systemd unit, bash completion, docs
#                   (PREFIX=/usr/local, DESTDIR= for staging; see docs/operations.md)
#
# Project flags live apart from CFLAGS so that `make CFLAGS=-O0` keeps -Werror.

BUILD  ?= build
CC     ?= cc
CFLAGS ?= -O2 -g
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
# `make Q=` prints whole command lines.
Q      ?= @

PKGS := libmicrohttpd libpq gsl jansson libcrypto
WARN := -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wold-style-definition -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 \
        -Wundef -Wvla -Wdouble-promotion -Wnull-dereference

# Layers, each a static library that depends only on those before it:
#   common  <-  core  <-  db  <-  server (liftd), reports, cli (liftctl), sim
#   common  <-  stats (beside core: no I/O)
# Each layer compiles with the include paths of its own packages only, so core/ cannot
# include libpq's headers (they live outside the default path) and links without it.
COMMON_PKGS := jansson
CORE_PKGS   := $(COMMON_PKGS) libcrypto
STATS_PKGS  := gsl
DB_PKGS     := $(CORE_PKGS) libpq
pkg_cflags   = $(shell pkg-config --cflags $(1))
pkg_libs     = $(shell pkg-config --libs $(1))

ALL_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L -pthread $(WARN) $(SAN) -MMD -MP $(CFLAGS)
LAYER_CPPFLAGS := $(call pkg_cflags,$(PKGS))
ALL_CPPFLAGS = -Iinclude -I. $(LAYER_CPPFLAGS) $(VERSION_CPPFLAGS) $(CPPFLAGS)
ALL_LDFLAGS  = -pthread $(SAN) $(LDFLAGS)
LIBS        := $(call pkg_libs,$(PKGS)) -lm
CORE_LINK   := $(call pkg_libs,$(CORE_PKGS) gsl) -lm

$(BUILD)/common/%.o: LAYER_CPPFLAGS := $(call pkg_cflags,$(COMMON_PKGS))
$(BUILD)/core/%.o:   LAYER_CPPFLAGS := $(call pkg_cflags,$(CORE_PKGS))
$(BUILD)/stats/%.o:  LAYER_CPPFLAGS := $(call pkg_cflags,$(STATS_PKGS))
$(BUILD)/db/%.o:     LAYER_CPPFLAGS := $(call pkg_cflags,$(DB_PKGS))

objs = $(patsubst %.c,$(BUILD)/%.o,$(1))
COMMON_OBJ := $(call objs,$(wildcard common/*.c))
CORE_OBJ   := $(call objs,$(wildcard core/*.c))
STATS_OBJ  := $(call objs,$(wildcard stats/*.c))
DB_OBJ     := $(call objs,$(wildcard db/*.c)) $(BUILD)/gen/sqlfiles.o
SERVER_OBJ := $(call objs,$(filter-out server/main.c,$(wildcard server/*.c)))
REPORT_OBJ := $(call objs,$(wildcard reports/*.c))
SIM_OBJ    := $(call objs,$(wildcard sim/*.c))
CLI_OBJ    := $(call objs,$(wildcard cli/*.c))
SUPPORT_OBJ:= $(call objs,$(wildcard tests/support/*.c))
TESTS      := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c tests/fault/test_*.c))
BENCHES    := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
SQL_FILES  := $(sort $(wildcard sql/migrations/*.sql sql/analysis/*.sql))

L := $(BUILD)/lib
# Link order: higher layers first.
BASE_LIBS   := $(L)liftcore.a $(L)liftstats.a $(L)liftcommon.a
DB_LIBS     := $(L)liftdb.a $(BASE_LIBS)
LIFTD_LIBS  := $(L)liftd.a $(DB_LIBS)
LIFTCTL_LIBS:= $(L)liftreport.a $(L)liftsim.a $(DB_LIBS)
ALL_LIBS    := $(L)liftreport.a $(L)liftsim.a $(L)liftd.a $(DB_LIBS)

# Tests of the pure layers link without libpq or libmicrohttpd (GSL only for reference
# statistics in the tests themselves): the proof that
# core/ stands apart from the database and the server.
PURE_TESTS := $(BUILD)/tests/test_assign $(BUILD)/tests/test_text $(BUILD)/tests/test_config_model \
              $(BUILD)/tests/test_growthbook $(BUILD)/tests/test_shard_model

.PHONY: all deps build-all build-tests test test-faults sanitize tsan fuzz bench soak demo clean \
        format format-check install
.DEFAULT_GOAL := all
.PRECIOUS: $(BUILD)/%.o $(BUILD)/tests/%.o $(BUILD)/tests/fault/%.o $(BUILD)/bench/%.o

all:
	@scripts/deps.sh build check
	@$(MAKE) --no-print-directory -j$(JOBS) build-all

deps:
	@scripts/deps.sh test

build-all: $(BUILD)/liftd $(BUILD)/liftctl

build-tests: build-all $(TESTS)

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory -j$(JOBS) build-tests
	@scripts/node_deps.sh $(BUILD)
	@tests/run.sh $(BUILD)

# The fault tests at full length: more kills and restarts, more clients, longer loads.
test-faults:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory -j$(JOBS) build-tests
	@LIFT_FAULTS=full tests/run.sh $(BUILD) test_faults

sanitize:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang CFLAGS="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  -j$(JOBS) build-tests
	@scripts/node_deps.sh build-asan
	@LIFT_SANITIZE=1 tests/run.sh build-asan

# The tests that run threads, in-process or in the liftd they start (build-tsan/liftd). Any
# report fails the run: the test's own process exits 66, and support/liftd.c fails a test
# whose liftd logged one. tests/tsan.supp lists what is not ours, each entry with its reason.
TSAN_TESTS := test_snapshot test_spool test_expose_cache test_writer test_liftd test_dedup test_connections test_hostile \
              test_privacy test_e2e test_faults test_client_keys

tsan:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory BUILD=build-tsan CC=clang CFLAGS="-O1 -g" \
	  SAN="-fsanitize=thread -fno-omit-frame-pointer" -j$(JOBS) build-tests
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 \
	  suppressions=$(CURDIR)/tests/tsan.supp" tests/run.sh build-tsan $(TSAN_TESTS)

FUZZ_SECONDS ?= 60
FUZZERS      := $(patsubst tests/fuzz/%.c,build-fuzz/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang CFLAGS="-O1 -g" \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  -j$(JOBS) $(FUZZERS)
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory -j$(JOBS) build-all $(BENCHES)
	@bench/run.sh $(BUILD)

SOAK_SECONDS ?= 600

soak:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory -j$(JOBS) build-all $(BUILD)/bench/soak
	@bench/soak.sh $(BUILD) $(SOAK_SECONDS)

demo:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory -j$(JOBS) build-all
	@scripts/demo.sh $(BUILD)

# --- install -------------------------------------------------------------------

PREFIX        ?= /usr/local
DESTDIR       ?=
BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
MANDIR        ?= $(PREFIX)/share/man
DATADIR       ?= $(PREFIX)/share/lift
DOCDIR        ?= $(PREFIX)/share/doc/lift
SYSCONFDIR    ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR       ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions

# Made from the binaries themselves: the manual pages from --help, the completion from
# the command table; the unit and the example settings with the install paths.
GENERATED := $(BUILD)/man/liftd.8 $(BUILD)/man/liftctl.1 $(BUILD)/dist/liftctl.bash \
             $(BUILD)/dist/liftd.service $(BUILD)/dist/liftd.env.example
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

$(BUILD)/man/liftd.8: $(BUILD)/liftd build-aux/mkman.sh
	@mkdir -p $(@D)
	build-aux/mkman.sh liftd 8 $(BUILD)/liftd > $@.tmp && mv $@.tmp $@

$(BUILD)/man/liftctl.1: $(BUILD)/liftctl build-aux/mkman.sh
	@mkdir -p $(@D)
	build-aux/mkman.sh liftctl 1 $(BUILD)/liftctl > $@.tmp && mv $@.tmp $@

$(BUILD)/dist/liftctl.bash: $(BUILD)/liftctl
	@mkdir -p $(@D)
	$(BUILD)/liftctl completion bash > $@.tmp && mv $@.tmp $@

# The paths are part of these files, so they are made again at every install.
$(BUILD)/dist/liftd.service $(BUILD)/dist/liftd.env.example: FORCE
	@mkdir -p $(@D)
	$(SUBST) dist/$(@F)$(if $(filter %.service,$@),.in) > $@

FORCE:

install:
	@scripts/deps.sh build check
	@$(MAKE) --no-print-directory -j$(JOBS) build-all
	@$(MAKE) --no-print-directory $(GENERATED)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/sql/migrations \
	  $(DESTDIR)$(DATADIR)/sql/analysis $(DESTDIR)$(DATADIR)/sql/examples \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPLETIONDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/lift
	install -m 0755 $(BUILD)/liftctl $(DESTDIR)$(BINDIR)/liftctl
	install -m 0755 $(BUILD)/liftd $(DESTDIR)$(SBINDIR)/liftd
	install -m 0644 $(BUILD)/man/liftctl.1 $(DESTDIR)$(MANDIR)/man1/liftctl.1
	install -m 0644 $(BUILD)/man/liftd.8 $(DESTDIR)$(MANDIR)/man8/liftd.8
	install -m 0644 sql/migrations/*.sql $(DESTDIR)$(DATADIR)/sql/migrations
	install -m 0644 sql/analysis/*.sql $(DESTDIR)$(DATADIR)/sql/analysis
	install -m 0644 sql/examples/*.sql $(DESTDIR)$(DATADIR)/sql/examples
	install -m 0644 README.md LICENSE docs/*.md $(BUILD)/dist/liftd.env.example $(DESTDIR)$(DOCDIR)
	install -m 0644 $(BUILD)/dist/liftd.service $(DESTDIR)$(UNITDIR)/liftd.service
	install -m 0644 $(BUILD)/dist/liftctl.bash $(DESTDIR)$(COMPLETIONDIR)/liftctl
	@# The settings file holds secrets: made once (0600), never overwritten.
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/lift/liftd.env ]; then \
	  echo "install -m 0600 liftd.env.example $(DESTDIR)$(SYSCONFDIR)/lift/liftd.env"; \
	  install -m 0600 $(BUILD)/dist/liftd.env.example $(DESTDIR)$(SYSCONFDIR)/lift/liftd.env; \
	else \
	  echo "kept $(DESTDIR)$(SYSCONFDIR)/lift/liftd.env"; \
	fi

# --- objects and libraries ---------------------------------------------------

# The version (VERSION) goes into the two binaries' --version.
VERSION_NUMBER := $(shell cat VERSION)
$(BUILD)/server/main.o $(BUILD)/cli/liftctl.o: VERSION_CPPFLAGS := -DLIFT_VERSION='"$(VERSION_NUMBER)"'
$(BUILD)/server/main.o $(BUILD)/cli/liftctl.o: VERSION

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# SQL files are compiled into the binaries, so liftctl works from any directory.
$(BUILD)/gen/sqlfiles.c: $(BUILD)/build-aux/embed $(SQL_FILES)
	@mkdir -p $(@D)
	$(BUILD)/build-aux/embed $(SQL_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/sqlfiles.o: $(BUILD)/gen/sqlfiles.c
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/build-aux/embed: build-aux/embed.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@

$(L)liftcommon.a: $(COMMON_OBJ)
$(L)liftcore.a: $(CORE_OBJ)
$(L)liftstats.a: $(STATS_OBJ)
$(L)liftdb.a: $(DB_OBJ)
$(L)liftd.a: $(SERVER_OBJ)
$(L)liftreport.a: $(REPORT_OBJ)
$(L)liftsim.a: $(SIM_OBJ)
$(BUILD)/lib%.a:
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/liftd: $(BUILD)/server/main.o $(LIFTD_LIBS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/liftctl: $(CLI_OBJ) $(LIFTCTL_LIBS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(PURE_TESTS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(L)liftcore.a $(L)liftcommon.a
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(CORE_LINK) -lcriterion -o $@

# test_snapshot counts and checks the configs the snapshot frees (see the test).
$(BUILD)/tests/test_snapshot: ALL_LDFLAGS += -Wl,--wrap=lift_config_free

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(SUPPORT_OBJ) $(ALL_LIBS)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -lcriterion -o $@

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(ALL_LIBS)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# --- housekeeping ------------------------------------------------------------

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	@scripts/deps.sh format
	clang-format -i $(FORMAT_SRC)

format-check:
	@scripts/deps.sh format
	clang-format --dry-run -Werror $(FORMAT_SRC)

clean:
	rm -rf build build-asan build-tsan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
