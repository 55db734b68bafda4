# bench/lib.sh - helpers shared by the benchmark scripts (sourced; POSIX sh).
# Needs $py (a python3) for jget.

# FILE FIELD -> number, from a `/usr/bin/time -v` report: wall (seconds, from
# "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.3"), user, sys, cpu
# (user + sys seconds), rss (peak resident set, kB).
tv() {
    case $2 in
    wall) sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" |
          awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' ;;
    user) sed -n 's/.*User time (seconds): //p' "$1" ;;
    sys)  sed -n 's/.*System time (seconds): //p' "$1" ;;
    cpu)  awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$1" ;;
    rss)  sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" ;;
    esac
}

# JSON-FILE KEY -> value; KEY may be dotted ("check.p50").
jget() {
    "$py" -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"
}

# FORMAT EXPRESSION -> the expression, computed by awk and printed with FORMAT.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# DOCS -> the bench corpus of DOCS documents: $work/corpus-DOCS.jsonl, its
# queries ($work/queries-DOCS.jsonl and folder) and peer subset
# ($work/subset-DOCS), made by bench/gen_corpus.py (seeded) unless a stamp
# says they are up to date.  Needs $py, $here, $data, $work, $nq, $peer_docs.
bench_corpus() {
    _c=$work/corpus-$1.jsonl
    _s=$work/corpus-$1.stamp
    _p=$peer_docs
    [ "$_p" -gt "$1" ] && _p=$1
    _w="docs=$1 queries=$nq subset=$_p $(cksum < "$here/gen_corpus.py")"
    if [ ! -f "$_c" ] || [ ! -f "$_s" ] || [ "$(cat "$_s")" != "$_w" ]; then
        echo "== corpus: $1 documents -> $_c" >&2
        mkdir -p "$work"
        rm -rf "$work/queries-$1" "$work/subset-$1" "$_s"
        "$py" "$here/gen_corpus.py" --data "$data/news.jsonl" --docs "$1" --out "$_c" \
            --queries "$nq" --queries-out "$work/queries-$1.jsonl" \
            --queries-dir "$work/queries-$1" --subset "$_p" --subset-dir "$work/subset-$1" ||
            return 1
        echo "$_w" > "$_s"
    fi
}
