# guestimg — reproducible confidential-VM guest images.
#
#   make            build build/guestimg, build/lib/guestimg/libguestimg-build.so
#                   (the build commands, loaded on use) and the component libraries
#   make deps       install every Debian package the build, demo and tests need
#   make check      fast test tier: C unit tests + bats CLI tests
#   make check-slow slow tier (kernel reproducibility, golden hashes, reprotest, …)
#   make check-repro reprotest's variations on the demo release and kernel
#   make golden     rewrite tests/golden/*.sha256 (a change that alters output on purpose)
#   make demo       build and boot the demo guest
#   make bench      benchmarks, printed as ratios against named baselines
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS each
#
# SANITIZE=1 builds everything with ASan+UBSan into build/san/ and runs the
# same tests against that binary.

.SUFFIXES:
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all
SHELL := /bin/bash

PKGS := libcrypto jansson libarchive libzstd libcryptsetup ext2fs com_err \
        libfyaml libcurl libsolvext libsolv

ifeq ($(SANITIZE),1)
BUILD     ?= build/san
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
             -fno-omit-frame-pointer
else
BUILD     ?= build
SANFLAGS  :=
endif

CC        ?= cc
OPT       ?= -O2
CPPFLAGS  += -I. -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
             -DGUESTIMG_VERSION='"$(VERSION)"'
CFLAGS    += -std=c11 $(OPT) -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter -fno-common \
             -ffile-prefix-map=$(CURDIR)/= -fPIC -pthread $(SANFLAGS)
LDFLAGS   += -pthread $(SANFLAGS)
# Resolved lazily: the package list may not be installed yet when `make deps`
# runs, and pkg-config would complain.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION   := $(shell cat VERSION)

# Components: each directory holding code is one pipeline stage and one
# static library, lib<last path part>.a (builder/fs -> libfs.a); the CLI is
# a thin client (docs/architecture.md). Link order: users before what they
# use, i.e. the data flow read backwards: the release assembles the stages;
# a stage includes only stages before it (and their public headers) and
# common/, never release/ or cli/ (tests/layout.bats checks).
COMPONENTS := release sbom attest measure builder/kernel builder/packages \
              builder/fs builder/manifest common
LIBS       := $(foreach c,$(COMPONENTS),$(BUILD)/lib$(notdir $(c)).a)

define component_rules
$(1)_SRCS := $$(wildcard $(1)/*.c)
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/%.o,$$($(1)_SRCS))
$(BUILD)/lib$(notdir $(1)).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach c,$(COMPONENTS),$(eval $(call component_rules,$(c))))

CLI_SRCS  := $(wildcard cli/*.c)
CLI_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))
# Start-up (docs/startup.md): the executable holds the commands that only
# read and hash (measure, id-block, igvm, report, verify, report-html,
# publish, install), linked with
# --as-needed so it loads libcrypto and jansson only; the commands that
# build live in a private shared object with the heavy libraries, which
# main.c loads from lib/guestimg/ beside the executable. Every object is
# -fPIC so that both can take it; the executable exports its symbols
# (-rdynamic) so the object shares its error, log and progress state.
CLI_LIGHT := main measure id_block igvm igvm_build report verify report_html publish install
CLI_LIGHT_OBJS := $(patsubst %,$(BUILD)/cli/%.o,$(CLI_LIGHT))
CLI_HEAVY_OBJS := $(filter-out $(CLI_LIGHT_OBJS),$(CLI_OBJS))
BUILD_LIB := $(BUILD)/lib/guestimg/libguestimg-build.so

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

ALL_OBJS  := $(foreach c,$(COMPONENTS),$($(c)_OBJS)) $(CLI_OBJS)

.PHONY: all deps check check-slow check-all check-repro golden demo bench fuzz clean install units
all: $(BUILD)/guestimg $(BUILD_LIB)

# Objects follow the Makefile too: a change of flags (-fPIC, say) must not
# leave objects of the old ones in an existing build directory.
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/guestimg: $(CLI_LIGHT_OBJS) $(LIBS)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(CLI_LIGHT_OBJS) $(LIBS) -Wl,--as-needed $(PKG_LIBS) -lm

$(BUILD_LIB): $(CLI_HEAVY_OBJS) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -o $@ $(CLI_HEAVY_OBJS) $(LIBS) $(PKG_LIBS) -lm

$(BUILD)/tests/%: tests/unit/%.c tests/unit/harness.h $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(LIBS) $(PKG_LIBS) -lm

units: $(UNIT_BINS)

-include $(ALL_OBJS:.o=.d)

# Files the IGVM builder embeds with .incbin (the compiler's .d does not list them).
IGVM_EMBEDDED := acpi-tables/default/pages.bin acpi-tables/default/pages.txt keys/igvm-snakeoil-id-key.pem
$(BUILD)/measure/igvm_build.o: $(IGVM_EMBEDDED)

# ---------------------------------------------------------------- set-up ---
# Every Debian package the build, the demo and the tests need is listed in
# deps.txt. Nothing is installed when all are present. The demo manifest's
# .deb files go to output/debs/ (kept once there: later builds are offline).
deps:
	@tools/deps.sh deps.txt
	@tools/fetch-debs.sh || echo "deps: could not download the demo's .deb files into output/debs (make demo needs them)" >&2

# ----------------------------------------------------------------- tests ---
# tests/run prints TAP per test and ends with "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory all units
	@GUESTIMG=$(CURDIR)/$(BUILD)/guestimg UNIT_DIR=$(CURDIR)/$(BUILD)/tests \
	  tests/run fast

check-slow: deps
	@$(MAKE) --no-print-directory all units
	@GUESTIMG=$(CURDIR)/$(BUILD)/guestimg UNIT_DIR=$(CURDIR)/$(BUILD)/tests \
	  tests/run slow

check-all: deps
	@$(MAKE) --no-print-directory all units
	@GUESTIMG=$(CURDIR)/$(BUILD)/guestimg UNIT_DIR=$(CURDIR)/$(BUILD)/tests \
	  tests/run fast slow

# Reproducibility (README "Reproducible builds"): reprotest's variations on
# the demo release and the demo kernel, with a table of what ran (also run
# by the slow tier, tests/slow/repro.bats); `make golden` rewrites the
# golden hashes tests/golden/*.sha256 the slow tier checks.
check-repro: deps
	@$(MAKE) --no-print-directory all
	@GUESTIMG=$(CURDIR)/$(BUILD)/guestimg tests/repro/run

golden: deps
	@$(MAKE) --no-print-directory all
	@GUESTIMG=$(CURDIR)/$(BUILD)/guestimg tests/golden/run update

# ------------------------------------------------------------------ demo ---
demo: deps
	@$(MAKE) --no-print-directory all
	@GUESTIMG=$(CURDIR)/$(BUILD)/guestimg tools/demo.sh

# ----------------------------------------------------------------- bench ---
bench: deps
	@$(MAKE) --no-print-directory all
	@GUESTIMG=$(CURDIR)/$(BUILD)/guestimg tests/bench/run

# ------------------------------------------------------------------ fuzz ---
# libFuzzer targets, built with clang under ASan+UBSan, against the library
# sources compiled afresh with coverage instrumentation.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -std=c11 -g -O1 -pthread -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -I. -D_GNU_SOURCE \
                -D_FILE_OFFSET_BITS=64 -DGUESTIMG_VERSION='"$(VERSION)"'
FUZZ_LIBSRC  := $(foreach c,$(COMPONENTS),$($(c)_SRCS))

build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIBSRC)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(FUZZ_LIBSRC) $(PKG_LIBS) -lm

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BINS)

clean:
	rm -rf build

PREFIX ?= /usr/local
install: all
	install -D -m 0755 $(BUILD)/guestimg $(DESTDIR)$(PREFIX)/bin/guestimg
	install -D -m 0644 $(BUILD_LIB) $(DESTDIR)$(PREFIX)/lib/guestimg/libguestimg-build.so
