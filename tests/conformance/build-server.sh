#!/usr/bin/env bash
# Builds llama.cpp's own llama-server (CPU only) from the source that scripts/fetch-llama.sh
# cloned into .deps/llama/src, into .deps/llama/server-build. Takes several minutes on two
# cores the first time; later runs are instant. Prints the binary's path on success.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
deps=${VSC_LLAMA_DEPS:-$here/.deps/llama}
bin=$deps/server-build/bin/llama-server
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
"$here/scripts/fetch-llama.sh" >&2
if [ ! -f "$deps/src/CMakeLists.txt" ]; then
    echo "build-server: no llama.cpp source in $deps/src (scripts/fetch-llama.sh failed)" >&2
    exit 1
fi
command -v cmake >/dev/null || { echo "build-server: cmake is not installed" >&2; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)
echo "build-server: building llama-server with $jobs jobs (several minutes)" >&2
cmake -S "$deps/src" -B "$deps/server-build" -DCMAKE_BUILD_TYPE=Release \
    -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
    -DLLAMA_BUILD_TOOLS=ON -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "$deps/server-build" --target llama-server -j "$jobs" >&2
echo "$bin"
