# tcpshake - plain non-recursive GNU Makefile; everything is built under build/.
#
#   make            library and CLI
#   make demo       install missing build packages (Debian), build, analyse the sample capture
#   make check      install missing build and test packages, build, run every test
#   make deps       install missing Debian packages for the build (BUILD_PKGS)
#   make test-deps  and for the tests too (TEST_TOOLS)
#
# WERROR=1 turns warnings into errors (CI); CC=clang builds with clang.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
VERSION := $(shell sed -n 's/^\#define TCPSHAKE_VERSION "\(.*\)"/\1/p' include/tcpshake/status.h)

WARN = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wold-style-definition -Wformat=2 -Wvla -Wpointer-arith -Wwrite-strings -Wundef \
       -Wcast-align
# Link-time optimisation: a packet's path crosses the reader, decoder, flow table and
# tracker, each in its own file, and inlining across them saves instructions on every
# packet. gcc's objects carry machine code too, so the installed static
# library links without LTO (clang 14 has no such option; its archive is bitcode).
LTO      ?= -flto=auto $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null)),,-ffat-lto-objects)
CFLAGS   ?= -O2 -g $(LTO)
SRC_DIRS := src $(sort $(dir $(wildcard src/*/*.c src/*/*.h)))
CPPFLAGS += -std=c11 -D_DEFAULT_SOURCE -Iinclude $(patsubst %/,%,$(SRC_DIRS:%=-I%))
ALL_CFLAGS = $(CPPFLAGS) $(WARN) $(if $(WERROR),-Werror) -fvisibility=hidden -fPIC -MMD -MP \
             $(CFLAGS)
LDLIBS  += -lpcap -lz -lzstd -pthread -lm

SANITIZE = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC  := $(wildcard src/*.c src/*/*.c)
# The public headers: tcpshake.h, the one a program includes, and the parts behind it.
API_HEADERS := $(wildcard include/tcpshake/*.h)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A    := $(BUILD)/libtcpshake.a
LIB_SO   := $(BUILD)/libtcpshake.so
CLI      := $(BUILD)/tcpshake
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOLS    := $(BUILD)/tests/make_hostile $(BUILD)/tests/hash_flood
FIELDS   := $(BUILD)/tools/fields

.SECONDARY:

.PHONY: all demo check check-rest check-build check-build-asan check-build-tsan test unit \
        e2e e2e-files e2e-net e2e-delay e2e-net-rest asan asan-files asan-net corpus tsan \
        tsan-run clang deps test-deps deps-check install uninstall format format-check clean \
        golden fuzz fuzz-build fuzz-replay fuzz-replay-run valgrind asan-corpus asan-corpus-run schema

all: $(CLI) $(LIB_SO)

# V=1 shows whole command lines.
Q = $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	@$(if $(V),,echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJ)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) -shared $(CFLAGS) $(LDFLAGS) -Wl,-soname,libtcpshake.so.0 $^ -o $@ $(LDLIBS)

$(CLI): $(BUILD)/cli/main.o $(BUILD)/cli/probe.o $(BUILD)/cli/agg.o $(BUILD)/cli/writer.o \
	$(BUILD)/cli/streams.o $(BUILD)/cli/summary.o $(BUILD)/cli/inputs.o \
	$(BUILD)/cli/rotate.o $(BUILD)/cli/ladder.o $(BUILD)/cli/habits.o $(BUILD)/cli/select.o \
	$(BUILD)/cli/table.o $(BUILD)/cli/report.o $(BUILD)/cli/p0f.o \
	$(BUILD)/cli/metrics.o $(BUILD)/cli/metrics_http.o $(LIB_A)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# Unit tests see the library's internals; alloc.c is rebuilt with fault injection.
$(BUILD)/tests/alloc_fault.o: src/alloc.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -DTCPSHAKE_FAULT_INJECTION -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/tests/alloc_fault.o $(LIB_A)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# Built against a frozen older header (tests/abi/tcpshake_old.h) and linked with the
# current shared library: structs that grow must not break such a program.
ABI_TEST := $(BUILD)/tests/abi_old_caller
$(BUILD)/tests/abi/abi_old_caller.o: CPPFLAGS += -Itests/unit
$(ABI_TEST): $(BUILD)/tests/abi/abi_old_caller.o $(BUILD)/tests/abi/abi_reference.o $(LIB_SO)
	$(Q)ln -sf libtcpshake.so $(BUILD)/libtcpshake.so.0
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.o,$^) -o $@ -L$(BUILD) -ltcpshake \
		-Wl,-rpath,'$$ORIGIN/..'

$(BUILD)/tests/make_hostile: $(BUILD)/tests/tools/make_hostile.o
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@

# Uses the library's own flow hash to aim at slots (tests/e2e/hashflood.sh, bench).
$(BUILD)/tests/hash_flood: $(BUILD)/tests/tools/hash_flood.o $(LIB_A)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# The TLS observer over client byte streams: JA4 per ClientHello (tests/corpus/ja4_check.sh).
$(BUILD)/tests/ja4_stream: $(BUILD)/tests/tools/ja4_stream.o $(LIB_A)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# Prints the CSV header, JSON Schema and field names the output field lists describe.
$(FIELDS): $(BUILD)/tools/fields.o $(LIB_A)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# Rewrites docs/*.schema.json after a change to a field list (src/output/*_fields.h).
schema: $(FIELDS)
	$(FIELDS) schema >docs/record.schema.json
	$(FIELDS) health-schema >docs/health.schema.json
	$(FIELDS) alert-schema >docs/alert.schema.json
	$(FIELDS) summary-schema >docs/summary.schema.json
	$(FIELDS) interval-schema >docs/interval.schema.json

# ------------------------------------------------------------------- tests

unit: $(UNIT_BIN) $(ABI_TEST)
	@set -e; for t in $(UNIT_BIN); do $$t; done
	@$(ABI_TEST) tests/data/handshakes.pcap

# The end-to-end suites: on files (tests/e2e/run.sh), then on live stacks in network
# namespaces (tests/e2e/net.sh, root).
E2E_TOOLS := $(CLI) $(TOOLS) $(FIELDS) $(BUILD)/bench/gen_trace
e2e: e2e-files e2e-net

e2e-files: $(E2E_TOOLS)
	@tests/e2e/run.sh $(CLI) $(BUILD)/tests/make_hostile $(BUILD)/bench/gen_trace $(FIELDS)

e2e-net: $(E2E_TOOLS)
	@tests/e2e/net.sh $(CLI) $(BUILD)/bench/gen_trace

# make check's two parts of it: the delay suite (alone), the others (beside other suites).
e2e-delay: $(E2E_TOOLS)
	@NET_PART=delay tests/e2e/net.sh $(CLI) $(BUILD)/bench/gen_trace

e2e-net-rest: $(E2E_TOOLS)
	@NET_PART=rest tests/e2e/net.sh $(CLI) $(BUILD)/bench/gen_trace

corpus: $(CLI) $(BUILD)/tests/ja4_stream
	@python3 tests/corpus/differential.py $(CLI)
	@tests/corpus/ja4_check.sh $(BUILD)/tests/ja4_stream
	@python3 tests/corpus/tls_tshark.py $(CLI)

golden: $(CLI) $(TOOLS) $(FIELDS) $(BUILD)/bench/gen_trace
	@UPDATE_GOLDEN=1 tests/e2e/run.sh $(CLI) $(BUILD)/tests/make_hostile $(BUILD)/bench/gen_trace \
		$(FIELDS)

# The same unit and end-to-end suites under AddressSanitizer + UBSan (build/asan).
# (Warnings are errors in the plain and clang builds; a sanitizer build does not add any.)
ASAN_MAKE = $(MAKE) --no-print-directory BUILD=build/asan CFLAGS="$(SANITIZE)" \
	LDFLAGS="-fsanitize=address,undefined" WERROR=
asan:
	@+SANITIZED=1 $(ASAN_MAKE) unit e2e

asan-files:
	@+SANITIZED=1 $(ASAN_MAKE) unit e2e-files

asan-net:
	@+SANITIZED=1 $(ASAN_MAKE) e2e-net

# The unit tests and the CLI over every capture (tests/data, hostile, ../shared/corpus)
# under valgrind's memcheck; see tests/valgrind.sh.
valgrind: $(CLI) $(UNIT_BIN) $(TOOLS)
	@$(call apt_install,$(call tool_pkgs,$(VALGRIND_TOOLS)))
	@tests/valgrind.sh $(CLI) $(BUILD)/tests/make_hostile $(UNIT_BIN)

# The ASan + UBSan CLI over every ../shared/corpus capture in all four formats.
asan-corpus:
	@+$(ASAN_MAKE) asan-corpus-run

asan-corpus-run: $(CLI)
	@tests/corpus/sanitized.sh $(CLI)

# The multi-core tests (test_shard, tests/e2e/threads.sh on tests/data and a generated
# flood) under ThreadSanitizer.
TSAN_MAKE = $(MAKE) --no-print-directory BUILD=build/tsan CFLAGS="-O1 -g -fsanitize=thread" \
	LDFLAGS="-fsanitize=thread" WERROR=
tsan:
	@+$(TSAN_MAKE) tsan-run

tsan-run: $(CLI) $(BUILD)/tests/test_shard $(BUILD)/bench/gen_trace
	@$(BUILD)/tests/test_shard
	@TSAN=1 tests/e2e/threads.sh $(CLI) $(BUILD)/bench/gen_trace

# A warning-free build with clang as well (gcc is the default CC on Debian).
clang:
	@$(MAKE) --no-print-directory BUILD=build/clang CC=clang WERROR=1 all

# make check: every build first, side by side on all cores (recursive makes share the
# job slots); the unit tests and the fuzz replay; then the delay suite alone, since it
# checks delays to the millisecond; then everything else side by side, one job per core
# and one more, since the suites on live stacks mostly wait (each build has its own folder).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TEST_BINS = $(E2E_TOOLS) $(UNIT_BIN) $(ABI_TEST) $(BUILD)/tests/ja4_stream
check test: test-deps
	@$(MAKE) --no-print-directory deps-check
	@$(MAKE) --no-print-directory -j$(JOBS) WERROR=1 check-build
	@$(MAKE) --no-print-directory WERROR=1 unit
	@$(MAKE) --no-print-directory fuzz-replay
	@$(MAKE) --no-print-directory WERROR=1 e2e-delay
	@$(MAKE) --no-print-directory -j$$(($(JOBS) + 1)) WERROR=1 check-rest
	@echo "check: 14 passed, 0 failed (deps, build, unit, fuzz-replay, e2e-delay, e2e-net-rest," \
		"asan-net, e2e-files, asan-files, clang, tsan, corpus, asan-corpus, format)"

check-build: all $(TEST_BINS) check-build-asan check-build-tsan clang

check-build-asan:
	@+$(ASAN_MAKE) $(patsubst $(BUILD)/%,build/asan/%,$(TEST_BINS)) \
		$(FUZZ_TARGETS:%=build/asan/fuzzbin/replay_%)

check-build-tsan:
	@+$(TSAN_MAKE) build/tsan/tcpshake build/tsan/tests/test_shard

check-rest: e2e-net-rest e2e-files asan-net asan-files tsan corpus asan-corpus format-check

demo: deps
	@$(MAKE) --no-print-directory all
	$(CLI) -r tests/data/sample.pcap -o table

# ------------------------------------------------------------ Debian packages
#
# What a fresh Debian needs, in this one place (README, Quick start).
# BUILD_PKGS: the build and `make demo`, nothing else.
# TEST_TOOLS: every command `make check` runs, as COMMAND:PACKAGE, except those of
# Debian's Essential and required packages (coreutils, grep, sed, util-linux, mawk ...,
# present on every Debian, even a minbase debootstrap). The tests declare what they run
# with `needs`/`optional` (tests/need.sh); `make deps-check` (tests/deps_check.py, part of
# check) fails when a test script runs a command it does not declare, declares one missing
# from TEST_TOOLS, or when dpkg says a command comes from another package than listed.
BUILD_PKGS     = gcc libc6-dev make libpcap-dev zlib1g-dev libzstd-dev
TEST_TOOLS     = gcc:gcc clang:clang clang-format:clang-format python3:python3 \
                 ip:iproute2 nft:nftables sysctl:procps tcpdump:tcpdump tshark:tshark \
                 nmap:nmap hping3:hping3 editcap:wireshark-common zstd:zstd \
                 make:make pkg-config:pkgconf jq:jq chromium:chromium p0f:p0f \
                 ss:iproute2 openssl:openssl \
                 prometheus:prometheus promtool:prometheus
# Not part of check: make valgrind installs these.
VALGRIND_TOOLS = valgrind:valgrind
tool_pkgs = $(sort $(foreach t,$(1),$(lastword $(subst :, ,$(t)))))
# Python modules the tests import (tests/e2e/schema.sh validates records with jsonschema).
TEST_MODULES   = python3-jsonschema
TEST_PKGS = $(call tool_pkgs,$(TEST_TOOLS)) $(TEST_MODULES)

# $(call apt_install,PKGS): apt-get install those of PKGS not installed yet (sudo unless
# root; no questions asked).
apt_install = missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing </dev/null; \
	fi

deps:
	@$(call apt_install,$(BUILD_PKGS))

test-deps:
	@$(call apt_install,$(BUILD_PKGS) $(TEST_PKGS))

deps-check:
	@python3 tests/deps_check.py --check $(TEST_TOOLS) --other $(VALGRIND_TOOLS)

# ------------------------------------------------------------------- fuzzing
#
#   make fuzz-replay   replay fuzz/corpus and fuzz/regressions through each target
#                      (any compiler; ASan + UBSan build in build/asan)
#   make fuzz          libFuzzer (clang) for FUZZ_SECONDS per target, on a copy of the
#                      seeds in build/fuzz/corpus; crashes go to build/fuzz/crashes/<target>/
# See fuzz/README.md.

FUZZ_TARGETS ?= decode tracker pipeline readers tls p0f
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?=
FUZZ_MAXLEN_decode = 4096
FUZZ_MAXLEN_tracker = 4096
FUZZ_MAXLEN_pipeline = 65536
FUZZ_MAXLEN_readers = 65536
FUZZ_MAXLEN_tls = 20000
FUZZ_MAXLEN_p0f = 4096
FUZZ_SANITIZE = $(SANITIZE) -fsanitize=fuzzer-no-link

# The pipeline target also links alloc.c with fault injection (see fuzz_pipeline.c).
$(BUILD)/fuzzbin/alloc_fault.o: src/alloc.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -DTCPSHAKE_FAULT_INJECTION -c $< -o $@

FUZZ_EXTRA_decode =
FUZZ_EXTRA_tracker =
FUZZ_EXTRA_pipeline = $(BUILD)/fuzzbin/alloc_fault.o
FUZZ_EXTRA_readers =
FUZZ_EXTRA_tls =
FUZZ_EXTRA_p0f =

.SECONDEXPANSION:
$(BUILD)/fuzzbin/replay_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/replay.o $$(FUZZ_EXTRA_$$*) $(LIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/fuzzbin/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $$(FUZZ_EXTRA_$$*) $(LIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined $(LDFLAGS) $^ -o $@ $(LDLIBS)

fuzz-replay:
	@+$(ASAN_MAKE) fuzz-replay-run

fuzz-replay-run: $(FUZZ_TARGETS:%=$(BUILD)/fuzzbin/replay_%)
	@set -e; pass=0; for t in $(FUZZ_TARGETS); do \
		line=$$($(BUILD)/fuzzbin/replay_$$t $$t fuzz/corpus/$$t fuzz/regressions/$$t) || \
			{ echo "$$line"; echo "fuzz-replay: $$t failed"; exit 1; }; \
		n=$$(echo "$$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p'); pass=$$((pass + n)); \
	done; echo "fuzz-replay: $$pass passed, 0 failed"

fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzzbin/fuzz_%)

fuzz:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang CFLAGS="$(FUZZ_SANITIZE)" fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus/$$t build/fuzz/crashes/$$t; \
		cp -n fuzz/corpus/$$t/* build/fuzz/corpus/$$t/ 2>/dev/null || true; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		build/fuzz/fuzzbin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-max_len=$$(case $$t in pipeline|readers) echo $(FUZZ_MAXLEN_pipeline);; \
				tracker) echo $(FUZZ_MAXLEN_tracker);; tls) echo $(FUZZ_MAXLEN_tls);; \
				*) echo $(FUZZ_MAXLEN_decode);; esac) \
			-timeout=10 -print_final_stats=1 $(FUZZ_FLAGS) \
			-artifact_prefix=build/fuzz/crashes/$$t/ build/fuzz/corpus/$$t; \
	done

# ------------------------------------------------------------------- bench

# Benchmarks print figures and assert nothing; they are not part of check. The trace is
# generated once per size and seed under $(BUILD)/bench (the defaults take about 8 GB of disk).
BENCH_PACKETS       ?= 10000000
BENCH_SEED          ?= 1
BENCH_FLOOD         ?= 10000000
BENCH_OOO           ?= 1000000
BENCH_PEERS_PACKETS ?= 2000000
BENCH_HASH_SYNS     ?= 100000
BENCH_SCALE_ROUNDS  ?= 3
# The mixed trace: BENCH_PACKETS packets of which this many are flood SYNs (0: none).
BENCH_MIXED         ?= $(shell echo $$(( $(BENCH_PACKETS) * 3 / 10 )))
BENCH_TOOLS := $(BUILD)/bench/gen_trace $(BUILD)/bench/runner $(BUILD)/bench/readloop \
               $(BUILD)/bench/blast \
               $(BUILD)/bench/hashbench $(BUILD)/tests/hash_flood

.PHONY: bench bench-live bench-peers bench-deps bench-compare

$(BUILD)/bench/gen_trace: $(BUILD)/bench/gen_trace.o
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ -lm

$(BUILD)/bench/runner: $(BUILD)/bench/runner.o
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@

$(BUILD)/bench/hashbench: $(BUILD)/bench/hashbench.o $(LIB_A)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/bench/readloop: $(BUILD)/bench/readloop.o
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ -lpcap

$(BUILD)/bench/blast: $(BUILD)/bench/blast.o
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ -lpcap

bench: $(CLI) $(BENCH_TOOLS)
	@BENCH_SCALE_ROUNDS=$(BENCH_SCALE_ROUNDS) BENCH_MIXED=$(BENCH_MIXED) \
		bench/bench.sh $(BUILD) $(BENCH_PACKETS) $(BENCH_SEED) $(BENCH_FLOOD) $(BENCH_OOO) \
		$(BENCH_HASH_SYNS)

# Live capture (-i) on a veth in a namespace of its own, fed by bench/blast.c at top speed
# (bench/live.sh; root): the rate with no kernel drop, default buffer and -B.
BENCH_LIVE_PACKETS ?= 1000000
BENCH_LIVE_SYNS    ?= 1000000
BENCH_LIVE_BUFFER  ?= 262144
bench-live: $(CLI) $(BENCH_TOOLS)
	@bench/live.sh $(BUILD) $(BENCH_LIVE_PACKETS) $(BENCH_LIVE_SYNS) $(BENCH_LIVE_BUFFER)

bench-peers: $(CLI) $(BENCH_TOOLS)
	@bench/peers.sh $(BUILD) $(BENCH_PEERS_PACKETS) $(BENCH_SEED)

# An older binary and this one interleaved on the same traces (bench/compare.sh):
# make bench-compare OLD=path/to/old/tcpshake [BENCH_ROUNDS=5] [BENCH_COMPARE_TRACES=...]
BENCH_ROUNDS         ?= 5
BENCH_COMPARE_TRACES ?= gen:2000000 flood:1000000 ooo:1000000
bench-compare: $(CLI) $(BENCH_TOOLS)
	@test -n "$(OLD)" || { echo "make bench-compare OLD=path/to/old/tcpshake" >&2; exit 2; }
	@bench/compare.sh $(BUILD) $(OLD) $(CLI) $(BENCH_ROUNDS) $(BENCH_COMPARE_TRACES)

# The peers bench-peers compares with (Debian packages; not needed by anything else).
BENCH_PEER_PKGS = tshark tcptrace argus-server argus-client
bench-deps:
	@$(call apt_install,$(BENCH_PEER_PKGS))

# ----------------------------------------------------------------- install

# LIBDIR: where the libraries and tcpshake.pc go (Debian multiarch: LIBDIR=$(PREFIX)/lib/x86_64-linux-gnu).
LIBDIR  ?= $(PREFIX)/lib
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/tcpshake
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libtcpshake.a
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libtcpshake.so.0
	ln -sf libtcpshake.so.0 $(DESTDIR)$(LIBDIR)/libtcpshake.so
	install -d $(DESTDIR)$(PREFIX)/include/tcpshake
	install -m 644 include/tcpshake.h $(DESTDIR)$(PREFIX)/include/tcpshake.h
	install -m 644 $(API_HEADERS) $(DESTDIR)$(PREFIX)/include/tcpshake/
	install -m 644 docs/tcpshake.1 $(DESTDIR)$(PREFIX)/share/man/man1/tcpshake.1
	install -m 644 completions/tcpshake $(DESTDIR)$(BASHCOMPDIR)/tcpshake
	printf 'prefix=%s\nlibdir=%s\nincludedir=$${prefix}/include\n\nName: tcpshake\nDescription: TCP handshake and teardown analysis\nVersion: %s\nLibs: -L$${libdir} -ltcpshake\nLibs.private: %s\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(LIBDIR)' '$(VERSION)' '$(LDLIBS)' > $(DESTDIR)$(LIBDIR)/pkgconfig/tcpshake.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tcpshake $(DESTDIR)$(LIBDIR)/libtcpshake.a \
		$(DESTDIR)$(LIBDIR)/libtcpshake.so $(DESTDIR)$(LIBDIR)/libtcpshake.so.0 \
		$(DESTDIR)$(PREFIX)/include/tcpshake.h $(DESTDIR)$(PREFIX)/share/man/man1/tcpshake.1 \
		$(DESTDIR)$(LIBDIR)/pkgconfig/tcpshake.pc $(DESTDIR)$(BASHCOMPDIR)/tcpshake \
		$(API_HEADERS:include/%=$(DESTDIR)$(PREFIX)/include/%)
	-rmdir $(DESTDIR)$(PREFIX)/include/tcpshake

# ------------------------------------------------------------------- style

FORMAT_FILES = $(wildcard include/*.h include/*/*.h src/*.c src/*.h src/*/*.c src/*/*.h cli/*.c tests/unit/*.c tests/unit/*.h \
               tests/abi/*.c tests/abi/*.h \
               tests/tools/*.c tools/*.c examples/*.c)
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
