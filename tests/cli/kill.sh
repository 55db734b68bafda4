#!/bin/sh
# tests/cli/kill.sh - crash safety: SIGKILL `tessera index` at random moments.
#
#   sh tests/cli/kill.sh [SEED] [--verbose]
#
# How it works.  datagen writes a JSON Lines corpus of N documents of exactly
# 2000 bytes each; `tessera index --batch-mb 1` commits after every
# k = ceil(1 MiB / 2000) = 525 new documents.  The same command is started
# again and again and killed with SIGKILL after a random sleep (20 times).
# Each run skips the ids already indexed and goes on where the last
# completed commit ended, so after any kill:
#
#   - `verify` passes (exit 0): no torn segment, no catalog out of step;
#   - the document count never decreases and is a multiple of k (or N):
#     a batch is there entirely or not at all;
#   - the last committed document (number count-1) is found by `check`
#     under its id, and a random earlier one too;
#   - the first uncommitted document (number count) is not found.
#
# Finally one run goes to the end: N documents, verify passes.  Each kill
# round and the final run count as one case.  The random sleeps derive from
# SEED (default 1): a failure prints the seed, and the same SEED replays the
# same schedule (timing still varies from run to run).
#
# Environment: TESSERA_BIN, DATAGEN_BIN, TMPDIR, TSR_KILL_DOCS (N, default
# 16000), TSR_KILL_ROUNDS (default 20).  Ends with "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
gen=$(tsr_abs "${DATAGEN_BIN:-build/tests/datagen}")
tsr_seed_args "$@"
tsr_need tests/cli/kill.sh "$bin" "$gen"

ndocs=${TSR_KILL_DOCS:-16000}
rounds=${TSR_KILL_ROUNDS:-20}
docbytes=2000
k=$(( (1048576 + docbytes - 1) / docbytes ))

tsr_workdir kill
T=$bin

"$gen" --seed "$seed" --docs "$ndocs" --bytes "$docbytes" >corpus.jsonl || {
    echo "tests/cli/kill.sh: datagen failed"; echo "0 passed, 1 failed"; exit 1; }

prev=0
mid_run=0

rndint() { awk -v s="$seed" -v i="$1" -v n="$2" \
        'BEGIN { srand(s * 7919 + i); printf "%d", int(rand() * n) }'; }

docid() { printf 'doc-%06d' "$1"; }

# found I: does `check` find document I under its id?
found() {
    "$gen" --seed "$seed" --bytes "$docbytes" --text "$1" >q.txt
    "$T" check --db db --json q.txt >check.out 2>check.err
    _rc=$?
    if [ $_rc -ne 0 ]; then
        why="${why}check of $(docid "$1") exited $_rc: $(head -c 300 check.err); "
        return 2
    fi
    grep -q "\"id\":\"$(docid "$1")\"" check.out
}

# examine ROUND: the invariants after a run ended (killed or not)
examine() {
    why=""
    if [ ! -d db ]; then
        [ "$prev" -eq 0 ] || why="the index directory vanished; "
        count=0
    else
        "$T" verify --db db --quiet >verify.out 2>&1
        vrc=$?
        [ $vrc -eq 0 ] || why="${why}verify exited $vrc: $(head -c 400 verify.out); "
        stats=$("$T" stats --db db --json 2>&1)
        count=$(echo "$stats" | sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
        if [ -z "$count" ]; then
            why="${why}stats failed: $(echo "$stats" | head -c 300); "
            count=$prev
        fi
    fi
    [ "$count" -ge "$prev" ] || why="${why}documents went down: $prev -> $count; "
    [ $((count % k)) -eq 0 ] || [ "$count" -eq "$ndocs" ] ||
        why="${why}$count documents: not a whole number of $k-document batches; "
    if [ -d db ] && [ "$count" -gt 0 ]; then
        found $((count - 1)); f=$?
        [ $f -eq 1 ] && why="${why}last committed $(docid $((count - 1))) not found; "
        r=$(rndint "$1" "$count")
        found "$r"; f=$?
        [ $f -eq 1 ] && why="${why}committed $(docid "$r") not found; "
    fi
    if [ -d db ] && [ "$count" -gt 0 ] && [ "$count" -lt "$ndocs" ]; then
        found "$count"; f=$?
        [ $f -eq 0 ] && why="${why}uncommitted $(docid "$count") is visible; "
    fi
    prev=$count
}

report() {
    if [ -z "$why" ]; then tsr_ok "kill/$1: $count documents"
    else tsr_fail "kill/$1 (seed $seed): $why"; fi
}

i=1
while [ "$i" -le "$rounds" ]; do
    delay=$(tsr_rnd "$i" 0.02 0.45)
    "$T" index -q --db db --batch-mb 1 corpus.jsonl >index.out 2>&1 &
    pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    # (the braces keep the shell's "Killed" notice off the output)
    { wait "$pid"; } 2>/dev/null
    rc=$?
    pid=""
    examine "$i"
    case $rc in
    137) mid_run=$((mid_run + 1)) ;;
    0) ;;
    *) why="${why}index exited $rc before the kill: $(head -c 300 index.out); " ;;
    esac
    report "round-$i (after ${delay}s, exit $rc)"
    i=$((i + 1))
done

"$T" index -q --db db --batch-mb 1 corpus.jsonl >index.out 2>&1
rc=$?
examine final
[ $rc -eq 0 ] || why="${why}the final run exited $rc: $(head -c 300 index.out); "
[ "$count" -eq "$ndocs" ] || why="${why}the final run left $count of $ndocs documents; "
report final

echo "kill test: $mid_run of $rounds runs killed mid-run, $ndocs documents, batches of $k"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
