#!/usr/bin/env bash
# Installs the Debian packages valscope needs, only those that are missing. Run as root (CI and
# the dev machines are root); a non-root user without the packages is told what to install.
set -euo pipefail
pkgs=(build-essential pkg-config libcurl4-openssl-dev libjansson-dev libyaml-dev libsqlite3-dev
      libcmocka-dev libmicrohttpd-dev)
extra=("$@")   # e.g. clang libclang-rt-14-dev for sanitizers/fuzzers, chromium for the report test
missing=()
for p in "${pkgs[@]}" "${extra[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
