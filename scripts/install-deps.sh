#!/bin/sh
# Install the Debian 12 packages tessera needs to build, test, evaluate and benchmark.
# Run as root (or with sudo). Safe to run again: apt-get skips what is installed.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev
libutf8proc-dev libxxhash-dev libzstd-dev zlib1g-dev libsqlite3-dev libjansson-dev
libdivsufsort-dev libmicrohttpd-dev libstemmer-dev libbz2-dev
openmpi-bin libopenmpi-dev
python3 python3-dev python3-setuptools python3-pip python3-venv python3-pytest python3-pandas
similarity-tester ssdeep hyperfine time strace bzip2
sword-text-kjv sword-text-web diatheke
chromium wrk"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PKGS
# The browser test of `tessera serve` (tests/serve/) runs Playwright on Node.js
# (>= 18); npm installs playwright-core there.  Keep a Node.js that is already
# installed (e.g. a newer one from elsewhere), else take Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
