#!/bin/sh
# tests/cli/dedup.sh - `tessera dedup` through the CLI, on generated data.
#
#   sh tests/cli/dedup.sh [--verbose]
#
# The corpus is made here by awk from a fixed seed: 40 base texts of random
# words, an exact copy of each, a near copy with one word in 200 changed,
# a heavy edit (one word in 8 changed), and 40 unrelated texts, each record
# with an extra field that must come out unchanged.  Cases: clusters and
# kept records with --measure jaccard; --mark; --keep; standard input;
# text-file directories; the default measure (aligned) and containment on
# a second corpus of news-like texts with figures: edited copies (5% of the
# words changed, a paragraph dropped, a byline added) clustered with their
# source where jaccard leaves them apart, template instances (the same
# words, other figures) never; the kept lines copied byte for byte (BOM,
# blank lines, CRLF, no final line break, a 5 MB line);
# --substrings and --boilerplate, reported and removed (whole sentences and
# lines only); --db against an index; --explain; bad input (missing file,
# malformed JSON, bad UTF-8, bad options, unwritable output) with exit codes
# and messages naming the file and line; and interruption: SIGTERM gives
# exit 130 and SIGKILL at random moments, and neither leaves an output file
# behind (not even OUT.tmp).
#
# Environment: TESSERA_BIN (default build/tessera), TMPDIR.
# Ends with "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ "${1:-}" = "--verbose" ] || [ "${1:-}" = "-v" ] && verbose=1
tsr_need tests/cli/dedup.sh "$bin"
tsr_workdir dedup

bad() { tsr_fail "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed -n '1,15p' | sed 's/^/    /'; return 0; }
# expect NAME CODE PATTERN CMD...: exit code and output (stdout+stderr) pattern
expect() {
    _n=$1 _c=$2 _p=$3
    shift 3
    "$@" >out.txt 2>&1
    _rc=$?
    _o=$(cat out.txt)
    if [ "$_rc" -ne "$_c" ]; then bad "$_n" "exit $_rc, want $_c: $_o"; return; fi
    case $_o in
    $_p) tsr_ok "$_n" ;;
    *) bad "$_n" "output does not match '$_p': $_o" ;;
    esac
}

# ---- data -----------------------------------------------------------------
gen() { # SEED BASES
    awk -v seed="$1" -v nb="$2" 'BEGIN {
        srand(seed);
        for (i = 0; i < 3000; i++) {
            w = ""; l = 3 + int(rand() * 7);
            for (k = 0; k < l; k++) w = w substr("abcdefghijklmnopqrstuvwxyz", 1 + int(rand() * 26), 1);
            voc[i] = w;
        }
        for (b = 0; b < nb; b++) {
            n = 150 + int(rand() * 300);
            for (i = 0; i < n; i++) { base[i] = voc[int(rand() * 3000)]; }
            for (v = 0; v < 4; v++) {
                t = "";
                for (i = 0; i < n; i++) {
                    x = base[i];
                    if (v == 2 && rand() < 0.005) x = voc[int(rand() * 3000)];
                    if (v == 3 && rand() < 0.125) x = voc[int(rand() * 3000)];
                    t = t (i ? " " : "") x;
                }
                printf "{\"id\": \"g%d-v%d\", \"text\": \"%s\", \"url\": \"http://x/%d/%d\", \"n\": %d}\n", b, v, t, b, v, b * 4 + v;
            }
        }
        for (u = 0; u < nb; u++) {
            n = 20 + int(rand() * 400); t = "";
            for (i = 0; i < n; i++) t = t (i ? " " : "") voc[int(rand() * 3000)];
            printf "{\"id\": \"u%d\", \"text\": \"%s\"}\n", u, t;
        }
    }'
}
gen 7 40 > corpus.jsonl

# ---- clusters and kept records --------------------------------------------
expect "help" 0 "Usage: tessera dedup*" "$bin" dedup --help
expect "basic run" 0 "" "$bin" dedup -q corpus.jsonl -o out.jsonl --clusters cl.jsonl --measure jaccard
ncl=$(wc -l < cl.jsonl)
if [ "$ncl" -eq 40 ]; then tsr_ok "40 clusters"; else bad "40 clusters" "got $ncl: $(head -3 cl.jsonl)"; fi
# each cluster keeps v0 and holds v0, v1 (exact) and usually v2; never v3 or u*
if grep -v '"keep":"g[0-9]*-v0","ids":\["g[0-9]*-v0","g[0-9]*-v1"' cl.jsonl | grep -q .; then
    bad "clusters keep the first, exact copy inside" "$(head -3 cl.jsonl)"
else tsr_ok "clusters keep the first, exact copy inside"; fi
if grep -q -e '-v3"' -e '"u[0-9]' cl.jsonl; then bad "heavy edits and unrelated texts alone" "$(grep -e '-v3' -e '"u' cl.jsonl | head -3)"
else tsr_ok "heavy edits and unrelated texts alone"; fi
nv2=$(grep -c -- '-v2"' cl.jsonl)
if [ "$nv2" -ge 34 ]; then tsr_ok "near copies (0.5% edits) clustered: $nv2/40"; else bad "near copies clustered" "$nv2/40"; fi
nout=$(wc -l < out.jsonl)
want=$((200 - 40 - nv2))
if [ "$nout" -eq "$want" ]; then tsr_ok "kept records"; else bad "kept records" "got $nout, want $want"; fi
# every field unchanged: the kept lines are input lines (raw copy)
if grep -Fxv -f corpus.jsonl out.jsonl | grep -q .; then bad "records unchanged" "$(head -c 300 out.jsonl)"
else tsr_ok "records unchanged"; fi
if grep -q '"id": "g0-v1"' out.jsonl; then bad "exact copy dropped"; else tsr_ok "exact copy dropped"; fi
grep -q '"similarity":1.0000' cl.jsonl && tsr_ok "similarity field" || bad "similarity field" "$(head -2 cl.jsonl)"

# the parsed path (--mark) keeps every field too, and marks duplicates
expect "mark" 0 "" "$bin" dedup -q corpus.jsonl -o mark.jsonl --mark --measure jaccard
n=$(wc -l < mark.jsonl)
[ "$n" -eq 200 ] && tsr_ok "mark keeps all" || bad "mark keeps all" "$n"
if grep -q '"id":"g3-v1","n":13,"url":"http://x/3/1","tessera_duplicate_of":"g3-v0","text":' mark.jsonl; then
    tsr_ok "mark: fields and duplicate_of"; else bad "mark: fields and duplicate_of" "$(grep g3-v1 mark.jsonl | head -c 300)"; fi

# keep longest: a longer near copy wins
printf '%s\n' '{"id":"a","text":"one two three four five six seven eight nine ten eleven twelve"}' \
    '{"id":"b","text":"one two three four five six seven eight nine ten eleven twelve thirteen"}' \
    '{"id":"c","date":"1999-01-01","text":"one two three four five six seven eight nine ten eleven twelve"}' > keep.jsonl
"$bin" dedup -q keep.jsonl -o k1.jsonl --keep longest --threshold 0.7 --clusters kc.jsonl
grep -q '"keep":"b"' kc.jsonl && tsr_ok "keep longest" || bad "keep longest" "$(cat kc.jsonl)"
"$bin" dedup -q keep.jsonl -o k2.jsonl --keep earliest --threshold 0.7 --clusters kc.jsonl
grep -q '"keep":"c"' kc.jsonl && tsr_ok "keep earliest" || bad "keep earliest" "$(cat kc.jsonl)"

# standard input, and the same result
"$bin" dedup -q - -o stdin.jsonl --measure jaccard < corpus.jsonl
n=$(wc -l < stdin.jsonl)
[ "$n" -eq "$nout" ] && tsr_ok "standard input" || bad "standard input" "$n vs $nout"

# a directory of text files: ids are paths
mkdir txt
awk 'NR <= 3' corpus.jsonl | sed 's/.*"text": "\([^"]*\)".*/\1/' > txt/a.txt
cp txt/a.txt txt/b.txt
awk 'NR == 5' corpus.jsonl | sed 's/.*"text": "\([^"]*\)".*/\1/' > txt/c.txt
"$bin" dedup -q txt -o txt.jsonl --clusters tc.jsonl
n=$(wc -l < txt.jsonl)
[ "$n" -eq 2 ] && grep -q '"keep":"txt/a.txt"' tc.jsonl && tsr_ok "text files" || bad "text files" "$n $(cat tc.jsonl)"

# ---- edited copies and templates: the default measure (aligned) ---------------
# Per group: a source (5 paragraphs of 40 words, every 7th a figure), an
# edited copy (5% of the other words replaced, deleted or swapped with the
# next, paragraph 3 dropped, a byline on top), a template instance (the same
# words, every figure another) and an unrelated text.
gen_news() { # SEED GROUPS
    awk -v seed="$1" -v ng="$2" '
    function text(kind,   t, p, i, x, y, op, sep) {
        t = (kind == 1) ? "By Jane Doe, Staff Writer\\n\\n" : "";
        for (p = 0; p < 5; p++) {
            if (kind == 1 && p == 2) continue;
            sep = "";
            for (i = 0; i < 40; i++) {
                x = src[p * 40 + i];
                if (i % 7 == 3) {
                    if (kind == 2) x = int(rand() * 90000) + 10000;
                } else if (kind == 1 && rand() < 0.05) {
                    op = int(rand() * 3);
                    if (op == 0) x = voc[int(rand() * 3000)];
                    else if (op == 1) continue;
                    else if (i < 39 && (i + 1) % 7 != 3) { y = src[p * 40 + i + 1]; t = t sep y; sep = " "; i++; }
                }
                t = t sep x; sep = " ";
            }
            t = t ".";
            if (p < 4) t = t "\\n\\n";
        }
        return t;
    }
    BEGIN {
        srand(seed);
        for (i = 0; i < 3000; i++) {
            w = ""; l = 3 + int(rand() * 7);
            for (k = 0; k < l; k++) w = w substr("abcdefghijklmnopqrstuvwxyz", 1 + int(rand() * 26), 1);
            voc[i] = w;
        }
        for (g = 0; g < ng; g++) {
            for (j = 0; j < 200; j++) src[j] = (j % 40) % 7 == 3 ? int(rand() * 90000) + 10000 : voc[int(rand() * 3000)];
            printf "{\"id\": \"n%d-src\", \"text\": \"%s\"}\n", g, text(0);
            printf "{\"id\": \"n%d-edit\", \"text\": \"%s\"}\n", g, text(1);
            printf "{\"id\": \"n%d-tmpl\", \"text\": \"%s\"}\n", g, text(2);
            for (j = 0; j < 200; j++) src[j] = (j % 40) % 7 == 3 ? int(rand() * 90000) + 10000 : voc[int(rand() * 3000)];
            printf "{\"id\": \"n%d-other\", \"text\": \"%s\"}\n", g, text(0);
        }
    }'
}
gen_news 11 30 > news.jsonl
# edited copies found: in a cluster with their source, and nothing else
count_pairs() { # CLUSTERS: "E T O" = edited copies with their source, template instances, others
    awk '{ e += /"n[0-9]*-src","n[0-9]*-edit"/; t += /-tmpl"/; o += /-other"/ } END { print e + 0, t + 0, o + 0 }' "$1"
}
expect "default measure" 0 "" "$bin" dedup -q news.jsonl -o news.out.jsonl --clusters news.cl.jsonl
set -- $(count_pairs news.cl.jsonl)
if [ "$1" -ge 29 ] && [ "$2" -eq 0 ] && [ "$3" -eq 0 ]; then
    tsr_ok "aligned (default): edited copies with their source $1/30, no template instance, nothing unrelated"
else bad "aligned (default): edited copies clustered, templates not" "edited $1/30, templates $2, others $3: $(head -3 news.cl.jsonl)"; fi
if awk -F'"similarity":' '{ split($2, a, "}"); if (a[1] + 0 < 0.8) bad = 1 } END { exit bad }' news.cl.jsonl; then
    tsr_ok "aligned: every dropped document scores 0.8 with the one kept"
else bad "aligned: similarity below the threshold" "$(cat news.cl.jsonl | head -5)"; fi
expect "containment" 0 "" "$bin" dedup -q news.jsonl -o news.c.jsonl --clusters news.ccl.jsonl --measure containment
set -- $(count_pairs news.ccl.jsonl)
if [ "$1" -ge 29 ] && [ "$2" -eq 0 ] && [ "$3" -eq 0 ]; then tsr_ok "containment: edited copies $1/30, no template instance"
else bad "containment: edited copies clustered, templates not" "edited $1/30, templates $2, others $3"; fi
expect "jaccard" 0 "" "$bin" dedup -q news.jsonl -o news.j.jsonl --clusters news.jcl.jsonl --measure jaccard
set -- $(count_pairs news.jcl.jsonl)
if [ "$1" -le 6 ]; then tsr_ok "jaccard (the old rule) misses edited copies: $1/30"
else bad "jaccard misses edited copies" "edited $1/30"; fi
"$bin" dedup -q news.jsonl -o news.x.jsonl --explain > news.explain.jsonl
if grep -q '"id":"n0-edit","duplicate_of":"n0-src","cluster":0,"jaccard":0\.[0-9]*,"measure":"aligned","score":0\.[89][0-9]*,"coverage"' news.explain.jsonl; then
    tsr_ok "explain: the measure and its score"; else bad "explain: the measure and its score" "$(head -c 300 news.explain.jsonl)"; fi
# the candidate floor: 0.9 finds fewer (the edited copies estimate below it)
"$bin" dedup -q news.jsonl -o news.f.jsonl --clusters news.fcl.jsonl --candidate 0.9
set -- $(count_pairs news.fcl.jsonl)
if [ "$1" -le 6 ]; then tsr_ok "--candidate 0.9: edited copies not candidates ($1/30)"
else bad "--candidate" "edited $1/30"; fi
expect "bad measure" 2 "*--measure takes aligned, containment or jaccard*" "$bin" dedup news.jsonl -o x.jsonl --measure best
expect "candidate with jaccard" 2 "*--candidate is for*" "$bin" dedup news.jsonl -o x.jsonl --measure jaccard --candidate 0.3
expect "bad candidate" 2 "*--candidate takes*" "$bin" dedup news.jsonl -o x.jsonl --candidate 1.5
expect "jaccard threshold 1" 2 "*must be below 1*" "$bin" dedup news.jsonl -o x.jsonl --measure jaccard --threshold 1
mkdir ro_tmp && chmod 500 ro_tmp
if [ -w ro_tmp ]; then tsr_ok "spool in an unwritable TMPDIR (skipped: running as root)"
else expect "spool in an unwritable TMPDIR" 5 "*spool file in*ro_tmp*" env TMPDIR="$PWD/ro_tmp" "$bin" dedup -q news.jsonl -o x.jsonl; fi
expect "spool in a missing TMPDIR" 5 "*spool file in /nonexistent/tmp*" env TMPDIR=/nonexistent/tmp "$bin" dedup -q news.jsonl -o x.jsonl

# kept lines are copied as they are: a BOM, blank lines, CRLF, a 5 MB line,
# no line break at the end (all distinct, all kept)
{
    printf '\357\273\277{"id": "r1", "text": "the first record of the file"}\n\n  \n'
    printf '{"id": "r2", "text": "a record that ends with a carriage return"}\r\n'
    awk 'BEGIN { printf "{\"id\": \"r3\", \"text\": \""; for (i = 0; i < 600000; i++) printf "w%d ", i; printf "\"}\n" }'
    printf '{"id": "r4", "text": "the last record has no line break"}'
} > raw.jsonl
expect "raw copy" 0 "" "$bin" dedup -q raw.jsonl -o raw.out.jsonl
{ sed '1s/^\xEF\xBB\xBF//' raw.jsonl | grep -v '^[[:space:]]*$'; echo; } | sed '$!b' > raw.want
awk 'NF' raw.want > raw.want2
if cmp -s raw.out.jsonl raw.want2; then tsr_ok "raw copy: lines byte for byte"
else bad "raw copy: lines byte for byte" "$(cmp raw.out.jsonl raw.want2; wc -c raw.out.jsonl raw.want2)"; fi

# ---- substrings and boilerplate ----------------------------------------------
cat > rep.jsonl <<'EOF'
{"id": "r1", "series": "s", "text": "First text opens here. This sentence is repeated word for word in another text of the corpus. It ends.\nFooter: all rights reserved by nobody"}
{"id": "r2", "series": "s", "text": "Second text. This sentence is repeated word for word in another text of the corpus. Then it says something else entirely\nFooter: all rights reserved by nobody"}
{"id": "r3", "series": "s", "text": "Third one is short.\nFooter: all rights reserved by nobody"}
EOF
"$bin" dedup -q rep.jsonl -o rep1.jsonl --substrings 40
if grep -q '"id":"r2".*"tessera_repeats":\[\[11,84\]\]' rep1.jsonl && ! grep -q '"id":"r1".*tessera_repeats' rep1.jsonl; then
    tsr_ok "substrings reported (first occurrence kept)"; else bad "substrings reported" "$(cat rep1.jsonl)"; fi
"$bin" dedup -q rep.jsonl -o rep2.jsonl --substrings 40 --remove
if grep -q '"id":"r2","series":"s","text":"Second text. Then it says something else entirely\\nFooter: all rights reserved by nobody"}' rep2.jsonl; then
    tsr_ok "substrings removed as whole sentences and lines"; else bad "substrings removed" "$(cat rep2.jsonl)"; fi
"$bin" dedup -q rep.jsonl -o rep3.jsonl --boilerplate --boiler-min 3 --remove
if grep -q '"id":"r3","series":"s","text":"Third one is short.\\n"}' rep3.jsonl; then
    tsr_ok "boilerplate removed"; else bad "boilerplate removed" "$(cat rep3.jsonl)"; fi
"$bin" dedup -q rep.jsonl -o rep4.jsonl --boilerplate --boiler-min 3
if grep -q '"id":"r3".*"tessera_boilerplate":\[\[20,57\]\]' rep4.jsonl; then
    tsr_ok "boilerplate reported"; else bad "boilerplate reported" "$(cat rep4.jsonl)"; fi

# ---- against an index ----------------------------------------------------------
awk 'NR % 4 == 1 && NR <= 80' corpus.jsonl > idx.jsonl    # bases g0..g19
"$bin" index -q --db ix.tsr idx.jsonl
awk 'NR % 4 == 3 || NR > 160' corpus.jsonl > new.jsonl   # near copies + unrelated
"$bin" dedup -q new.jsonl --db ix.tsr -o fresh.jsonl
n=$(grep -c '"id": "g' fresh.jsonl)
nu=$(grep -c '"id": "u' fresh.jsonl)
# near copies of g0..g19 are dropped (most: the LSH-free check is exact on
# candidates), of g20..g39 kept; unrelated kept
if [ "$n" -ge 20 ] && [ "$n" -le 23 ] && [ "$nu" -eq 40 ]; then tsr_ok "--db drops near copies of indexed texts ($n g kept)"
else bad "--db" "g kept: $n, u kept: $nu"; fi
"$bin" dedup -q new.jsonl --db ix.tsr -o fresh2.jsonl --explain > explain.jsonl
if grep -q '"id":"g0-v2","duplicate_of":"g0-v0","index":true,"jaccard":' explain.jsonl; then
    tsr_ok "explain against the index"; else bad "explain against the index" "$(head -2 explain.jsonl)"; fi
"$bin" dedup -q corpus.jsonl -o ex.jsonl --explain --measure jaccard > explain2.jsonl
if grep -q '"id":"g5-v1","duplicate_of":"g5-v0","cluster":5,"jaccard":1.0000,"measure":"jaccard","score":1.0000,"coverage":1.0000,"shared":\[{"begin":0,' explain2.jsonl; then
    tsr_ok "explain in the corpus"; else bad "explain in the corpus" "$(grep g5-v1 explain2.jsonl | head -c 400)"; fi

# ---- bad input -------------------------------------------------------------------
expect "no output" 2 "*no output given*" "$bin" dedup corpus.jsonl
expect "no input" 2 "*no INPUT given*" "$bin" dedup -o x.jsonl
expect "bad threshold" 2 "*--threshold*" "$bin" dedup corpus.jsonl -o x.jsonl --threshold 1.5
expect "bad keep" 2 "*--keep*" "$bin" dedup corpus.jsonl -o x.jsonl --keep best
expect "bad memory" 2 "*--memory*" "$bin" dedup corpus.jsonl -o x.jsonl --memory lots
expect "remove alone" 2 "*--remove needs*" "$bin" dedup corpus.jsonl -o x.jsonl --remove
expect "missing file" 3 "*nothere.jsonl*" "$bin" dedup -q nothere.jsonl -o x.jsonl
{ head -3 corpus.jsonl; echo '{"id": "x", "text": "unterminated'; } > broken.jsonl
expect "malformed JSON" 3 "*broken.jsonl:4*malformed JSON*" "$bin" dedup -q broken.jsonl -o x.jsonl
printf '{"id": "a", "text": "ok"}\n{"id": "b", "text": "bad \377 byte"}\n' > utf.jsonl
expect "bad UTF-8" 3 "*utf.jsonl:2*UTF-8*" "$bin" dedup -q utf.jsonl -o x.jsonl
expect "skip bad" 0 "*skipped 1 bad records*" "$bin" dedup utf.jsonl -o skip.jsonl --skip-bad
expect "unwritable output" 5 "*nodir/x.jsonl*" "$bin" dedup -q corpus.jsonl -o nodir/x.jsonl
expect "missing index" 4 "*" "$bin" dedup -q corpus.jsonl -o x.jsonl --db nothere.tsr
if ls x.jsonl* >/dev/null 2>&1; then bad "no output after failures" "$(ls x.jsonl*)"; else tsr_ok "no output after failures"; fi

# ---- interruption ------------------------------------------------------------------
i=0
: > big.jsonl
while [ $i -lt 60 ]; do cat corpus.jsonl >> big.jsonl; i=$((i + 1)); done
"$bin" dedup -q big.jsonl -o int.jsonl --substrings 50 2>/dev/null &
pid=$!
sleep 0.3
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
pid=""
if [ "$rc" -eq 130 ] || [ "$rc" -eq 0 ]; then tsr_ok "SIGTERM: exit $rc"; else bad "SIGTERM exit" "$rc"; fi
if [ "$rc" -eq 130 ] && ls int.jsonl* >/dev/null 2>&1; then bad "SIGTERM leaves no output" "$(ls int.jsonl*)"
else tsr_ok "SIGTERM leaves no output"; fi
# the complete output of the command the kills interrupt, to compare with
# what a kill after the rename leaves (it is not out.jsonl: another input,
# measure and options; comparing with that failed a kill that came after
# the rename, once in a run of make test)
"$bin" dedup -q big.jsonl -o full.jsonl --substrings 50 2>/dev/null
k=0
why=""
for delay in 0.05 0.1 0.2 0.3 0.5 0.8; do
    rm -f kill.jsonl
    "$bin" dedup -q big.jsonl -o kill.jsonl --substrings 50 2>/dev/null &
    pid=$!
    sleep $delay
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    rc=$?
    pid=""
    # killed: nothing; finished first: the whole output
    if [ "$rc" -eq 137 ]; then
        # nothing, or (killed after the rename) the complete output
        if ls kill.jsonl?* >/dev/null 2>&1 ||
           { [ -f kill.jsonl ] && ! cmp -s kill.jsonl full.jsonl; }; then
            k=$((k + 1))
            why="$why; after SIGKILL at $delay s: $(ls -l kill.jsonl* 2>&1 | tr '\n' ' ')"
            [ -f kill.jsonl ] && why="$why ($(wc -l < kill.jsonl) lines, the complete output $(wc -l < full.jsonl))"
        fi
    elif [ "$rc" -ne 0 ]; then k=$((k + 1)); why="$why; exit $rc after $delay s"; fi
done
# the reasons on the FAIL line itself, which is what tests/run.sh shows
[ "$k" -eq 0 ] && tsr_ok "SIGKILL x6 leaves no partial output" ||
    bad "SIGKILL leaves no partial output" "$k$why"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
