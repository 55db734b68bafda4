#!/bin/sh
# The main job on a corpus every Debian system carries: index the license
# texts under /usr/share/common-licenses and the copyright files of the
# installed packages, then check texts against the index and show the reuse.
#
#   sh scripts/demo.sh [OUTDIR]      (default: ./demo)
#
# Writes OUTDIR/licenses.tsr (the index), OUTDIR/report.txt and
# OUTDIR/report.html (the report of the most reused copyright file).
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-demo}
TESSERA=${TESSERA:-build/tessera}
[ -x "$TESSERA" ] || make
mkdir -p "$OUT"
DB="$OUT/licenses.tsr"
rm -rf "$DB"

echo "== 1. index the license texts (/usr/share/common-licenses)"
"$TESSERA" index --db "$DB" /usr/share/common-licenses
"$TESSERA" stats --db "$DB"

echo
echo "== 2. check every /usr/share/doc/*/copyright file against it"
"$TESSERA" check --db "$DB" --json /usr/share/doc/*/copyright 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    mosaic = sum(1 for s in r["sources"] if s["coverage"] >= 0.05)
    print("%.4f\t%d\t%s" % (r["coverage"], mosaic, r["file"]))
' | sort -rn > "$OUT/coverage.tsv"
echo "checked $(wc -l < "$OUT/coverage.tsv") copyright files; the ten with most reused license text:"
head -n 10 "$OUT/coverage.tsv" | awk -F'\t' '{ printf "  %5.1f%%  %s\n", $1 * 100, $3 }'
# the report worth reading: the file stitched from the most licenses
best=$(sort -t "$(printf '\t')" -k2,2nr -k1,1nr "$OUT/coverage.tsv" | head -n 1 | cut -f3)
reused=$(awk -F'\t' '$1 > 0.05' "$OUT/coverage.tsv" | wc -l)
echo "$reused of them reuse license text for more than 5% of their length."

echo
echo "== 3. the file that reuses the most licenses (5% or more of it each): $best"
"$TESSERA" check --db "$DB" --color=never "$best" > "$OUT/report.txt"
"$TESSERA" check --db "$DB" --html "$OUT/report.html" "$best"
head -n 30 "$OUT/report.txt"
echo "..."
echo
echo "Full report: $OUT/report.txt; side by side in a browser: $OUT/report.html"
