# lift — build, test and benchmark. Everything goes to $(BUILD) (default build/).
#
#   make            deps + build/liftd + build/liftctl
#   make test       deps + build + the whole suite against a throwaway PostgreSQL
#   make test-faults the fault tests (tests/fault/) at full length
#   make demo       the main job end to end (see README)
#   make sanitize   the suite under ASan+UBSan (clang)
#   make fuzz       the libFuzzer harnesses of tests/fuzz/, FUZZ_SECONDS each (default 60)
#   make bench      benchmarks under bench/
#   make soak       liftd under half its maximum load for SOAK_SECONDS (default 600)
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

ALL_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L -pthread $(WARN) $(SAN) -MMD -MP $(CFLAGS)
ALL_CPPFLAGS = -Iinclude $(shell pkg-config --cflags $(PKGS)) $(CPPFLAGS)
ALL_LDFLAGS  = -pthread $(SAN) $(LDFLAGS)
LIBS         = $(shell pkg-config --libs $(PKGS)) -lm

COMMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard common/*.c))
STATS_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard stats/*.c))
SERVER_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out server/main.c,$(wildcard server/*.c))) \
              $(BUILD)/gen/sqlfiles.o
REPORT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard reports/*.c))
SIM_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(wildcard sim/*.c))
CLI_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(wildcard cli/*.c))
SUPPORT_OBJ:= $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/support/*.c))
TESTS      := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c tests/fault/test_*.c))
BENCHES    := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
SQL_FILES  := $(sort $(wildcard sql/migrations/*.sql sql/analysis/*.sql))

# Link order: higher layers first.
CORE_LIBS := $(BUILD)/libliftreport.a $(BUILD)/libliftsim.a $(BUILD)/libliftserver.a \
             $(BUILD)/libliftstats.a $(BUILD)/libliftcommon.a

.PHONY: all deps build-all build-tests test test-faults sanitize fuzz bench soak demo clean \
        format format-check
.DEFAULT_GOAL := all
.SECONDARY:

all:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory -j$(JOBS) build-all

deps:
	@scripts/deps.sh test

build-all: $(BUILD)/liftd $(BUILD)/liftctl

build-tests: build-all $(TESTS)

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory -j$(JOBS) build-tests
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
	@LIFT_SANITIZE=1 tests/run.sh build-asan

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

# --- objects and libraries ---------------------------------------------------

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

$(BUILD)/libliftcommon.a: $(COMMON_OBJ)
$(BUILD)/libliftstats.a: $(STATS_OBJ)
$(BUILD)/libliftserver.a: $(SERVER_OBJ)
$(BUILD)/libliftreport.a: $(REPORT_OBJ)
$(BUILD)/libliftsim.a: $(SIM_OBJ)
$(BUILD)/lib%.a:
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/liftd: $(BUILD)/server/main.o $(CORE_LIBS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/liftctl: $(CLI_OBJ) $(CORE_LIBS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(SUPPORT_OBJ) $(CORE_LIBS)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -lcriterion -o $@

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(CORE_LIBS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(CORE_LIBS)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# --- housekeeping ------------------------------------------------------------

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(FORMAT_SRC)

format-check:
	clang-format --dry-run -Werror $(FORMAT_SRC)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
