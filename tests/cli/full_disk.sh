#!/bin/sh
# tests/cli/full_disk.sh - a full disk while indexing: exit 5 (a system
# error: "No space left on device" / "database or disk is full"), never 4
# (index error), and the index stays as of its last commit (verify sound).
# The disk is a small tmpfs (mount needs root; skipped, with a message,
# where it cannot be mounted).  Sizes that run out in the segment writes,
# in the catalog's commit and in the catalog's first transaction.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
gen=$(tsr_abs "${DROUNDTRIP_BIN:-build/tests/discover_roundtrip}")
tsr_need tests/cli/full_disk.sh "$bin" "$gen"
tsr_workdir fulldisk
mkdir disk
if ! mount -t tmpfs -o size=1M tmpfs disk 2>/dev/null; then
    echo "full_disk.sh: SKIPPED: cannot mount a small tmpfs here (needs root)"
    echo "0 passed, 0 failed"
    exit 0
fi
umount disk
trap 'umount "$work/disk" 2>/dev/null; rm -rf "$work"' EXIT
"$gen" 2 --docs 3000 --families 30 --write-jsonl corpus.jsonl || exit 5
for size in 300k 2M 3M 5M; do
    mount -t tmpfs -o size=$size tmpfs disk || { tsr_fail "mount $size"; continue; }
    "$bin" index -q --batch-mb 1 --db disk/ix corpus.jsonl > out.txt 2>&1
    st=$?
    if [ $st -eq 5 ] && grep -qi "no space left\|disk is full" out.txt; then
        tsr_ok "full disk ($size): exit 5"
    else
        tsr_fail "full disk ($size): exit $st, wanted 5: $(head -c 300 out.txt)"
    fi
    if [ ! -d disk/ix ] || "$bin" verify --db disk/ix --quiet > v.txt 2>&1; then
        tsr_ok "full disk ($size): the index is sound"
    else
        tsr_fail "full disk ($size): verify: $(head -c 300 v.txt)"
    fi
    umount disk
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
