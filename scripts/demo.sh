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
    print("%.4f\t%s" % (r["coverage"], r["file"]))
' | sort -rn > "$OUT/coverage.tsv"
echo "checked $(wc -l < "$OUT/coverage.tsv") copyright files; the ten with most reused license text:"
head -n 10 "$OUT/coverage.tsv" | awk -F'\t' '{ printf "  %5.1f%%  %s\n", $1 * 100, $2 }'
best=$(head -n 1 "$OUT/coverage.tsv" | cut -f2)
reused=$(awk -F'\t' '$1 > 0.05' "$OUT/coverage.tsv" | wc -l)
echo "$reused of them reuse license text for more than 5% of their length."

echo
echo "== 3. the report of $best"
"$TESSERA" check --db "$DB" --color=never "$best" > "$OUT/report.txt"
"$TESSERA" check --db "$DB" --html "$OUT/report.html" "$best"
head -n 30 "$OUT/report.txt"
echo "..."
echo
echo "Full report: $OUT/report.txt; side by side in a browser: $OUT/report.html"
