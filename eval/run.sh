#!/bin/sh
# make eval: accuracy of tessera on the research data outside the repository.
#
#   1. self-checks of the scorers (eval/test_plagdet.py)
#   2. PAN 2013 text alignment, all 5,185 training pairs (eval/pan.py)
#   3. stitched "content-farm" articles against 5,000 news articles
#      (eval/stitch.py)
#   4. discovery: all PAN documents in one index, `tessera discover`,
#      scored with plagdet on the listed pairs (eval/discover_pan.py)
#   5. discovery over all 22,004 news articles: families, exact re-filings
#      (eval/discover_news.py)
#   6. discovery with planted reuse in 18,000 news documents: pair recall
#      and precision, template look-alikes (eval/discover_planted.py)
#   7. reordered paragraphs and sentences: faithful passages, coverage
#      (eval/reorder.py)
#   8. dedup over the news articles: exact re-filings found, near-duplicate
#      precision on a labelled sample, recall against exact Jaccard
#      (eval/dedup_news.py)
#   9. dedup of 16,000 news documents with 800 exact and 1,600 edited copies
#      planted: pair recall, precision against template look-alikes
#      (eval/dedup_edited.py)
#  10. real human rewriting: World English Bible chapters against the King
#      James Version, verse recall and wrong-source share, with and without
#      the sentence stage (eval/bible.py; texts from the Debian packages
#      sword-text-kjv, sword-text-web and diatheke, see
#      scripts/install-deps.sh; skipped with a message when missing)
#
# The tables go to stdout and to eval/results/latest.md, for EVAL.md.
# Builds nothing: `make eval` builds build/tessera first.
#
# Environment:
#   TESSERA_DATA       data folder (default: "$(dirname REPO)/shared/data")
#   TESSERA            tessera binary (default: REPO/build/tessera)
#   TESSERA_EVAL_JOBS  tessera processes for the PAN run (default 1)
#   TESSERA_EVAL_PAN_ARGS, TESSERA_EVAL_STITCH_ARGS
#                      extra options for pan.py / stitch.py (e.g. "--limit 500",
#                      "--articles 20"); leave unset for the figures of EVAL.md
#   PYTHON             python 3.11+ (default: python3)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
data=${TESSERA_DATA:-$(dirname "$repo")/shared/data}
tessera=${TESSERA:-$repo/build/tessera}
py=${PYTHON:-python3}
jobs=${TESSERA_EVAL_JOBS:-1}

if [ ! -d "$data/pan13-train" ] || [ ! -f "$data/news.jsonl" ]; then
    echo "eval: evaluation data not found in $data" >&2
    echo "eval: it must hold pan13-train/ and news.jsonl (research data kept" >&2
    echo "eval: outside the repository); set TESSERA_DATA to its folder." >&2
    exit 2
fi
if [ ! -x "$tessera" ]; then
    echo "eval: $tessera not found; run \`make\` first (or set TESSERA)." >&2
    exit 2
fi
export TESSERA_DATA="$data" TESSERA="$tessera"

out="$here/results"
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-eval.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "== scorer self-checks"
"$py" "$here/test_plagdet.py"

echo
echo "== PAN 2013 text alignment (plagdet)"
# shellcheck disable=SC2086  # word splitting of the extra options is wanted
"$py" "$here/pan.py" --jobs "$jobs" --markdown "$tmp/pan.md" ${TESSERA_EVAL_PAN_ARGS:-}

echo
echo "== stitched articles"
# shellcheck disable=SC2086
"$py" "$here/stitch.py" --markdown "$tmp/stitch.md" ${TESSERA_EVAL_STITCH_ARGS:-}

echo
echo "== discovery: PAN 2013, all documents in one index"
"$py" "$here/discover_pan.py" --markdown "$tmp/dpan.md"

echo
echo "== discovery: news"
"$py" "$here/discover_news.py" --markdown "$tmp/dnews.md"

echo
echo "== discovery: planted reuse in 18,000 news documents"
"$py" "$here/discover_planted.py" --examples 0 --markdown "$tmp/dplant.md"

echo
echo "== reordered text: faithful passages"
"$py" "$here/reorder.py" --markdown "$tmp/reorder.md"

echo
echo "== dedup: news"
"$py" "$here/dedup_news.py" --markdown "$tmp/dedup.md"

echo
echo "== dedup: edited copies planted in news"
"$py" "$here/dedup_edited.py" --markdown "$tmp/dedup_edited.md"

echo
echo "== real rewriting: World English Bible against King James Version"
if "$py" "$here/bible.py" --check-deps; then
    "$py" "$here/bible.py" --examples 0 --markdown "$tmp/bible.md"
else
    echo "eval: skipped (run scripts/install-deps.sh as root)"
    echo "Skipped: diatheke or the SWORD modules of sword-text-kjv and sword-text-web are not installed (scripts/install-deps.sh)." > "$tmp/bible.md"
fi

{
    echo "# tessera evaluation run"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- binary: \`$("$tessera" --version 2>/dev/null | head -n 1 || echo "$tessera")\`"
    echo "- machine: $(uname -sm), $(nproc 2>/dev/null || echo '?') cores"
    echo
    echo "## PAN 2013 text alignment"
    echo
    cat "$tmp/pan.md"
    echo
    echo "## Stitched articles"
    echo
    cat "$tmp/stitch.md"
    echo
    echo "## Discovery: PAN 2013"
    echo
    cat "$tmp/dpan.md"
    echo
    echo "## Discovery: news"
    echo
    cat "$tmp/dnews.md"
    echo
    echo "## Discovery: planted reuse"
    echo
    cat "$tmp/dplant.md"
    echo
    echo "## Reordered text"
    echo
    cat "$tmp/reorder.md"
    echo
    echo "## Dedup: news"
    echo
    cat "$tmp/dedup.md"
    echo
    echo "## Dedup: edited copies"
    echo
    cat "$tmp/dedup_edited.md"
    echo
    echo "## Real rewriting: WEB against KJV"
    echo
    cat "$tmp/bible.md"
} > "$out/latest.md"
echo
echo "eval: tables written to eval/results/latest.md"
