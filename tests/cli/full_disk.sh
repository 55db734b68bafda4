#!/bin/sh
# tests/cli/full_disk.sh - a full disk while indexing: exit 5 (a system
# error: "No space left on device" / "database or disk is full"), never 4
# (index error), and the index stays as of its last commit (verify sound).
# The disk is a small tmpfs (mount needs root; skipped, with a message,
# where it cannot be mounted).  Sizes that run out in the segment writes,
# in the catalog's commit and in the catalog's first transaction.  Then the
# outputs (cli/atomic.c) on a full disk: dedup -o, check --jsonl -o and
# discover -o, --sqlite each exit 5 naming the file and "No space left on
# device" (SQLite: "database or disk is full"); the file that was there before is as it was and no temporary
# file is left on the disk.
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
# outputs: the tmpfs holds the earlier outputs and little more
"$bin" index -q --db ix corpus.jsonl || tsr_fail "index for the output cases"
mount -t tmpfs -o size=64k tmpfs disk || tsr_fail "mount 64k"
# out_case NAME FILE CMD...: CMD writes FILE on the full disk
out_case() {
    _n=$1 _f=$2
    shift 2
    echo "an earlier run's output" > "$_f"
    "$@" > out.txt 2>&1
    _st=$?
    _why=""
    [ $_st -eq 5 ] || _why="exit $_st, wanted 5; "
    grep -q "$_f.*\(No space left on device\|disk is full\)" out.txt ||
        _why="${_why}no message naming $_f and the full disk; "
    [ "$(cat "$_f")" = "an earlier run's output" ] || _why="${_why}$_f changed; "
    _left=$(ls -A disk | grep -v -x -e out.jsonl -e res.jsonl -e pairs.jsonl -e d.db)
    [ -z "$_left" ] || _why="${_why}left on the disk: $_left; "
    if [ -z "$_why" ]; then tsr_ok "full disk: $_n: exit 5, $_f as it was"
    else tsr_fail "full disk: $_n: $_why$(head -c 300 out.txt)"; fi
}
out_case "dedup -o" disk/out.jsonl "$bin" dedup -q corpus.jsonl -o disk/out.jsonl
out_case "check --jsonl -o" disk/res.jsonl "$bin" check --db ix --jsonl corpus.jsonl -o disk/res.jsonl
out_case "discover -o" disk/pairs.jsonl "$bin" discover -q --db ix --workdir w -o disk/pairs.jsonl
out_case "discover --sqlite" disk/d.db "$bin" discover -q --db ix --workdir w -o /dev/null --sqlite disk/d.db
umount disk
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
