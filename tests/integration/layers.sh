#!/usr/bin/env bash
# The layer check (scripts/check-layers.sh against src/LAYERS): the real tree passes; a copy of
# it with one planted upward include fails and names the file, line and both layers; a toy tree
# shows a downward include passing, an upward one failing, an exception line letting it through
# and a stale exception line failing.
set -u
build=${VSC_BUILD:-build}
check=$PWD/scripts/check-layers.sh
work=$build/layers-test
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"

# expect RC GREP-PATTERN ROOT: runs the check on ROOT, asserts its exit code and output
expect() {
    local want=$1 pattern=$2 root=$3 out rc
    out=$("$check" "$root" 2>&1)
    rc=$?
    [ "$rc" = "$want" ] || fail "$root: exit $rc, expected $want; output:"$'\n'"$out"
    grep -qF -- "$pattern" <<<"$out" || fail "$root: output lacks '$pattern':"$'\n'"$out"
}

# 1. the real tree keeps its layers
expect 0 "files keep their layers" .

# 2. the real tree and list with one planted upward include: util may not include report
real=$work/real
mkdir -p "$real" && cp -r src include "$real/" || fail "cannot copy the tree"
n=$(wc -l <"$real/src/util/util.c")
echo '#include "report/report_int.h"' >>"$real/src/util/util.c"
expect 1 "src/util/util.c:$((n + 1)): #include \"report/report_int.h\" points up: layer util (util) may not include layer output (report)" "$real"
expect 1 "check-layers: 1 problem(s)" "$real"

# 3. a toy tree: low (a) below high (b)
toy=$work/toy
mkdir -p "$toy/src/a" "$toy/src/b" "$toy/include/valscope"
printf 'low a valscope/pa.h\nhigh b valscope/pb.h\n' >"$toy/src/LAYERS"
: >"$toy/src/a/a.h"
: >"$toy/src/b/b.h"
: >"$toy/include/valscope/pa.h"
: >"$toy/include/valscope/pb.h"
printf '#include "a/a.h"\n#include "b.h"\n#include "valscope/pa.h"\n' >"$toy/src/b/b.c"
printf '#include <stdio.h>\n#include "a.h"\n' >"$toy/src/a/a.c"
expect 0 "4 files keep their layers (0 listed exceptions)" "$toy"

printf '  #  include "../b/b.h"\n' >>"$toy/src/a/a.c"  # relative, spaced: still seen
expect 1 "src/a/a.c:3: #include \"../b/b.h\" points up: layer low (a) may not include layer high (b)" "$toy"
echo 'allow src/a/a.c ../b/b.h  # the one known debt' >>"$toy/src/LAYERS"
expect 0 "(1 listed exceptions)" "$toy"

printf '#include "valscope/pb.h"\n' >"$toy/src/a/a.h"  # a public header of the higher layer
expect 1 "src/a/a.h:1: #include \"valscope/pb.h\" points up" "$toy"
: >"$toy/src/a/a.h"

printf '#include "a.h"\n' >"$toy/src/a/a.c"  # the debt is paid: its line must go
expect 1 "src/LAYERS:3: \"allow src/a/a.c ../b/b.h\" is no longer needed" "$toy"
sed -i '/^allow/d' "$toy/src/LAYERS"
expect 0 "keep their layers" "$toy"

mkdir -p "$toy/src/c" && : >"$toy/src/c/c.c"  # a folder without a layer
expect 1 "src/c: folder not in src/LAYERS" "$toy"
rm -r "$toy/src/c"
: >"$toy/include/valscope/pz.h"  # a public header without a layer
printf '#include "valscope/pz.h"\n#include "a/gone.h"\n' >"$toy/src/a/a.c"
expect 1 "src/a/a.c:1: #include \"valscope/pz.h\": valscope/pz.h is not in src/LAYERS" "$toy"
expect 1 "src/a/a.c:2: #include \"a/gone.h\": no such header" "$toy"

echo "ok: layer check"
