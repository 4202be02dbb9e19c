# valscope build. `make` builds build/valscope; `make test` installs missing Debian packages,
# builds everything and runs the whole suite; `make demo` runs the simulated first run.
.DEFAULT_GOAL := all
BUILD ?= build
CC ?= cc
OPT ?= -O2 -g
SANFLAGS ?=
PKGS := libcurl jansson yaml-0.1 sqlite3

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wshadow
# The CLI sees the public headers only (include/valscope/); the library also its own src/.
CFLAGS_PUB = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude $(PKG_CFLAGS) $(OPT) $(SANFLAGS) -MMD -MP
CFLAGS_ALL = $(CFLAGS_PUB) -Isrc $(LLAMA_CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) $(LLAMA_LIBS) -lm -lpthread

# mk/llama.mk sets LLAMA_CFLAGS/LLAMA_LIBS when the llama.cpp libraries were fetched.
-include mk/llama.mk

LIB_SRC := $(shell find src -name '*.c' ! -path 'src/cli/*' | sort)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SRC := $(wildcard src/cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SUP_SRC := $(wildcard tests/support/*.c)
SUP_OBJ := $(SUP_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
TEST_BIN := $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%) $(INTEG_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
TEST_LIBS = $(shell pkg-config --libs cmocka libmicrohttpd 2>/dev/null)

FORCE:

.PHONY: all deps test tests unit demo asan fuzz fuzz-smoke bench clean format conformance layers

all: $(BUILD)/valscope

deps:
	@scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/obj/src/cli/%.o: src/cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PUB) -c $< -o $@

$(BUILD)/libvalscope.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libtestsupport.a: $(SUP_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/valscope: $(CLI_OBJ) $(BUILD)/libvalscope.a
	$(CC) $(OPT) $(SANFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libvalscope.a $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libvalscope.a $(BUILD)/libtestsupport.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $< $(BUILD)/libtestsupport.a $(BUILD)/libvalscope.a \
	    $(TEST_LIBS) $(LDLIBS_ALL)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libvalscope.a $(BUILD)/libtestsupport.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $< $(BUILD)/libtestsupport.a $(BUILD)/libvalscope.a \
	    $(TEST_LIBS) $(LDLIBS_ALL)

tests: all $(TEST_BIN)

# Every #include "..." in src/ against the layer list src/LAYERS (docs/internals/layers.md).
layers:
	@scripts/check-layers.sh

test:
	@scripts/check-layers.sh
	@scripts/install-deps.sh
	@scripts/fetch-llama.sh
	@$(MAKE) --no-print-directory tests
	@tests/run-tests.sh $(BUILD)

demo:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@rm -f $(BUILD)/demo.db $(BUILD)/demo.db-wal $(BUILD)/demo.db-shm
	$(BUILD)/valscope run examples/demo.yaml --store $(BUILD)/demo.db
	$(BUILD)/valscope score $(BUILD)/demo.db
	$(BUILD)/valscope report $(BUILD)/demo.db --html $(BUILD)/demo.html
	@echo "demo: report written to $(BUILD)/demo.html (simulated respondents)"

# The whole suite under AddressSanitizer + UBSan, in its own build folder.
asan:
	@scripts/install-deps.sh clang
	@scripts/fetch-llama.sh
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang OPT="-O1 -g" \
	    SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" tests
	@ASAN_OPTIONS=detect_leaks=1 tests/run-tests.sh build-asan

# libFuzzer targets; fuzz-smoke runs each for a short while (CI).
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
build-fuzz/%: tests/fuzz/%.c FORCE
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT="-O1 -g" \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libvalscope.a
	clang $(CFLAGS_ALL) -O1 -g -fsanitize=fuzzer,address,undefined -o $@ $< \
	    build-fuzz/libvalscope.a $(LDLIBS_ALL)
fuzz: $(FUZZ_BIN)
fuzz-smoke:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	@$(MAKE) --no-print-directory fuzz
	@for f in $(FUZZ_BIN); do \
	    n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
	    echo "fuzz-smoke: $$n"; \
	    $$f -max_total_time=$${FUZZ_SECONDS:-20} -rss_limit_mb=1024 build-fuzz/corpus-$$n \
	        tests/fuzz/corpus/$$n 2>build-fuzz/$$n.log || { tail -40 build-fuzz/$$n.log; exit 1; }; \
	done

# A real OpenAI-compatible server no one on this project wrote: llama.cpp's llama-server,
# built from the fetched source bundle (several minutes), serving stories260K on 127.0.0.1.
conformance:
	@scripts/install-deps.sh
	@scripts/fetch-llama.sh
	@$(MAKE) --no-print-directory all
	@tests/conformance/run.sh $(BUILD)

bench: all $(BENCH_BIN)
	@echo "benchmarks built in $(BUILD)/bench/: see bench/README.md"

format:
	clang-format -i $$(find include src tests bench -name '*.[ch]')

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SUP_OBJ:.o=.d)
