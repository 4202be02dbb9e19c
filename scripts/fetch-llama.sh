#!/usr/bin/env bash
# Fetches llama.cpp for the `llama` backend without vendoring it: the prebuilt shared libraries
# come from the npm package @node-llama-cpp/linux-x64 and the matching headers (and the source
# that `make conformance` builds llama-server from) from the git bundle inside node-llama-cpp.
# Everything lands in the git-ignored folder .deps/llama/:
#   lib/      libllama, libggml, libggml-base and the libggml-cpu-* variants
#   include/  llama.h, ggml*.h, gguf.h
#   src/      llama.cpp source cloned from the bundle
# Idempotent (a stamp file makes a second run instant) and soft: when npm or the registry is not
# reachable it says so and exits 0, and valscope builds without the llama backend.
set -u
VERSION=3.22.1
here=$(cd "$(dirname "$0")/.." && pwd)
deps=${VSC_LLAMA_DEPS:-$here/.deps/llama}
stamp=$deps/.fetched-$VERSION

soft_fail() {
    echo "fetch-llama: $*" >&2
    echo "fetch-llama: the llama backend will not be built; rerun scripts/fetch-llama.sh" \
         "when npm can reach the registry." >&2
    exit 0
}

if [ -f "$stamp" ] && [ -f "$deps/include/llama.h" ] && [ -e "$deps/lib/libllama.so" ]; then
    exit 0
fi
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) soft_fail "prebuilt llama.cpp libraries are only fetched for Linux x86_64" ;;
esac
command -v npm >/dev/null 2>&1 || soft_fail "npm is not installed"
command -v git >/dev/null 2>&1 || soft_fail "git is not installed"

mkdir -p "$deps/pkg" || soft_fail "cannot create $deps"
cd "$deps/pkg" || soft_fail "cannot enter $deps/pkg"
for p in "@node-llama-cpp/linux-x64@$VERSION" "node-llama-cpp@$VERSION"; do
    tgz=$(echo "$p" | sed -e 's/^@//' -e 's|/|-|' -e 's/@/-/').tgz
    if [ ! -s "$tgz" ]; then
        echo "fetch-llama: npm pack $p"
        npm pack --loglevel=error --fetch-retries=1 --fetch-retry-mintimeout=2000 \
            --fetch-retry-maxtimeout=10000 --fetch-timeout=60000 \
            "$p" >/dev/null 2>npm-error.log \
            || soft_fail "npm pack $p failed: $(tail -3 npm-error.log | tr '\n' ' ')"
    fi
done

tmp=$(mktemp -d "$deps/tmp.XXXXXX") || soft_fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# Libraries: keep the released file names (their SONAMEs) and add plain names for the linker.
tar xzf node-llama-cpp-linux-x64-$VERSION.tgz -C "$tmp" package/bins/linux-x64 \
    || soft_fail "cannot unpack the prebuilt libraries"
rm -rf "$deps/lib" && mkdir -p "$deps/lib"
cp "$tmp"/package/bins/linux-x64/*.so "$deps/lib/" || soft_fail "no libraries in the package"
(
    cd "$deps/lib" || exit 1
    ln -sf "$(ls libllama.v*.so | head -1)" libllama.so
    ln -sf "$(ls libggml.v*.so | head -1)" libggml.so
) || soft_fail "unexpected library names in the package"

# Headers and source from the git bundle of the same release.
tar xzf node-llama-cpp-$VERSION.tgz -C "$tmp" package/llama/gitRelease.bundle \
    || soft_fail "cannot unpack the source bundle"
rm -rf "$deps/src"
git clone --quiet "$tmp/package/llama/gitRelease.bundle" "$deps/src" 2>"$tmp/git.log" \
    || soft_fail "git clone of the bundle failed: $(tail -2 "$tmp/git.log")"
rm -rf "$deps/include" && mkdir -p "$deps/include"
cp "$deps/src/include/llama.h" "$deps/src/ggml/include/"*.h "$deps/include/" \
    || soft_fail "headers missing from the bundle"

rm -f "$deps"/.fetched-*
touch "$stamp"
echo "fetch-llama: llama.cpp $(cat "$deps/src/.git/HEAD" 2>/dev/null | cut -c1-12) ready in $deps"
