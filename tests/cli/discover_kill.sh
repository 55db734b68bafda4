#!/bin/sh
# tests/cli/discover_kill.sh - `tessera discover` killed at random moments
# resumes to the same bytes; a damaged index is refused.
#
#   sh tests/cli/discover_kill.sh [SEED] [--verbose]
#
# How it works.  discover_roundtrip --write-jsonl writes a corpus with
# planted reuse families (4000 documents, 13 families of up to 150 copies,
# ~40,000 document pairs to align: about 2 s on one core), and `tessera index`
# indexes it.  One uninterrupted `tessera discover --workdir W0 -o ref.jsonl
# --families ref-fam.jsonl` gives the reference.  Then, each round:
#
#   - the work directory the previous round left is reused: removed
#     (rounds 1, 5, 9...), with its links stage removed (2, 6...), with both
#     stages removed (3, 7...) or as it is (4, 8...), so kills land on
#     spilled runs, half-written stage files and half-written outputs;
#   - discover starts with a 64 KiB pair buffer (many spilled runs) and is
#     killed with SIGKILL after a random sleep; even rounds kill it twice;
#   - after each kill, out.jsonl and fam.jsonl are either absent or the
#     complete files of an earlier round (byte-equal to the reference):
#     never a partial file under the final name;
#   - then discover runs to completion with the same work directory: exit
#     0, both outputs byte-equal to the reference, no .tmp file left.
#
# Each round counts as one case; then `tessera discover INPUT` (a temporary
# index) stopped by SIGTERM three times at random moments, each a case: its
# temporary index is gone, its output absent or complete; and once run to
# the end, the reference pairs.  Then two more: a bit flipped in a segment
# file is refused with exit 4 and a message naming the file, and so is a
# segment cut short.  The sleeps derive from SEED (default 1); a failure
# prints it, and the same SEED replays the same schedule (timing varies).
#
# Environment: TESSERA_BIN, DROUNDTRIP_BIN (build/tests/discover_roundtrip),
# TMPDIR, TSR_DKILL_ROUNDS (default 12), TSR_DKILL_DOCS (default 4000).
# Ends with "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
gen=$(tsr_abs "${DROUNDTRIP_BIN:-build/tests/discover_roundtrip}")
tsr_seed_args "$@"
tsr_need tests/cli/discover_kill.sh "$bin" "$gen"
rounds=${TSR_DKILL_ROUNDS:-12}
ndocs=${TSR_DKILL_DOCS:-4000}

tsr_workdir dkill
T=$bin

setup_fail() {
    echo "FAIL setup (seed $seed): $1"
    echo "0 passed, 1 failed"
    exit 1
}

"$gen" "$seed" --docs "$ndocs" --families 40 --copies 150 --write-jsonl corpus.jsonl ||
    setup_fail "discover_roundtrip --write-jsonl failed"
"$T" index -q --db db corpus.jsonl >index.out 2>&1 ||
    setup_fail "index failed: $(head -c 300 index.out)"

DISC="$T discover -q --db db --threads 2 --memory 64K"
t0=$(date +%s.%N)
$DISC --workdir w0 -o ref.jsonl --families ref-fam.jsonl >ref.out 2>&1 ||
    setup_fail "the reference run failed: $(head -c 300 ref.out)"
[ -s ref.jsonl ] || setup_fail "the reference run found nothing"
t_ref=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
# kill within the length of a whole run
hi=$(awk -v t="$t_ref" 'BEGIN { printf "%.2f", t < 0.3 ? 0.3 : t }')

# same_or_absent FILE REF: the file is absent or equals the reference
same_or_absent() {
    [ ! -e "$1" ] || cmp -s "$1" "$2" ||
        why="${why}after a kill $1 is neither absent nor complete ($(wc -c <"$1") bytes, reference $(wc -c <"$2")); "
}

# kill_once ROUND K: start discover, SIGKILL it after a random sleep
kill_once() {
    delay=$(tsr_rnd "$1$2" 0.02 "$hi")
    $DISC --workdir w -o out.jsonl --families fam.jsonl >run.out 2>&1 &
    pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    # (the braces keep the shell's "Killed" notice off the output)
    { wait "$pid"; } 2>/dev/null
    rc=$?
    pid=""
    case $rc in
    137) killed=$((killed + 1)) ;;
    0) ;;
    *) why="${why}discover exited $rc before the kill: $(head -c 300 run.out); " ;;
    esac
    same_or_absent out.jsonl ref.jsonl
    same_or_absent fam.jsonl ref-fam.jsonl
    delays="$delays ${delay}s/$rc"
}

killed=0
i=1
while [ "$i" -le "$rounds" ]; do
    why=""
    delays=""
    case $((i % 4)) in
    1) rm -rf w ;;                  # fresh
    2) rm -f w/links ;;             # align again from the pairs stage
    3) rm -f w/pairs w/links ;;     # both stages again, same key
    esac
    [ $((i % 3)) -eq 0 ] && rm -f out.jsonl fam.jsonl
    kill_once "$i" 1
    [ $((i % 2)) -eq 0 ] && kill_once "$i" 2
    $DISC --workdir w -o out.jsonl --families fam.jsonl >run.out 2>&1
    rc=$?
    [ $rc -eq 0 ] || why="${why}the resumed run exited $rc: $(head -c 300 run.out); "
    cmp -s out.jsonl ref.jsonl ||
        why="${why}out.jsonl differs from the reference ($(cmp out.jsonl ref.jsonl 2>&1 | head -c 200)); "
    cmp -s fam.jsonl ref-fam.jsonl ||
        why="${why}fam.jsonl differs from the reference; "
    for t in out.jsonl.tmp fam.jsonl.tmp; do
        [ -e "$t" ] && why="${why}$t left after a completed run; "
    done
    if [ -z "$why" ]; then tsr_ok "discover-kill/round-$i (kills after$delays)"
    else tsr_fail "discover-kill/round-$i (seed $seed; kills after$delays): $why"; fi
    i=$((i + 1))
done

# damaged_case NAME: discover on the damaged copy bad/ must exit 4 naming the segment
# discover INPUT (a temporary index) stopped by SIGTERM at random moments,
# while it indexes or while it discovers: the temporary index is removed
# (nothing left in its TMPDIR), the output absent or complete; then a run
# to the end gives the reference pairs.
mkdir tmpk
i=1
while [ "$i" -le 3 ]; do
    why=""
    delay=$(tsr_rnd "$((900 + i))" 0.02 "$hi")
    TMPDIR=$PWD/tmpk $T discover -q --threads 2 --memory 64K -o one.jsonl corpus.jsonl \
        >one.out 2>&1 &
    pid=$!
    sleep "$delay"
    kill -TERM "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    rc=$?
    case $rc in 130|0) ;; *) why="exit $rc: $(head -c 300 one.out); " ;; esac
    left=$(ls tmpk | wc -l)
    [ "$left" -eq 0 ] || why="${why}$left entries left in TMPDIR: $(ls tmpk); "
    same_or_absent one.jsonl ref.jsonl
    rm -f one.jsonl
    if [ -z "$why" ]; then tsr_ok "discover-kill/one-step-term-$i (after ${delay}s, exit $rc)"
    else tsr_fail "discover-kill/one-step-term-$i (seed $seed): $why"; fi
    i=$((i + 1))
done
why=""
TMPDIR=$PWD/tmpk $T discover -q --threads 2 --memory 64K -o one.jsonl corpus.jsonl >one.out 2>&1 ||
    why="exit $?: $(head -c 300 one.out); "
cmp -s one.jsonl ref.jsonl || why="${why}one.jsonl differs from the reference; "
[ "$(ls tmpk | wc -l)" -eq 0 ] || why="${why}TMPDIR not empty; "
if [ -z "$why" ]; then tsr_ok "discover-kill/one-step: the reference pairs, TMPDIR empty"
else tsr_fail "discover-kill/one-step: $why"; fi

damaged_case() {
    $T discover -q --db bad --workdir wbad -o bad.jsonl >bad.out 2>&1
    rc=$?
    why=""
    [ $rc -eq 4 ] || why="exit $rc, expected 4; "
    grep -q "$seg" bad.out || why="${why}the message does not name $seg: $(head -c 300 bad.out); "
    [ -e bad.jsonl ] && why="${why}an output was written; "
    if [ -z "$why" ]; then tsr_ok "discover-kill/$1: $(head -c 200 bad.out)"
    else tsr_fail "discover-kill/$1: $why"; fi
}

rm -rf bad && cp -R db bad && rm -rf bad/discover
seg=$(cd bad && ls seg-*.tsg | head -n 1)
size=$(wc -c <"bad/$seg")
off=$((size / 2))
old=$(od -An -tu1 -j "$off" -N 1 "bad/$seg" | tr -d ' ')
new=$(( (old + 1) % 256 ))
# shellcheck disable=SC2059  # the format is the byte
printf "$(printf '\\%03o' "$new")" | dd of="bad/$seg" bs=1 seek="$off" conv=notrunc 2>/dev/null
damaged_case "bit-flip"

rm -rf bad wbad && cp -R db bad && rm -rf bad/discover
dd if="db/$seg" of="bad/$seg" bs=1 count=$((size - 100)) 2>/dev/null
damaged_case "truncated"

echo "discover kill test: $killed of the runs killed mid-run, reference run ${t_ref}s, $ndocs documents"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
