#!/bin/sh
# make bench: tessera's speed and memory, and two peers on the same task.
#
#   1. a seeded corpus resampled from news.jsonl (bench/gen_corpus.py),
#      written OUTSIDE the repository, kept between runs (regenerated when
#      the sizes or gen_corpus.py change)
#   2. indexing: `tessera index` under /usr/bin/time -v (wall, CPU, peak RSS);
#      MB/s of raw text; index size (`tessera stats --json`, du)
#   3. check latency of 1,000-word articles: bench/bench_check (p50, p90, p99,
#      mean, checks/s), one thread and $(nproc) threads on one handle
#   4. peers on a subset written as files: sim_text (similarity-tester) and
#      ssdeep against tessera index + check on the same files, as time ratios
#   5. discovery: bench/run_discover.sh (tessera discover on planted reuse,
#      against sim_text; also `make bench-discover`)
#
# The table goes to stdout and to bench/results/latest.md, for BENCHMARKS.md.
# Builds nothing: `make bench` builds build/tessera and build/bench/* first.
#
# Environment:
#   TESSERA_BENCH_DOCS       corpus documents (default 1000000; 100000 is quick)
#   TESSERA_BENCH_QUERIES    1,000-word query articles (default 200)
#   TESSERA_BENCH_PEER_DOCS  documents of the peer subset (default 100000)
#   TESSERA_BENCH_DIR        work folder outside the repo (default /tmp/tessera-bench)
#   TESSERA_DATA             data folder (default: "$(dirname REPO)/shared/data")
#   TESSERA_BENCH_NO_PEERS=1 skip the peer comparison
#   TESSERA_BENCH_NO_DEDUP=1    skip the dedup part (bench/dedup_bench.sh)
#   TESSERA_BENCH_NO_SERVE=1    skip the serve part (bench/serve.sh, wrk)
#   TESSERA_BENCH_NO_DISCOVER=1 skip the discovery part (bench/run_discover.sh,
#                            also `make bench-discover`; its variables there)
#   TESSERA, PYTHON          binaries (default REPO/build/tessera, python3)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
data=${TESSERA_DATA:-$(dirname "$repo")/shared/data}
tessera=${TESSERA:-$repo/build/tessera}
bcheck=$(dirname "$tessera")/bench/bench_check
py=${PYTHON:-python3}
. "$here/lib.sh"
docs=${TESSERA_BENCH_DOCS:-1000000}
nq=${TESSERA_BENCH_QUERIES:-200}
peer_docs=${TESSERA_BENCH_PEER_DOCS:-100000}
[ "$peer_docs" -gt "$docs" ] && peer_docs=$docs
work=${TESSERA_BENCH_DIR:-/tmp/tessera-bench}
threads=$(nproc 2>/dev/null || echo 1)

die() { echo "bench: $*" >&2; exit 2; }
[ -f "$data/news.jsonl" ] || die "$data/news.jsonl not found; set TESSERA_DATA to the research data folder"
[ -x "$tessera" ] || die "$tessera not found; run \`make\` first (or set TESSERA)"
[ -x "$bcheck" ] || die "$bcheck not found; run \`make bench-tools\`"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package time)"
case "$work" in "$repo"|"$repo"/*) die "TESSERA_BENCH_DIR must be outside the repository" ;; esac
mkdir -p "$work" "$here/results"

# ---- 1. corpus ---------------------------------------------------------------
corpus=$work/corpus-$docs.jsonl
bench_corpus "$docs" || die "bench/gen_corpus.py failed"
queries=$work/queries-$docs.jsonl
qdir=$work/queries-$docs
subset=$work/subset-$docs
run=$work/run
rm -rf "$run"
mkdir -p "$run"

# ---- 2. indexing ----------------------------------------------------------------
echo "== index: $docs documents"
idx=$run/index
/usr/bin/time -v -o "$run/index.time" "$tessera" index --db "$idx" "$corpus" 2> "$run/index.err" ||
    { cat "$run/index.err" >&2; die "tessera index failed"; }
grep -a 'added' "$run/index.err" | tail -1 | tr '\r' '\n' | tail -1
"$tessera" stats --db "$idx" --json > "$run/stats.json"
"$tessera" verify --db "$idx" > "$run/verify.txt" 2>&1 && verify=ok || verify="FAILED (see $run/verify.txt)"
idx_wall=$(tv "$run/index.time" wall)
idx_cpu=$(calc "%.2f" "$(tv "$run/index.time" user) + $(tv "$run/index.time" sys)")
idx_rss=$(tv "$run/index.time" rss)
text_bytes=$(jget "$run/stats.json" text_bytes)
dir_bytes=$(du -sb "$idx" | cut -f1)
mbs=$(calc "%.1f" "$text_bytes / 1e6 / $idx_wall")
mbs_core=$(calc "%.1f" "$text_bytes / 1e6 / $idx_cpu")

# ---- 3. check latency ---------------------------------------------------------
echo "== check: $nq queries of 1,000 words, 1 and $threads threads"
"$bcheck" --json -r 3 -o "$run/found.tsv" "$idx" "$queries" > "$run/check1.json"
"$bcheck" --json -r 3 -t "$threads" "$idx" "$queries" > "$run/checkT.json"
"$py" "$here/score_peers.py" --queries "$queries" --tessera "$run/found.tsv" > "$run/found.json"
cat "$run/check1.json" "$run/checkT.json"

# ---- 4. peers -----------------------------------------------------------------
peers=1
[ "${TESSERA_BENCH_NO_PEERS:-0}" = 1 ] && peers=0
command -v sim_text > /dev/null || { echo "bench: sim_text not found (Debian similarity-tester); no peers" >&2; peers=0; }
command -v ssdeep > /dev/null || { echo "bench: ssdeep not found; no peers" >&2; peers=0; }
if [ $peers = 1 ]; then
    echo "== peers: $nq queries against $peer_docs documents as files"
    # every tool starts alike: the files in the page cache, no write-back of
    # an earlier step pending (the 1M index just written can otherwise slow
    # whoever comes first)
    settle() {
        sync
        find "$subset" "$qdir" -name '*.txt' -exec cat {} + > /dev/null
    }
    settle
    # tessera: index the same files, then check each query once, cold, one process
    /usr/bin/time -v -o "$run/p_tidx.time" "$tessera" index -q --db "$run/pindex" "$subset" 2> "$run/p_tidx.err" ||
        { cat "$run/p_tidx.err" >&2; die "tessera index (peer subset) failed"; }
    /usr/bin/time -v -o "$run/p_tchk.time" "$bcheck" --json -w 0 -o "$run/p_found.tsv" \
        "$run/pindex" "$qdir" > "$run/p_tchk.json"
    # sim_text: queries are "new" files, the subset "old" ones; -S compares new
    # with old only; runs of 12 words or more (tessera's min_words); -t 1
    # reports every pair sharing at least 1 % of the query
    { find "$qdir" -name '*.txt' | sort; echo /; find "$subset" -name '*.txt' | sort; } > "$run/sim.list"
    settle
    /usr/bin/time -v -o "$run/p_sim.time" sim_text -p -t 1 -r 12 -S -i < "$run/sim.list" > "$run/p_sim.txt"
    # ssdeep: hash the subset (its "index"), then match the queries against it
    settle
    /usr/bin/time -v -o "$run/p_ssh.time" ssdeep -r "$subset" > "$run/p_ss.hashes"
    /usr/bin/time -v -o "$run/p_ssm.time" sh -c 'find "$1" -name "*.txt" | sort | xargs ssdeep -m "$2"' sh \
        "$qdir" "$run/p_ss.hashes" > "$run/p_ss.txt"
    "$py" "$here/score_peers.py" --queries "$queries" --tessera "$run/p_found.tsv" \
        --sim "$run/p_sim.txt" --ssdeep "$run/p_ss.txt" > "$run/peers.json"
    cat "$run/peers.json"
fi

# ---- 5. the table -------------------------------------------------------------
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
mem=$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
ccv=$(${CC:-cc} --version 2>/dev/null | head -1)
commit=uncommitted
if [ -f "$repo/.git/HEAD" ]; then   # read, not `git`: no git process needed
    ref=$(sed -n 's/^ref: //p' "$repo/.git/HEAD")
    if [ -z "$ref" ]; then commit=$(cut -c1-12 "$repo/.git/HEAD")
    elif [ -f "$repo/.git/$ref" ]; then commit=$(cut -c1-12 "$repo/.git/$ref")
    elif [ -f "$repo/.git/packed-refs" ]; then
        commit=$(awk -v r="$ref" '$2 == r { print substr($1, 1, 12) }' "$repo/.git/packed-refs")
    fi
fi
[ -n "$commit" ] || commit=uncommitted

c1() { jget "$run/check1.json" "$1"; }
cT() { jget "$run/checkT.json" "$1"; }
met() { awk -v a="$1" -v b="$2" -v op="$3" 'BEGIN { ok = (op == "ge") ? a >= b : a <= b; print ok ? "yes" : "**no**" }'; }
p50=$(c1 p50_ms)
ratio=$(jget "$run/stats.json" postings_ratio)
out=$here/results/latest.md
{
    echo "## tessera benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $cpu, $threads cores, $mem RAM; compiler: $ccv; commit: $commit."
    echo "Corpus: $docs documents, $(calc "%.1f" "$text_bytes / 1e6") MB of text, resampled from"
    echo "news.jsonl by bench/gen_corpus.py (seeded); $nq queries of 1,000 words (half reuse, half fresh)."
    echo
    echo "| measure | value | target |"
    echo "|---|---|---|"
    echo "| indexing throughput, wall clock | $mbs MB/s ($(calc "%.1f" "$idx_wall") s) | |"
    echo "| indexing throughput per CPU second | $mbs_core MB/s ($idx_cpu s user+sys) | ≥ 40 MB/s per core: $(met "$mbs_core" 40 ge) |"
    echo "| indexing peak RSS | $(calc "%.0f" "$idx_rss / 1024") MB | |"
    echo "| postings / raw text | $ratio ($(calc "%.1f" "$(jget "$run/stats.json" postings_bytes) / 1e6") MB) | ≤ 0.6: $(met "$ratio" 0.6 le) |"
    echo "| index directory / raw text | $(calc "%.3f" "$dir_bytes / $text_bytes") ($(calc "%.1f" "$dir_bytes / 1e6") MB, catalog $(calc "%.1f" "$(jget "$run/stats.json" catalog_bytes) / 1e6") MB) | |"
    echo "| tessera verify | $verify | |"
    echo "| check p50 / p90 / p99, 1 thread | $p50 / $(c1 p90_ms) / $(c1 p99_ms) ms | p50 ≤ 20 ms at 1M docs: $(met "$p50" 20 le) |"
    echo "| check mean, throughput, 1 thread | $(c1 mean_ms) ms, $(c1 checks_per_s) checks/s | |"
    echo "| check p50 / p99, $threads threads, one handle | $(cT p50_ms) / $(cT p99_ms) ms, $(cT checks_per_s) checks/s | |"
    echo "| check peak RSS (bench_check, index mapped) | $(calc "%.0f" "$(c1 max_rss_kb) / 1024") MB | |"
    echo "| queries with reuse found: reuse / fresh | $(jget "$run/found.json" tessera.reuse) of $(jget "$run/found.json" queries.reuse) / $(jget "$run/found.json" tessera.fresh) of $(jget "$run/found.json" queries.fresh) | |"
    echo "| mean coverage: reuse / fresh queries | $(calc "%.3f" "$(jget "$run/found.json" tessera.coverage_reuse)") / $(calc "%.3f" "$(jget "$run/found.json" tessera.coverage_fresh)") | |"
    if [ $peers = 1 ]; then
        t_idx=$(tv "$run/p_tidx.time" wall); t_chk=$(tv "$run/p_tchk.time" wall)
        t_tot=$(calc "%.2f" "$t_idx + $t_chk")
        s_tot=$(tv "$run/p_sim.time" wall)
        h_idx=$(tv "$run/p_ssh.time" wall); h_chk=$(tv "$run/p_ssm.time" wall)
        h_tot=$(calc "%.2f" "$h_idx + $h_chk")
        pj() { jget "$run/peers.json" "$1"; }
        echo
        echo "Peers: the same $nq queries against the first $peer_docs documents, written as"
        echo "one .txt file each ($(du -sb "$subset" | cut -f1 | awk '{ printf "%.1f MB", $1 / 1e6 }')). Times are wall clock of whole processes, cold"
        echo "processes with the files in the page cache (tessera: \`tessera index\` of the folder + one"
        echo "\`bench_check -w 0\` pass; ratio = peer time / tessera time)."
        echo
        echo "| tool | index / hash | check | total | peer ÷ tessera | peak RSS | reuse queries flagged | fresh queries flagged |"
        echo "|---|---|---|---|---|---|---|---|"
        echo "| tessera | $(calc "%.2f" "$t_idx") s | $(calc "%.2f" "$t_chk") s | $t_tot s | 1 | $(calc "%.0f" "$(tv "$run/p_tidx.time" rss) / 1024") / $(calc "%.0f" "$(tv "$run/p_tchk.time" rss) / 1024") MB | $(pj tessera.reuse) / $(pj queries.reuse) | $(pj tessera.fresh) / $(pj queries.fresh) |"
        echo "| sim_text -p -r 12 -S | - | - | $(calc "%.2f" "$s_tot") s | $(calc "%.2f" "$s_tot / $t_tot") | $(calc "%.0f" "$(tv "$run/p_sim.time" rss) / 1024") MB | $(pj sim_text.reuse) / $(pj queries.reuse) | $(pj sim_text.fresh) / $(pj queries.fresh) |"
        echo "| ssdeep -r, -m | $(calc "%.2f" "$h_idx") s | $(calc "%.2f" "$h_chk") s | $h_tot s | $(calc "%.2f" "$h_tot / $t_tot") | $(calc "%.0f" "$(tv "$run/p_ssh.time" rss) / 1024") / $(calc "%.0f" "$(tv "$run/p_ssm.time" rss) / 1024") MB | $(pj ssdeep.reuse) / $(pj queries.reuse) | $(pj ssdeep.fresh) / $(pj queries.fresh) |"
    fi
    echo
    echo "Command: \`TESSERA_BENCH_DOCS=$docs make bench\`; raw outputs in $run/."
} > "$out"
echo
cat "$out"

# ---- 6. discovery ---------------------------------------------------------------
if [ "${TESSERA_BENCH_NO_DISCOVER:-0}" != 1 ]; then
    echo
    sh "$here/run_discover.sh"
fi

# ---- 7. dedup ------------------------------------------------------------------
if [ "${TESSERA_BENCH_NO_DEDUP:-0}" != 1 ]; then
    echo
    sh "$here/dedup_bench.sh"
fi

# ---- 8. serve ------------------------------------------------------------------
if [ "${TESSERA_BENCH_NO_SERVE:-0}" != 1 ]; then
    echo
    sh "$here/serve.sh"
fi
