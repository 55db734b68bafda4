#!/bin/sh
# bench/dedup_bench.sh - near-duplicate dedup speed and memory (part of
# `make bench`; also `sh bench/dedup_bench.sh` alone after `make`).
#
#   1. `tessera dedup` with its default measure (aligned: threshold 0.8,
#      word 3-gram signatures, 128 values, 21 bands x 2 rows, candidates
#      scored from a spool of compact forms in $TMPDIR) and with
#      `--measure jaccard` (the rule before: threshold 0.8, word
#      5-shingles, 9 bands x 13 rows) on the 1M-document resampled corpus
#      of bench/run.sh, and on a 5M-document resampled corpus when one
#      exists (TESSERA_BENCH_DEDUP_5M, default $work/disc-5000000.jsonl,
#      the corpus of bench/run_discover.sh: resampled news sentences with
#      planted reuse); under /usr/bin/time -v: wall, CPU, peak RSS; MB/s of
#      input file bytes
#   2. the peer, bench/dedup_peer.py (datasketch's MinHash + MinHashLSH
#      re-implemented in plain Python: see its header for why), and tessera
#      --measure jaccard on the same first $TESSERA_BENCH_DEDUP_PEER_DOCS
#      documents (default 3000) at the same threshold and shingles: time
#      ratio, documents dropped by each
#
# Writes bench/results/dedup.md.  Environment: TESSERA, PYTHON,
# TESSERA_BENCH_DIR (default /tmp/tessera-bench), TESSERA_BENCH_DOCS
# (default 1000000), TESSERA_BENCH_DEDUP_5M, TESSERA_BENCH_DEDUP_PEER_DOCS.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
tessera=${TESSERA:-$repo/build/tessera}
py=${PYTHON:-python3}
. "$here/lib.sh"
work=${TESSERA_BENCH_DIR:-/tmp/tessera-bench}
docs=${TESSERA_BENCH_DOCS:-1000000}
big=${TESSERA_BENCH_DEDUP_5M:-$work/disc-5000000.jsonl}
peer_docs=${TESSERA_BENCH_DEDUP_PEER_DOCS:-3000}
corpus=$work/corpus-$docs.jsonl
[ -x "$tessera" ] || { echo "dedup bench: $tessera not built" >&2; exit 2; }
[ -f "$corpus" ] || { echo "dedup bench: $corpus missing (bench/run.sh makes it)" >&2; exit 2; }
run=$work/dedup-run
rm -rf "$run"
mkdir -p "$run" "$here/results"
md=$here/results/dedup.md

one() { # LABEL FILE [OPTIONS]
    _f=$2
    _l=$1
    shift 2
    _mb=$(awk -v b="$(stat -c %s "$_f")" 'BEGIN { printf "%.0f", b / 1e6 }')
    /usr/bin/time -v "$tessera" dedup -q "$_f" -o "$run/out.jsonl" --clusters "$run/cl.jsonl" \
        "$@" 2> "$run/time.txt"
    _w=$(tv "$run/time.txt" wall)
    _c=$(tv "$run/time.txt" cpu)
    _r=$(tv "$run/time.txt" rss)
    _n=$(wc -l < "$_f")
    _k=$(wc -l < "$run/out.jsonl")
    _cl=$(wc -l < "$run/cl.jsonl")
    printf '| %s | %s | %s MB | %.1f s | %.1f s | %.0f MB/s | %.0f MiB | %s | %s |\n' \
        "$_l" "$_n" "$_mb" "$_w" "$_c" "$(awk -v m="$_mb" -v w="$_w" 'BEGIN { print m / w }')" \
        "$(awk -v r="$_r" 'BEGIN { print r / 1024 }')" "$_cl" $((_n - _k))
    rm -f "$run/out.jsonl" "$run/cl.jsonl"
}

{
    echo "machine: $(uname -sm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);" \
         "load average at start: $(cut -d' ' -f1-3 /proc/loadavg);" \
         "$("$tessera" --version); $(cc --version | head -n 1)"
    echo
    echo "| corpus | documents | input | wall | CPU | throughput | peak RSS | clusters | dropped |"
    echo "|---|---|---|---|---|---|---|---|---|"
    one "resampled news, $docs, aligned (default)" "$corpus"
    one "resampled news, $docs, --measure jaccard" "$corpus" --measure jaccard
    if [ -f "$big" ]; then
        one "resampled news + planted reuse, 5M, aligned (default)" "$big"
        one "resampled news + planted reuse, 5M, --measure jaccard" "$big" --measure jaccard
    else
        echo "| 5M corpus | not found: $big | | | | | | | |"
    fi
    echo
    head -n "$peer_docs" "$corpus" > "$run/subset.jsonl"
    mb=$(awk -v b="$(stat -c %s "$run/subset.jsonl")" 'BEGIN { printf "%.2f", b / 1e6 }')
    t0=$(date +%s.%N)
    "$tessera" dedup -q "$run/subset.jsonl" -o "$run/t.jsonl" --measure jaccard
    t1=$(date +%s.%N)
    "$py" "$here/dedup_peer.py" "$run/subset.jsonl" "$run/p.jsonl" 2> "$run/peer.txt"
    t2=$(date +%s.%N)
    tt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    tp=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')
    echo "Peer: datasketch-style MinHash-LSH in plain Python (bench/dedup_peer.py), first $peer_docs documents ($mb MB), threshold 0.8, word 5-shingles, 128 permutations, 9 bands x 13 rows:"
    echo
    echo "| tool | wall | MB/s | kept | ratio |"
    echo "|---|---|---|---|---|"
    printf '| tessera dedup --measure jaccard | %.2f s | %.1f | %s | 1 |\n' "$tt" "$(awk -v m="$mb" -v t="$tt" 'BEGIN { print m / t }')" "$(wc -l < "$run/t.jsonl")"
    printf '| dedup_peer.py | %.2f s | %.2f | %s | %.0fx slower |\n' "$tp" "$(awk -v m="$mb" -v t="$tp" 'BEGIN { print m / t }')" "$(wc -l < "$run/p.jsonl")" "$(awk -v a="$tp" -v b="$tt" 'BEGIN { print a / b }')"
} | tee "$md"
rm -rf "$run"
