# lfd: learning from demonstration for humanoid robots.
#
#   make demo      install dependencies if missing, build, run the whole pipeline
#   make test      install dependencies if missing, build, run every test
#   make ci        what CI runs: test, asan, valgrind, each fuzz target 10 s (FUZZ_CI_SECONDS)
#   make           build build/liblfd.a, build/liblfdclient.a and build/lfd
#   make asan      build and run the tests under AddressSanitizer + UBSan
#   make valgrind  run the tests under Valgrind memcheck
#   make soak      the serving soak and fault test for 60 s (make test runs it for 6 s)
#   make bench     run the benchmarks (machine-readable lines "BENCH {...}")
#   make fuzz      run every libFuzzer target for FUZZ_SECONDS (default 60) under ASan + UBSan
#   make deps      install the Debian packages lfd needs (root: apt-get; else prints the command)
#   make check-layers  fail if a lower layer includes a higher one
#
# Variables: BUILD (output folder, default build), CC, CFLAGS, TESTS (filter
# words for the test runner), JOBS (tests run at once, default 2), V=1 (show commands).

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2 -g
CFLAGS  ?=
LDFLAGS ?=
JOBS    ?= 2
TESTS   ?=

WARN     := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS := -I. -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
ALL_CFLAGS := $(WARN) $(OPT) $(CPPFLAGS) $(CFLAGS) -fPIC -MMD -MP
LIBS     := -lmujoco -lopenblas -lzmq -lmsgpackc -lEGL -lglfw -lz -lpthread -lm

# Debian packages (Debian 12).  Everything lfd needs at build, test and run time.
DEB_PKGS := build-essential pkg-config libmujoco-dev libmujoco-samples libopenblas-dev \
            libzmq3-dev libmsgpack-dev python3 python3-zmq python3-msgpack python3-numpy \
            valgrind clang libclang-rt-14-dev \
            libegl-dev libegl-mesa0 libgl1-mesa-dri zlib1g-dev ffmpeg libglfw3-dev xvfb xauth
# Test tools, not needed to build or run lfd: a real single-node Slurm
# (tests/test_batch_slurm.c) and a headless browser (tests/test_report.c).
# `make deps` installs them too and `make ci` makes sure they are there;
# `make test` skips those tests, with the reason, where they are missing.
TEST_PKGS := slurm-wlm munge chromium
# files whose absence means the packages above are not installed
DEP_FILES := /usr/include/mujoco/mujoco.h /usr/include/zmq.h /usr/include/msgpack.h \
             /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h \
             /usr/share/mujoco/model/humanoid/humanoid.xml /usr/include/GLFW/glfw3.h

LAYERS   := core robots ingest retarget sim policies runtime
LIB_SRC  := $(foreach d,$(LAYERS),$(wildcard $(d)/*.c))
CLI_SRC  := $(wildcard runtime/cli/*.c)
TEST_SRC := $(wildcard tests/*.c tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard bench/*.c)
# the client library links on its own: the runtime client plus the core pieces it uses
CLIENT_SRC := $(wildcard runtime/lfd_client*.c runtime/lfd_proto*.c runtime/lfd_filter*.c) \
              core/lfd_err.c core/lfd_mp.c core/lfd_ndarray.c core/lfd_json.c core/lfd_io.c \
              core/lfd_log.c

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
DEPS_OK := $(BUILD)/.deps-ok
TEST_DEPS_OK := $(BUILD)/.test-deps-ok

.PHONY: all test asan valgrind bench demo deps check-layers clean fuzz fuzz-bins soak ci
.DEFAULT_GOAL := all

all: $(BIN) $(LIB) $(CLIENT) $(TESTBIN)

# ---- dependencies ----------------------------------------------------------------------
deps:
	@if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages: $(DEB_PKGS) $(TEST_PKGS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS) $(TEST_PKGS); \
	else \
	    echo "lfd needs these Debian packages; run:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y $(DEB_PKGS) $(TEST_PKGS)"; \
	    exit 1; \
	fi

# re-checked when the Makefile (and so the package list) changes
$(DEPS_OK): Makefile
	@mkdir -p $(BUILD)
	@missing=""; for f in $(DEP_FILES); do [ -e "$$f" ] || missing="$$missing $$f"; done; \
	for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "missing:$$missing"; $(MAKE) --no-print-directory deps || exit 1; fi
	@touch $@

$(TEST_DEPS_OK): Makefile
	@mkdir -p $(BUILD)
	@missing=""; for p in $(TEST_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "missing test tools:$$missing"; $(MAKE) --no-print-directory deps || exit 1; fi
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
	ar rcs $@ $^

$(CLIENT): $(CLIENT_OBJ)
	@rm -f $@
	ar rcs $@ $^

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
	@LFD_BIN=$(BIN) LFD_TEST_TMP=$(BUILD)/test-tmp ./$(TESTBIN) -j $(JOBS) $(TESTS)

# what CI runs (.ci/run): test, asan, valgrind, then each fuzz target briefly;
# ends with the total "N passed, N failed" (tests/ci.sh)
FUZZ_CI_SECONDS ?= 10
ci: $(DEPS_OK) $(TEST_DEPS_OK)
	@FUZZ_CI_SECONDS=$(FUZZ_CI_SECONDS) MAKE="$(MAKE)" sh tests/ci.sh

SOAK_SECONDS ?= 60
soak: all
	@LFD_BIN=$(BIN) LFD_TEST_TMP=$(BUILD)/test-tmp LFD_SOAK_S=$(SOAK_SECONDS) \
	    ./$(TESTBIN) -v serve_soak

demo: $(BIN)
	./$(BIN) demo

bench: $(BENCHBIN) $(BIN)
	@LFD_BIN=$(BIN) ./$(BENCHBIN)

SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" CFLAGS="$(SAN)" \
	    LDFLAGS="$(SAN)" test

valgrind: all
	@LFD_BIN=$(BIN) LFD_TEST_TMP=$(BUILD)/test-tmp-vg LFD_VALGRIND=1 LFD_FUZZ_ITERS=4000 \
	    valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
	    --suppressions=tests/valgrind.supp \
	    --trace-children=no --child-silent-after-fork=no -q \
	    ./$(TESTBIN) -j $(JOBS) $(TESTS)

# libFuzzer targets (tests/fuzz/fuzz_<name>.c), built with clang under ASan + UBSan
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
fuzz:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT="-O1 -g" \
	    CFLAGS="-fsanitize=fuzzer-no-link $(SAN)" LDFLAGS="$(SAN)" fuzz-bins
	@sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-bins: $(FUZZ_BINS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -DLFD_LIBFUZZER -fsanitize=fuzzer $(LDFLAGS) $< $(LIB) $(LIBS) -o $@

clean:
	rm -rf build build-asan build-fuzz
