#!/bin/sh
# make bench-discover (and the last part of make bench): `tessera discover`
# on corpora of new text with planted reuse, against sim_text.
#
#   1. corpora: bench/gen_discover (word-bigram text of news.jsonl, 10% of
#      documents copy 1-3 passages of 30-100 words from earlier ones, half
#      reworded; truth in a TSV), written OUTSIDE the repository and kept
#      between runs; the documents of a smaller size are a prefix of a larger
#   2. per size: `tessera index` and `tessera discover --memory M` under
#      /usr/bin/time -v (wall, CPU, peak RSS); bench_discover for the stage
#      times; bench/score_discover.py for pair precision and recall
#   3. sim_text -p -t 1 -r 12 (all files against all) on the documents of
#      the sizes it runs on, written as files: time, memory, precision,
#      recall; with TESSERA_DISC_REPEAT=R, tessera (index + discover),
#      sim_text and `tessera discover INPUT` (the same in one step, a
#      temporary index: its pairs checked equal) run R times in turn, and
#      the table gives the median wall time of each, its range and the
#      ratio of the medians (this host's wall times vary by half and more
#      from run to run)
#
# The tables go to stdout and to bench/results/discover.md.
#
# Environment:
#   TESSERA_DISC_SIZES      corpus sizes in documents (default "100000 1000000";
#                           the 5M run: "100000 1000000 5000000")
#   TESSERA_DISC_MEMORY     tessera discover --memory (default 1G)
#   TESSERA_DISC_SIM_DOCS   sizes sim_text runs on, among the sizes (default
#                           100000; "all": every size; 0 skips sim_text)
#   TESSERA_DISC_REPEAT     runs of each tool where sim_text runs (default 1)
#   TESSERA_DISC_STAGES=0   skip the bench_discover stage-time run
#   TESSERA_BENCH_DIR, TESSERA_DATA, TESSERA, PYTHON as for bench/run.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
data=${TESSERA_DATA:-$(dirname "$repo")/shared/data}
tessera=${TESSERA:-$repo/build/tessera}
bdir=$(dirname "$tessera")/bench
py=${PYTHON:-python3}
. "$here/lib.sh"
sizes=${TESSERA_DISC_SIZES:-100000 1000000}
mem=${TESSERA_DISC_MEMORY:-1G}
simn=${TESSERA_DISC_SIM_DOCS:-100000}
stages=${TESSERA_DISC_STAGES:-1}
repeat=${TESSERA_DISC_REPEAT:-1}
[ "$repeat" -ge 1 ] 2>/dev/null || repeat=1
work=${TESSERA_BENCH_DIR:-/tmp/tessera-bench}
threads=$(nproc 2>/dev/null || echo 1)

die() { echo "bench-discover: $*" >&2; exit 2; }
[ -f "$data/news.jsonl" ] || die "$data/news.jsonl not found; set TESSERA_DATA"
[ -x "$tessera" ] || die "$tessera not found; run \`make\` first (or set TESSERA)"
for t in gen_discover bench_discover; do
    [ -x "$bdir/$t" ] || die "$bdir/$t not found; run \`make bench-tools\`"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package time)"
case "$work" in "$repo"|"$repo"/*) die "TESSERA_BENCH_DIR must be outside the repository" ;; esac
if [ "$simn" != 0 ] && ! command -v sim_text > /dev/null; then
    echo "bench-discover: sim_text not found (Debian similarity-tester); no peer" >&2
    simn=0
fi
[ "$simn" = all ] && simn=$sizes
sim_at() { case " $simn " in *" $1 "*) return 0 ;; esac; return 1; }
# FILE -> "median min max" of the numbers in it, one per line
stats3() { sort -g "$1" | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f", m, v[1], v[NR] }'; }
# FILE1 FILE2 -> line i of FILE1 / line i of FILE2, one per line: the
# ratio of each run's two tools, measured back to back, so that the
# host's drift from run to run (a quarter within minutes) cancels
ratios() { paste "$1" "$2" | awk '$2 > 0 { printf "%.4f\n", $1 / $2 }'; }
mkdir -p "$work" "$here/results"
run=$work/drun
rm -rf "$run"
mkdir -p "$run"

gib() { calc "%.2f" "$1 / 1048576"; }   # kB -> GiB

rows=$run/rows.md
simrow=$run/sim.md
: > "$rows"
: > "$simrow"
prev_n=0 prev_t=0
for n in $sizes; do
    # ---- corpus ----------------------------------------------------------------
    corpus=$work/disc-$n.jsonl
    truth=$work/disc-$n.truth
    stamp=$work/disc-$n.stamp
    files=
    sim_at "$n" && files=$work/disc-files-$n
    want="docs=$n files=$files $(cksum < "$here/gen_discover.c")"
    if [ ! -f "$corpus" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "== discover corpus: $n documents -> $corpus"
        rm -rf "$stamp" "$work/disc-files-$n"
        if [ -n "$files" ]; then
            "$bdir/gen_discover" --data "$data/news.jsonl" --docs "$n" --out "$corpus" \
                --truth "$truth" --files "$n" --files-dir "$files"
        else
            "$bdir/gen_discover" --data "$data/news.jsonl" --docs "$n" --out "$corpus" \
                --truth "$truth"
        fi
        echo "$want" > "$stamp"
    fi

    # ---- tessera index + discover ---------------------------------------------
    echo "== discover: $n documents (index, discover --memory $mem)"
    idx=$run/index-$n
    /usr/bin/time -v -o "$run/idx-$n.time" "$tessera" index -q --db "$idx" "$corpus" \
        2> "$run/idx-$n.err" || { cat "$run/idx-$n.err" >&2; die "tessera index failed"; }
    "$tessera" stats --db "$idx" --json > "$run/stats-$n.json"
    /usr/bin/time -v -o "$run/disc-$n.time" "$tessera" discover -q --db "$idx" \
        --workdir "$run/work-$n" --memory "$mem" -o "$run/links-$n.jsonl" \
        2> "$run/disc-$n.err" || { cat "$run/disc-$n.err" >&2; die "tessera discover failed"; }
    rm -rf "$run/work-$n"
    if [ "$stages" = 1 ]; then
        mb=$(echo "$mem" | awk '/[gG]$/ { print $0 * 1024; next } /[mM]$/ { print $0 + 0; next } { print int($0 / 1048576) }')
        /usr/bin/time -v -o "$run/stages-$n.time" "$bdir/bench_discover" -m "$mb" \
            -w "$run/work-$n" "$idx" > "$run/stages-$n.json"
        rm -rf "$run/work-$n"
        cat "$run/stages-$n.json"
    fi
    "$py" "$here/score_discover.py" --truth "$truth" --corpus "$corpus" \
        --tessera "$run/links-$n.jsonl" > "$run/score-$n.json"
    rm -rf "$idx"

    i_wall=$(tv "$run/idx-$n.time" wall); d_wall=$(tv "$run/disc-$n.time" wall)
    tot=$(calc "%.2f" "$i_wall + $d_wall")
    growth=-
    if [ "$prev_n" != 0 ]; then
        growth="$(calc "%.2f" "$tot / $prev_t")× for $(calc "%.0f" "$n / $prev_n")× docs"
    fi
    sj() { jget "$run/score-$n.json" "tessera.$1"; }
    st="-"
    [ "$stages" = 1 ] && st="$(jget "$run/stages-$n.json" pairs_s) / $(jget "$run/stages-$n.json" align_s) / $(jget "$run/stages-$n.json" families_s) s"
    echo "| $n | $(calc "%.0f" "$(jget "$run/stats-$n.json" text_bytes) / 1e6") MB | $(calc "%.1f" "$i_wall") s, $(gib "$(tv "$run/idx-$n.time" rss)") GiB | $(calc "%.1f" "$d_wall") s ($(calc "%.1f" "$(tv "$run/disc-$n.time" cpu)") s CPU), $(gib "$(tv "$run/disc-$n.time" rss)") GiB | $st | $tot s | $growth | $(jget "$run/stages-$n.json" candidate_pairs 2>/dev/null || echo -) | $(sj reported_pairs) | $(sj recall) ($(sj recall_verbatim) / $(sj recall_reworded)) | $(sj precision) ($(sj pairs.planted) + $(sj pairs.sibling) + $(sj pairs.chance), $(sj pairs.false) false) |" >> "$rows"
    prev_n=$n
    prev_t=$tot

    # ---- sim_text -----------------------------------------------------------------
    if sim_at "$n"; then
        echo "== sim_text: $n documents as files"
        find "$work/disc-files-$n" -name '*.txt' | sort > "$run/sim-$n.list"
        echo "$tot" > "$run/tw-$n"
        : > "$run/sw-$n"
        : > "$run/ow-$n"
        r=1
        while :; do
            /usr/bin/time -v -o "$run/sim-$n.time" sim_text -p -t 1 -r 12 -i < "$run/sim-$n.list" \
                > "$run/sim-$n.txt" 2> "$run/sim-$n.err" || { cat "$run/sim-$n.err" >&2; die "sim_text failed"; }
            tv "$run/sim-$n.time" wall >> "$run/sw-$n"
            # the same in one step: tessera discover INPUT (a temporary
            # index in TMPDIR, removed at the end); the same pairs
            TMPDIR=$run /usr/bin/time -v -o "$run/one-$n.time" "$tessera" discover -q \
                --memory "$mem" -o "$run/links-one.jsonl" "$corpus" 2> "$run/one-$n.err" ||
                { cat "$run/one-$n.err" >&2; die "tessera discover INPUT failed"; }
            tv "$run/one-$n.time" wall >> "$run/ow-$n"
            cmp -s "$run/links-one.jsonl" "$run/links-$n.jsonl" ||
                die "tessera discover INPUT: other pairs than index + discover ($run/links-one.jsonl)"
            [ "$r" -lt "$repeat" ] || break
            r=$((r + 1))
            echo "== run $r of $repeat: tessera index + discover, then sim_text ($n documents)"
            rm -rf "$idx" "$run/work-$n"
            /usr/bin/time -v -o "$run/idx-r.time" "$tessera" index -q --db "$idx" "$corpus" \
                2> "$run/idx-$n.err" || { cat "$run/idx-$n.err" >&2; die "tessera index failed"; }
            /usr/bin/time -v -o "$run/disc-r.time" "$tessera" discover -q --db "$idx" \
                --workdir "$run/work-$n" --memory "$mem" -o "$run/links-r.jsonl" \
                2> "$run/disc-$n.err" || { cat "$run/disc-$n.err" >&2; die "tessera discover failed"; }
            # one line per run (calc prints no newline: the runs once ran
            # together into one number, and the median was of two runs)
            echo "$(calc "%.2f" "$(tv "$run/idx-r.time" wall) + $(tv "$run/disc-r.time" wall)")" \
                >> "$run/tw-$n"
            rm -rf "$idx" "$run/work-$n"
        done
        for f in tw sw ow; do
            [ "$(wc -l < "$run/$f-$n")" -eq "$repeat" ] ||
                die "$run/$f-$n: $(wc -l < "$run/$f-$n") lines for $repeat runs"
        done
        "$py" "$here/score_discover.py" --truth "$truth" --corpus "$corpus" \
            --sim "$run/sim-$n.txt" > "$run/simscore-$n.json"
        set -- $(stats3 "$run/tw-$n"); t_med=$1 t_lo=$2 t_hi=$3
        set -- $(stats3 "$run/sw-$n"); s_med=$1 s_lo=$2 s_hi=$3
        set -- $(stats3 "$run/ow-$n"); o_med=$1 o_lo=$2 o_hi=$3
        ratios "$run/sw-$n" "$run/tw-$n" > "$run/rt-$n"
        ratios "$run/sw-$n" "$run/ow-$n" > "$run/ro-$n"
        set -- $(stats3 "$run/rt-$n"); rt_med=$1 rt_lo=$2 rt_hi=$3
        set -- $(stats3 "$run/ro-$n"); ro_med=$1 ro_lo=$2 ro_hi=$3
        sk() { jget "$run/simscore-$n.json" "sim_text.$1"; }
        {
            echo "| $n | tessera index + discover | $t_med s ($t_lo-$t_hi) | 1 | $(gib "$(tv "$run/idx-$n.time" rss)") / $(gib "$(tv "$run/disc-$n.time" rss)") GiB | $(sj recall) ($(sj recall_verbatim) / $(sj recall_reworded)) | $(sj precision) | $(sj reported_pairs) |"
            echo "| $n | tessera discover INPUT (one step) | $o_med s ($o_lo-$o_hi) | $(calc "%.2f" "$t_med / $o_med") | $(gib "$(tv "$run/one-$n.time" rss)") GiB | same pairs | | |"
            echo "| $n | sim_text -p -t 1 -r 12 | $s_med s ($s_lo-$s_hi) | **$(calc "%.2f" "$s_med / $t_med")** (one step: **$(calc "%.2f" "$s_med / $o_med")**); per run: $rt_med ($rt_lo-$rt_hi), one step $ro_med ($ro_lo-$ro_hi) | $(gib "$(tv "$run/sim-$n.time" rss)") GiB | $(sk recall) ($(sk recall_verbatim) / $(sk recall_reworded)) | $(sk precision) | $(sk reported_pairs) |"
        } >> "$simrow"
    fi
done

cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
memt=$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
out=$here/results/discover.md
{
    echo "## tessera discover benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $cpu, $threads cores, $memt RAM. \`tessera discover --memory $mem\`, $threads threads."
    echo "Corpora: bench/gen_discover (new word-bigram text; 10% of documents copy 1-3 passages)."
    echo
    echo "| documents | text | index: wall, peak RSS | discover: wall (CPU), peak RSS | stages pairs / align / families | index + discover | growth | candidate pairs | reported pairs | recall (verbatim / reworded) | precision (planted + sibling + chance, false) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    cat "$rows"
    if [ -s "$simrow" ]; then
        echo
        echo "sim_text against tessera on the same documents as files, $repeat run(s) of each in turn (wall: median (range); ratio = sim_text's median / tessera's median: index + discover, and in parentheses the one-step run, tessera discover INPUT with a temporary index, which gives the same pairs; then the median (range) of the runs' own ratios, each of two tools run back to back; the one-step row's ratio is index + discover's median / its own):"
        echo
        echo "| documents | tool | wall | ÷ tessera | peak RSS | pair recall (verbatim / reworded) | precision | reported pairs |"
        echo "|---|---|---|---|---|---|---|---|"
        cat "$simrow"
    fi
    echo
    echo "Command: \`TESSERA_DISC_SIZES=\"$sizes\" TESSERA_DISC_MEMORY=$mem TESSERA_DISC_SIM_DOCS=\"$simn\" TESSERA_DISC_REPEAT=$repeat make bench-discover\`; raw outputs in $run/."
} > "$out"
echo
cat "$out"
