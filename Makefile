# lfd: learning from demonstration for humanoid robots.
#
#   make demo      install dependencies if missing, build, run the whole pipeline
#   make test      build (installing the build packages if missing) and run the suite; tests
#                  whose optional tools are missing skip, saying so (make ci installs them)
#   make ci        what CI runs: test, asan, valgrind, each fuzz target 10 s (FUZZ_CI_SECONDS)
#   make           build build/liblfd.a, build/liblfdclient.a and build/lfd
#   make asan      build and run the tests under AddressSanitizer + UBSan
#   make valgrind  run the tests under Valgrind memcheck
#   make soak      the serving soak and fault test for 60 s (make test runs it for 6 s)
#   make bench     run the benchmarks (machine-readable lines "BENCH {...}")
#   make fuzz      run every libFuzzer target for FUZZ_SECONDS (default 60) under ASan + UBSan
#   make deps      install the Debian packages lfd needs (root: apt-get; else prints the command)
#   make check-layers  fail if a lower layer includes a higher one
#   make arm64     cross-build the controller side for arm64 into $(BUILD)/arm64
#
# Variables: BUILD (output folder, default build; asan and fuzz use $(BUILD)-asan and
# $(BUILD)-fuzz), CC, CFLAGS, TESTS (filter words for the test runner), JOBS (tests run
# at once, default 2), V=1 (show commands).

BUILD   ?= build
CC      ?= cc
AR      ?= ar
OPT     ?= -O2 -g
CFLAGS  ?=
LDFLAGS ?=
JOBS    ?= 2
TESTS   ?=

# the native build is the -Werror gate; the arm64 cross build shows warnings only
# (GCC's inlining, and so its format-truncation warnings, differ per target)
WERROR  ?= -Werror
WARN     := -std=c11 -Wall -Wextra $(WERROR) -Wno-unused-parameter
CPPFLAGS := -I. -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
ALL_CFLAGS := $(WARN) $(OPT) $(CPPFLAGS) $(CFLAGS) -fPIC -MMD -MP
# EGL and GLFW are not linked: rendering opens them when it starts
# (sim/lfd_gl_dlopen.c), so `lfd serve` runs on a computer without them
LIBS     := -lmujoco -lopenblas -lzmq -lmsgpackc -lz -ldl -lpthread -lm
CLIENT_LIBS := -lzmq -lpthread -lm

# ---- Debian packages (Debian 12) -----------------------------------------------------
# BUILD_PKGS: what building and running lfd needs (a plain `make` checks these only).
BUILD_PKGS := build-essential pkg-config libmujoco-dev libmujoco-samples libopenblas-dev \
              libzmq3-dev libmsgpack-dev zlib1g-dev libegl-dev libglfw3-dev
# TEST_PKGS: the tools of the test stages (checked by ci, asan, fuzz and valgrind):
# the Python client and cross-language tests, Valgrind, clang for libFuzzer,
# a real single-node Slurm (tests/test_batch_slurm.c), Chromium for the corpus
# report's page (tests/test_report.c),
# Mesa, ffmpeg and Xvfb for rendering, and the arm64 cross build of the
# controller side run under qemu (tests/test_arm64_client.c).
ARM64_PKGS := gcc-aarch64-linux-gnu qemu-user libzmq3-dev:arm64 libmsgpack-dev:arm64 \
              libmujoco-dev:arm64 libopenblas-dev:arm64 zlib1g-dev:arm64
TEST_PKGS  := python3 python3-zmq python3-msgpack python3-numpy valgrind clang \
              libclang-rt-14-dev libegl-mesa0 libgl1-mesa-dri ffmpeg xvfb xauth \
              slurm-wlm munge chromium $(ARM64_PKGS)
DEB_PKGS   := $(BUILD_PKGS) $(TEST_PKGS)

LAYERS   := core robots ingest retarget sim policies runtime
LIB_SRC  := $(foreach d,$(LAYERS),$(wildcard $(d)/*.c))
CLI_SRC  := $(wildcard runtime/cli/*.c)
TEST_SRC := $(wildcard tests/*.c tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard bench/*.c) tests/lfd_poses.c
# the client library links on its own: the runtime client plus the core pieces it uses
CLIENT_SRC := $(wildcard runtime/lfd_client*.c runtime/lfd_proto*.c runtime/lfd_filter*.c) \
              core/lfd_err.c core/lfd_buf.c core/lfd_mp.c core/lfd_mp_json.c core/lfd_ndarray.c \
              core/lfd_json.c core/lfd_io.c core/lfd_log.c core/lfd_util.c

# The per-message kernels (safety filter, normalisation, activations, array
# conversion) are branch-free loops; with these flags GCC runs them as vector
# code at -O2.  Results are unchanged: no reassociation, no fast-math
# (tests/test_serve_filter.c compares the filter with a plain reference bit
# for bit).  Compilers without the options build them as plain loops.
VEC_FLAGS := $(shell $(CC) -fvect-cost-model=dynamic -fno-trapping-math -E -x c /dev/null \
                 >/dev/null 2>&1 && echo -fvect-cost-model=dynamic -fno-trapping-math)
VEC_SRC   := runtime/lfd_filter.c policies/lfd_policy.c policies/lfd_mlp.c core/lfd_ndarray.c
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ   := $(call obj,$(LIB_SRC))
CLI_OBJ   := $(call obj,$(CLI_SRC))
TEST_OBJ  := $(call obj,$(TEST_SRC))
BENCH_OBJ := $(call obj,$(BENCH_SRC))
CLIENT_OBJ := $(call obj,$(sort $(CLIENT_SRC)))
$(call obj,$(VEC_SRC)): ALL_CFLAGS += $(VEC_FLAGS)

LIB    := $(BUILD)/liblfd.a
CLIENT := $(BUILD)/liblfdclient.a
BIN    := $(BUILD)/lfd
TESTBIN := $(BUILD)/lfd_tests
BENCHBIN := $(BUILD)/lfd_bench
# stamps: the build packages, the test tools (SKIP_DEPS=1: no check, for cross builds)
DEPS_OK := $(if $(SKIP_DEPS),,$(BUILD)/.deps-ok)
TEST_DEPS_OK := $(if $(SKIP_DEPS),,$(BUILD)/.test-deps-ok)

.PHONY: all test asan valgrind bench demo deps check-layers clean fuzz fuzz-bins soak ci \
        client arm64 arm64-client
.DEFAULT_GOAL := all

all: $(BIN) $(LIB) $(CLIENT) $(TESTBIN)
client: $(CLIENT)

# ---- dependencies ----------------------------------------------------------------------
# `make deps` installs what is missing of PKGS (default: every package above);
# as another user it says what is missing and how to install it, and
# succeeds when nothing is.  Packages named PKG:ARCH get their architecture
# added to dpkg first (multiarch).
PKGS ?= $(DEB_PKGS)
deps:
	@missing=""; for p in $(PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: the $(words $(PKGS)) Debian packages are installed"; exit 0; fi; \
	archs=$$(for p in $$missing; do case $$p in *:*) echo "$${p#*:}";; esac; done | sort -u); \
	if [ "$$(id -u)" != 0 ]; then \
	    echo "deps: missing Debian packages:$$missing; run as root:"; \
	    for a in $$archs; do echo "  dpkg --add-architecture $$a"; done; \
	    echo "  apt-get update && apt-get install -y$$missing"; \
	    exit 1; \
	fi; \
	for a in $$archs; do \
	    dpkg --print-foreign-architectures | grep -qx "$$a" || dpkg --add-architecture "$$a" || exit 1; \
	done; \
	echo "deps: installing$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing

# re-checked when the Makefile (and so the package lists) changes
$(BUILD)/.deps-ok: Makefile
	@mkdir -p $(BUILD)
	@$(MAKE) --no-print-directory deps PKGS="$(BUILD_PKGS)"
	@touch $@

$(BUILD)/.test-deps-ok: Makefile
	@mkdir -p $(BUILD)
	@$(MAKE) --no-print-directory deps PKGS="$(TEST_PKGS)"
	@touch $@

# ---- build -------------------------------------------------------------------------------
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

$(BUILD)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(filter 1,$(V)),,echo "  CC    $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(CLIENT): $(CLIENT_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LIBS)

# the tests count the allocations lfd's own code makes (tests/test_serve_alloc.c):
# calls from the statically linked objects go through __wrap_malloc & co.
TEST_WRAP := -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
$(TESTBIN): $(TEST_OBJ) $(LIB)
	$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) $(TEST_WRAP) -o $@ $(TEST_OBJ) $(LIB) $(LIBS)

$(BENCHBIN): $(BENCH_OBJ) $(LIB)
	$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) -o $@ $(BENCH_OBJ) $(LIB) $(LIBS)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BENCH_OBJ:.o=.d)

# ---- run ---------------------------------------------------------------------------------
check-layers:
	@sh tests/check-layers.sh

test: all check-layers
	@LFD_BIN=$(BIN) LFD_TEST_TMP=$(BUILD)/test-tmp $(TESTBIN) -j $(JOBS) $(TESTS)

# what CI runs (.ci/run): test, asan, valgrind, then each fuzz target briefly;
# ends with the total "N passed, N failed" (tests/ci.sh)
FUZZ_CI_SECONDS ?= 10
ci: $(DEPS_OK) $(TEST_DEPS_OK)
	@FUZZ_CI_SECONDS=$(FUZZ_CI_SECONDS) MAKE="$(MAKE)" sh tests/ci.sh

SOAK_SECONDS ?= 60
soak: all
	@LFD_BIN=$(BIN) LFD_TEST_TMP=$(BUILD)/test-tmp LFD_SOAK_S=$(SOAK_SECONDS) \
	    $(TESTBIN) -v serve_soak

demo: $(BIN)
	$(BIN) demo

bench: $(BENCHBIN) $(BIN)
	@LFD_BIN=$(BIN) $(BENCHBIN)

SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
asan: $(TEST_DEPS_OK)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-asan OPT="-O1 -g" CFLAGS="$(SAN)" \
	    LDFLAGS="$(SAN)" test

valgrind: all $(TEST_DEPS_OK)
	@LFD_BIN=$(BIN) LFD_TEST_TMP=$(BUILD)/test-tmp-vg LFD_VALGRIND=1 LFD_FUZZ_ITERS=4000 \
	    valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
	    --suppressions=tests/valgrind.supp \
	    --trace-children=no --child-silent-after-fork=no -q \
	    $(TESTBIN) -j $(JOBS) $(TESTS)

# libFuzzer targets (tests/fuzz/fuzz_<name>.c), built with clang under ASan + UBSan
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
fuzz: $(TEST_DEPS_OK)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-fuzz CC=clang OPT="-O1 -g" \
	    CFLAGS="-fsanitize=fuzzer-no-link $(SAN)" LDFLAGS="$(SAN)" fuzz-bins
	@sh tests/fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-bins: $(FUZZ_BINS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -DLFD_LIBFUZZER -fsanitize=fuzzer $(LDFLAGS) $< $(LIB) $(LIBS) -o $@

# ---- arm64: the controller side for a robot's computer -------------------------------
# `make arm64`: liblfdclient.a and the `lfd` command (serve, ctl-demo) into
# $(BUILD)/arm64, cross-built with Debian's gcc-aarch64-linux-gnu against the
# arm64 libraries of ARM64_PKGS; `make arm64-client`: the client library
# alone (what tests/test_arm64_client.c builds and runs under qemu-aarch64).
CROSS ?= aarch64-linux-gnu
ARM64_MAKE = $(MAKE) --no-print-directory BUILD=$(BUILD)/arm64 CC=$(CROSS)-gcc AR=$(CROSS)-ar \
             SKIP_DEPS=1 WERROR=
arm64:
	+@$(ARM64_MAKE) $(BUILD)/arm64/liblfdclient.a $(BUILD)/arm64/lfd
arm64-client:
	+@$(ARM64_MAKE) $(BUILD)/arm64/liblfdclient.a

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz
