#!/bin/sh
# tests/cli/bad_input.sh - bad input and damaged indexes, through the CLI.
#
#   sh tests/cli/bad_input.sh [--verbose]
#
# Each case runs one tessera command on something broken (invalid UTF-8, NUL
# bytes, an empty file, a 200 MB line, malformed JSON Lines, a truncated or
# bit-flipped segment, a missing or locked index, a binary file) and checks
# the exit code and that stdout+stderr match a shell pattern: the message
# must name the file and the byte or line.  Any crash shows as an exit code
# of 128 or more and fails the case.  Cases marked "known bug" document a
# fault reported to the owner of the code; they fail until it is fixed.
#
# Environment: TESSERA_BIN (default build/tessera), DATAGEN_BIN (default
# build/tests/datagen), TMPDIR, TSR_BIG_MB (size of the long-line file,
# default 200).  Ends with "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
gen=$(tsr_abs "${DATAGEN_BIN:-build/tests/datagen}")
[ "${1:-}" = "--verbose" ] || [ "${1:-}" = "-v" ] && verbose=1
tsr_need tests/cli/bad_input.sh "$bin" "$gen"
tsr_workdir bad

note=""

# t NAME WANT PATTERN CMD...: run CMD; its exit code must match WANT (a
# shell pattern such as 3 or 0|3) and its stdout+stderr must match PATTERN.
t() {
    _name=$1 _want=$2 _pat=$3
    shift 3
    "$@" >out 2>&1 </dev/null
    _code=$?
    _why=""
    _why="exit code $_code, expected $_want"
    _alts=$(echo "$_want" | tr '|' ' ')
    for _w in $_alts; do
        [ "$_code" = "$_w" ] && _why=""
    done
    _out=$(cat out)
    if [ -z "$_why" ]; then
        # shellcheck disable=SC2254
        case $_out in
        $_pat) ;;
        *) _why="output does not match: $_pat" ;;
        esac
    fi
    if [ -z "$_why" ]; then
        tsr_ok "bad-input/$_name"
    else
        tsr_fail "bad-input/$_name: $_why"
        [ -n "$note" ] && echo "     known bug: $note"
        echo "    \$ $*"
        sed -n '1,8p' out | sed 's/^/    | /'
    fi
    note=""
}

T=$bin
fixture=$root/tests/data

# ---- invalid text ----------------------------------------------------------
printf 'Hello world, caf\303 and more words here\n' >bad.txt       # cut sequence at byte 16
printf 'Hello\000world and more words\n' >nul.txt                  # NUL at byte 5
printf 'ends in a cut sequence \342\202' >edge.txt                 # bad at byte 23, at EOF
printf 'overlong \300\257 slash\n' >overlong.txt                    # bad at byte 9
mkdir -p tree/sub
cp "$fixture/corpus/river.txt" tree/a.txt
cp bad.txt tree/sub/b.txt
"$T" index -q --db ix "$fixture/corpus" >/dev/null 2>&1 || echo "setup: indexing the fixtures failed"

t check-utf8        3 '*bad.txt*byte 16*'      "$T" check --db ix --json bad.txt
t index-utf8        3 '*bad.txt*byte 16*'      "$T" index -q --db new1 bad.txt
t check-nul         3 '*nul.txt*byte 5*'       "$T" check --db ix --json nul.txt
t index-nul         3 '*nul.txt*byte 5*'       "$T" index -q --db new2 nul.txt
t check-utf8-at-eof 3 '*edge.txt*byte 23*'     "$T" check --db ix --json edge.txt
t align-overlong    3 '*overlong.txt*byte 9*'  "$T" align --json overlong.txt "$fixture/align_b.txt"
t index-dir-names-inner-file 3 '*tree/sub/b.txt*byte 16*' "$T" index -q --db new3 tree
t index-missing-file 3 '*no-such-file.txt*'    "$T" index -q --db new4 no-such-file.txt
t check-missing-file 3 '*no-such-file.txt*'    "$T" check --db ix no-such-file.txt

# ---- empty and blank files -------------------------------------------------
: >empty.txt
printf '  \n\n\t \n' >blank.txt
t check-empty 0 '*"bytes":0,"words":0*'        "$T" check --db ix --json empty.txt
t check-blank 0 '*"passages":\[\]*"words":0*'  "$T" check --db ix --json blank.txt
# added, and reported: such a document can match nothing
t index-empty 0 "*empty.txt*'empty.txt' has no words*"  "$T" index -q --db new5 empty.txt
t index-blank 0 "*blank.txt*'blank.txt' has no words*"  "$T" index -q --db new6 blank.txt
t index-empty-summary 0 '*added 1 documents*; 1 documents without words' \
    "$T" index --db new7 empty.txt
t align-empty 0 '*"passages":\[\]*'            "$T" align --json empty.txt "$fixture/align_b.txt"

# ---- binary file -------------------------------------------------------------
head -c 4096 "$T" >bin.dat
t index-binary 3 '*bin.dat*NUL*'   "$T" index -q --db new7 bin.dat
t check-binary 3 '*bin.dat*'       "$T" check --db ix bin.dat

# ---- JSON Lines ------------------------------------------------------------------
{
    echo '{"id":"a","text":"one two three four five"}'
    echo '{"id":"b","text":"broken'
    echo '{"id":"c","text":"six seven eight nine ten"}'
} >malformed.jsonl
printf '{"id":"a","text":"good words"}\n{"id":"u","text":"bad \377 byte"}\n' >utf8.jsonl
printf '{"id":"a","text":"good words"}\n{"id":"n","title":"no text"}\n' >notext.jsonl
t jsonl-malformed 3 '*malformed.jsonl:2*'       "$T" index -q --db new8 malformed.jsonl
t jsonl-skip-bad  0 '*skipped 1 bad record*added 2 documents*' \
                                                "$T" index --db new9 --skip-bad malformed.jsonl
t jsonl-skip-bad-count 0 '*"documents":2,*'     "$T" stats --db new9 --json
t jsonl-bad-utf8  3 '*utf8.jsonl*2*'            "$T" index -q --db new10 utf8.jsonl
t jsonl-no-text   3 '*notext.jsonl*2*'          "$T" index -q --db new11 notext.jsonl
t jsonl-no-text-skip 0 '*skipped 1 bad record*' "$T" index --db new12 --skip-bad notext.jsonl

# ---- compressed input --------------------------------------------------------
if command -v gzip >/dev/null 2>&1; then
    cp "$fixture/corpus/river.txt" river.txt
    gzip -c river.txt >river.txt.gz
    head -c 40 river.txt.gz >cut.txt.gz
    t gzip-ok 0 '*'                                "$T" index -q --db new13 river.txt.gz
    note="a truncated .gz is bad input (3), the CLI says 4 (index damaged): reader status maps to EXIT_INDEX"
    t gzip-truncated 3 '*cut.txt.gz*'              "$T" index -q --db new14 cut.txt.gz
fi

# ---- a 200 MB document on one line ---------------------------------------------
big_mb=${TSR_BIG_MB:-200}
"$gen" --pattern-line --bytes $((big_mb * 1000000)) >big.txt
t index-200mb-line '0|3' '*' "$T" index -q --db big big.txt
if [ -d big ]; then
    t index-200mb-verify 0 '*sound*' "$T" verify --db big
fi
rm -rf big.txt big

# ---- damaged segments ------------------------------------------------------------
# seg_of DIR: the first segment file of an index
seg_of() { for _s in "$1"/seg-*.tsg; do echo "$_s"; return; done; }
for d in trunc flip head; do
    cp -R ix "$d"
done
s=$(seg_of trunc); size=$(wc -c <"$s")
dd if=/dev/null of="$s" bs=1 seek=$((size / 2)) 2>/dev/null   # truncate to half
note="verify exits 4 (cannot open) on a truncated segment; expected 1 (damage found, file named)"
t verify-truncated-segment 1 "*$(basename "$s")*" "$T" verify --db trunc
t check-truncated-segment  4 "*$(basename "$s")*" "$T" check --db trunc --json "$fixture/query.txt"

s=$(seg_of flip); size=$(wc -c <"$s")
printf '\377' | dd of="$s" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
note="verify exits 4 (cannot open) on a segment with a bad body checksum; expected 1 (damage found, file named)"
t verify-flipped-segment 1 "*$(basename "$s")*" "$T" verify --db flip
note="check reads a segment whose body checksum is wrong and exits 0 (tessera.h: a corrupted segment is refused)"
t check-flipped-segment  4 "*$(basename "$s")*" "$T" check --db flip --json "$fixture/query.txt"

s=$(seg_of head)
printf '\377' | dd of="$s" bs=1 seek=9 conv=notrunc 2>/dev/null
note="verify exits 4 (cannot open) on a garbled segment header; expected 1 (damage found, file named)"
t verify-flipped-header 1 "*$(basename "$s")*" "$T" verify --db head
t check-flipped-header  4 "*$(basename "$s")*" "$T" check --db head --json "$fixture/query.txt"

cp -R ix cat
head -c 100 cat/catalog.sqlite >cat/c && mv cat/c cat/catalog.sqlite
t check-truncated-catalog 4 '*' "$T" check --db cat --json "$fixture/query.txt"
t verify-truncated-catalog '1|4' '*catalog*' "$T" verify --db cat

# ---- a journal left by an interrupted write, met by a reader that may not write -----
# A crash during a new index's first commit (in SQLite's rollback journal)
# leaves a hot journal; a reader rolls it back itself, but one without
# write permission cannot, and must say what to do (it said "attempt to
# write a readonly database").  The journal is made here by a connection
# that quits inside a transaction after its cache spilled; the reader is
# user nobody (when run as root, through setpriv) or this user with the
# write permission taken away.
cp -R ix hot
if /usr/bin/python3 -c '
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA journal_mode = DELETE")
con.execute("PRAGMA cache_size = 2")
con.execute("BEGIN")
con.execute("UPDATE docs SET title = hex(randomblob(30000))")
os._exit(0)' hot/catalog.sqlite 2>/dev/null && [ -s hot/catalog.sqlite-journal ]; then
    as_reader=""
    opened=""
    if [ "$(id -u)" = 0 ]; then
        if command -v setpriv >/dev/null 2>&1; then
            as_reader="setpriv --reuid=65534 --regid=65534 --clear-groups"
            chmod -R a+rX hot
            # the folders above it (this run's own, 0700) opened to nobody
            d=$PWD
            while [ "$d" != / ]; do
                if ! $as_reader test -x "$d" 2>/dev/null; then
                    chmod o+x "$d" && opened="$opened $d"
                fi
                d=$(dirname "$d")
            done
        fi
    else
        chmod a-w hot hot/catalog.sqlite
        as_reader="env"
    fi
    if [ -n "$as_reader" ]; then
        t hot-journal-no-write 4 '*catalog.sqlite-journal*rolled back*write permission*' \
            $as_reader "$T" stats --db "$PWD/hot"
        for d in $opened; do chmod o-x "$d"; done
        chmod -R u+w hot
        # with write permission, the reader rolls the journal back and reads
        t hot-journal-rolled-back 0 '*documents*' "$T" stats --db hot
    else
        echo "bad-input/hot-journal-no-write: skipped (root without setpriv)"
    fi
else
    tsr_fail "bad-input/hot-journal: no journal made (python3's sqlite3)"
fi

# ---- missing, foreign and locked indexes ------------------------------------------
mkdir foreign && echo "not an index" >foreign/README
t check-missing-index  4 '*no-such-index*' "$T" check --db no-such-index --json "$fixture/query.txt"
t stats-missing-index  4 '*no-such-index*' "$T" stats --db no-such-index
t verify-missing-index 4 '*no-such-index*' "$T" verify --db no-such-index
t check-foreign-dir    4 '*foreign*'       "$T" check --db foreign --json "$fixture/query.txt"
t check-db-is-file     4 '*bad.txt*'       "$T" check --db bad.txt --json "$fixture/query.txt"

# a writer that holds the lock while it waits on its standard input
(sleep 2 | "$T" index -q --db ix - >writer.out 2>&1; echo $? >writer.rc) &
sleep 0.5
t second-writer-locked 4 '*ix*another writer*'  "$T" index -q --db ix "$fixture/align_a.txt"
t reader-while-writing 0 '*'       "$T" check --db ix --json "$fixture/query.txt"
wait
t first-writer-finished '0|3' '*' sh -c 'exit $(cat writer.rc)'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
