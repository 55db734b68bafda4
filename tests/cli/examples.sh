#!/bin/sh
# tests/cli/examples.sh - the example programs of examples/ run and succeed
# (each checks its own result: the passage it expects, the source it expects).
set -u
cd "$(dirname "$0")/../.." || exit 5
build=${BUILD:-build}
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsr-examples-XXXXXX") || exit 5
trap 'rm -rf "$tmp"' EXIT
for ex in align_pair index_and_check; do
    case $ex in
    index_and_check) args="$tmp/ix" ;;
    *) args="" ;;
    esac
    # shellcheck disable=SC2086
    if "$build/examples/$ex" $args > "$tmp/$ex.out" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL examples/$ex: exit $?"
        sed 's/^/    /' "$tmp/$ex.out" | head -20
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
