# llama.cpp for the in-process `llama` backend (src/backends/llama.c).
# scripts/fetch-llama.sh puts prebuilt libraries and matching headers in .deps/llama; when they
# are there this sets LLAMA_CFLAGS/LLAMA_LIBS, otherwise the backend builds as a stub whose
# open() says how to get them. Headers go in with -isystem so their warnings are not ours.
LLAMA_DIR ?= $(CURDIR)/.deps/llama

ifneq ($(wildcard $(LLAMA_DIR)/include/llama.h),)
ifneq ($(wildcard $(LLAMA_DIR)/lib/libllama.so),)
LLAMA_CFLAGS := -DVSC_HAVE_LLAMA -isystem $(LLAMA_DIR)/include
LLAMA_LIBS := -L$(LLAMA_DIR)/lib -lllama -lggml -lggml-base -ldl -Wl,-rpath,$(LLAMA_DIR)/lib
endif
endif

# Rebuild the backend when the libraries appear or change (its flags depend on them).
$(BUILD)/obj/src/backends/llama.o $(BUILD)/obj/src/backends/llama_stub.o: mk/llama.mk $(wildcard $(LLAMA_DIR)/.fetched-*)
