#!/bin/sh
# tests/python.sh - the Python package (python/): installed as a user would,
# `pip install --no-build-isolation --no-deps`, into a scratch directory,
# then its pytest suite (python/tests) against build/tessera on a generated
# corpus.  Uses the machine's python3 when it has pytest, else Debian's
# /usr/bin/python3 (python3-pytest, which the set-up installs).
set -u
cd "$(dirname "$0")/.." || exit 5
root=$(pwd)
build=${BUILD:-build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsr-python-XXXXXX") || exit 5
trap 'rm -rf "$tmp"' EXIT
py=python3
$py -c "import pytest, setuptools" 2>/dev/null || py=/usr/bin/python3
if ! $py -c "import pytest, setuptools" 2>/dev/null; then
    echo "python.sh: no python3 with pytest and setuptools (make deps installs them)"
    echo "0 passed, 1 failed"
    exit 1
fi
cp -r python "$tmp/src"   # pip builds in place: keep the work tree clean
if ! TESSERA_ROOT=$root TESSERA_BUILD=$root/$build $py -m pip install -q --no-build-isolation --no-deps --target "$tmp/site" "$tmp/src" \
        >"$tmp/pip.log" 2>&1; then
    echo "FAIL pip install: $(tail -n 5 "$tmp/pip.log")"
    echo "0 passed, 1 failed"
    exit 1
fi
"$root/$build/tests/discover_roundtrip" 3 --docs 1500 --families 60 --write-jsonl "$tmp/corpus.jsonl" ||
    { echo "0 passed, 1 failed"; exit 1; }
cd "$tmp" || exit 5
PYTHONPATH=$tmp/site TESSERA_BIN=$root/$build/tessera TSR_CORPUS=$tmp/corpus.jsonl TSR_TESTDATA=$root/tests/data \
    $py -m pytest -q -p no:cacheprovider "$tmp/src/tests" >"$tmp/pytest.log" 2>&1
st=$?
tail -n 15 "$tmp/pytest.log" | grep -v "^$" | sed -n '/FAIL\|Error\|error\|assert/p' | head -20
passed=$(sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p; s/^\([0-9][0-9]*\) passed.*/\1/p' "$tmp/pytest.log" | tail -1)
failed=$(sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p; s/^\([0-9][0-9]*\) failed.*/\1/p' "$tmp/pytest.log" | tail -1)
[ -n "$passed" ] || passed=0
[ -n "$failed" ] || failed=0
[ $st -ne 0 ] && [ "$failed" = 0 ] && { failed=1; tail -n 30 "$tmp/pytest.log"; }
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
