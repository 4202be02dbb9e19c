#!/usr/bin/env bash
# Checks the #include "..." lines of every .c/.h file under ROOT/src (default: the current
# folder) against the layer list ROOT/src/LAYERS: a file may include headers of its own layer
# or of a lower one. Prints one "file:line: ..." message per problem and exits 1 when there is
# any, 0 (with a one-line summary) when the tree keeps its layers.
set -u
root=${1:-.}
[ -f "$root/src/LAYERS" ] || { echo "check-layers: $root/src/LAYERS: no such file" >&2; exit 2; }
cd "$root" || exit 2

# One awk pass: the list, then the names of all headers (to resolve includes), then each file.
find src include -name '*.[ch]' 2>/dev/null | LC_ALL=C sort | LC_ALL=C awk '
function complain(msg) { print msg; errors++ }
# "a/./b/../c" -> "a/c"; "" when it climbs out of the tree.
function normal(p,    n, i, parts, out, k, r) {
    n = split(p, parts, "/"); k = 0
    for (i = 1; i <= n; i++) {
        if (parts[i] == "..") { if (k == 0) return ""; k-- }
        else if (parts[i] != "." && parts[i] != "") out[++k] = parts[i]
    }
    r = out[1]
    for (i = 2; i <= k; i++) r = r "/" out[i]
    return r
}
# The part a header belongs to (a folder under src/, or valscope/NAME.h for a public header),
# looked up like the compiler does: next to the including file, then under include/ and src/.
# "" when it is not found.
function owner(dir, h,    p) {
    p = normal(dir "/" h)
    if (!(p in exists) && ("include/" h) in exists) return h
    if (!(p in exists)) p = normal("src/" h)
    if (!(p in exists) || p !~ /^src\/[^\/]+\//) return ""
    p = substr(p, 5)
    return substr(p, 1, index(p, "/") - 1)
}
FILENAME == "src/LAYERS" {
    lineno++
    sub(/#.*/, "")
    if (NF == 0) next
    if ($1 == "allow") {
        if (NF != 3) { complain("src/LAYERS:" lineno ": expected \"allow FILE HEADER\""); next }
        allow[$2 " " $3] = lineno; n_allow++
        next
    }
    n_layers++
    for (i = 2; i <= NF; i++) {
        if ($i in rank) complain("src/LAYERS:" lineno ": \"" $i "\" is already in layer " layer[$i])
        rank[$i] = n_layers; layer[$i] = $1
    }
    next
}
FILENAME == "-" { exists[$0] = 1; if ($0 ~ /^src\//) files[++n_files] = $0; next }
END {
    for (fi = 1; fi <= n_files; fi++) {
        f = files[fi]
        sub_ = substr(f, 5)
        if (index(sub_, "/") == 0) { complain(f ": a file outside any folder of src/ has no layer"); continue }
        folder = substr(sub_, 1, index(sub_, "/") - 1)
        if (!(folder in rank)) {
            if (!(folder in unknown)) complain("src/" folder ": folder not in src/LAYERS (give it a layer there)")
            unknown[folder] = 1
            continue
        }
        dir = f; sub(/\/[^\/]*$/, "", dir)
        ln = 0
        while ((getline text < f) > 0) {
            ln++
            if (text !~ /^[ \t]*#[ \t]*include[ \t]*"/) continue
            h = text; sub(/^[^"]*"/, "", h); sub(/".*/, "", h)
            o = owner(dir, h)
            if (o == "") { complain(f ":" ln ": #include \"" h "\": no such header under src/ or include/"); continue }
            if (!(o in rank)) { complain(f ":" ln ": #include \"" h "\": " o " is not in src/LAYERS"); continue }
            if (rank[o] <= rank[folder]) continue
            if ((f " " h) in allow) { used[f " " h] = 1; continue }
            complain(f ":" ln ": #include \"" h "\" points up: layer " layer[folder] " (" folder \
                     ") may not include layer " layer[o] " (" o "); see src/LAYERS")
        }
        close(f)
    }
    for (k in allow)
        if (!(k in used))
            complain("src/LAYERS:" allow[k] ": \"allow " k "\" is no longer needed: remove the line")
    if (errors) { print "check-layers: " errors " problem(s)"; exit 1 }
    printf "check-layers: %d files keep their layers (%d listed exceptions)\n", n_files, n_allow
}
' src/LAYERS -
