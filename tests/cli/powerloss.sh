#!/bin/sh
# tests/cli/powerloss.sh - power loss and disk errors in the index writer.
#
#   sh tests/cli/powerloss.sh [SEED] [--verbose]
#
# How it works.  tests/tools/crashsim.c, built here as an LD_PRELOAD object
# (and as a tool), counts the calls of `tessera index` that change files
# under a directory disk/ (opens for writing, writes, syncs, renames,
# unlinks, closes) and keeps an image of what is durable: each file as of
# its last fsync/fdatasync, each directory's names as of its last fsync
# (crashsim.c explains the model).  At event K it kills the process
# (SIGKILL), or makes the call fail with ENOSPC or EIO.  `crashsim restore`
# then turns disk/ into what survives a power loss: unsynced writes and
# unsynced names are gone.
#
# Four operations, each from a copy of a baseline taken as durable (a
# 72-document corpus with planted reuse, batches of 12 documents):
#
#   create  a new index of batch A (mkdir, catalog, first commit)
#   append  batch B onto an index of A (one commit)
#   merge   batch D onto an index of A, B, C (3 segments): one commit,
#           then the automatic merge of the 4 segments into 1
#   add     2 documents onto the merged index of A-D: a small batch, the
#           stand-in for an add through the API (a writer per add)
#
# One traced run of each counts its events and finds its commit point: the
# WAL sync that ends the catalog transaction of the commit (and, for merge,
# of the merge).  Every process that touches disk/ afterwards, readers
# included, runs under the object (in its count mode) so that the image
# follows it.  Then:
#
#   1. Power loss (50 per operation, K drawn from the seed over all events
#      of the run): crash before event K, restore, and the index must be as
#      of the last completed commit: for K after the commit point every
#      document of the batch, before it none; verify sound; every expected
#      document found by `check --jsonl` under its id; for merge the number
#      of segments (3, 4 after the commit, 1 after the merge).  A crash
#      during create before its commit may leave no index: no folder, no
#      catalog, an empty one, or one a reader cannot open yet (SQLite's
#      rollback journal of its switch to WAL is back; the next writer rolls
#      it back).  Then the next writer (`tessera index` of the same batch)
#      must end with every document, verify sound and no segment file that
#      the catalog does not list.
#   2. Killed, then power loss (20 per operation; for create its first 8
#      events, where the folder and the catalog are made, and 12 drawn):
#      crash before event K without the restore (the power stays on), run
#      the same command again to its end, then the power loss: every
#      document of that completed run must survive.
#   3. Disk errors at every I/O event (write, sync, close of a written file)
#      of the merge run, which holds one commit and one merge: ENOSPC from
#      event K on (a disk that stays full) and EIO at event K only.  The
#      exit code must be 5 (a system error) with the error's text, or 0 (an
#      error SQLite shrugs off, in its checkpoint at close); the index as of
#      its last commit: the batch there when the commit completed (the
#      message then says "is durable"; it must for K after the commit
#      point), else absent, verify sound, 3 segments; when the WAL's sync
#      failed, the message says the outcome is unknown and the batch must
#      be there whole or not at all.  Then the next writer (power kept)
#      ends with every document and no orphan file, and a power loss after
#      it keeps them all (found by check).
#
# Each crash or fault is one case.  The cases run in two workers (2 cores).
# The crash points derive from SEED (default 1): a failure prints the case
# (operation, mode, K), and the same SEED replays the same cases exactly.
#
# Skipped, with a message, where LD_PRELOAD cannot reach tessera's calls (a
# static or sanitizer build, no /proc, no C compiler).
#
# Environment: TESSERA_BIN, DROUNDTRIP_BIN (build/tests/discover_roundtrip),
# CC, TMPDIR, TSR_PL_CRASHES (per operation, default 50), TSR_PL_KILLS
# (per operation, default 20), TSR_PL_ONLY (a pattern, grep -x: only the
# cases it matches, e.g. 'fault eio 0 60'; TSR_KEEP=1 keeps the folder).
# Ends with "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
gen=$(tsr_abs "${DROUNDTRIP_BIN:-build/tests/discover_roundtrip}")
tsr_seed_args "$@"
tsr_need tests/cli/powerloss.sh "$bin" "$gen"
ncrash=${TSR_PL_CRASHES:-50}
nkill=${TSR_PL_KILLS:-20}
T=$bin
t0=$(date +%s)

tsr_workdir powerloss

skip() {
    echo "powerloss.sh: SKIPPED: $1"
    echo "0 passed, 0 failed"
    exit 0
}

# ---- the simulator ---------------------------------------------------------

cc=${CC:-cc}
src=$root/tests/tools/crashsim.c
so=$work/crashsim.so
cs=$work/crashsim
"$cc" -std=c11 -O2 -shared -fPIC -DCRASHSIM_PRELOAD -o "$so" "$src" -ldl >cc.txt 2>&1 ||
    skip "cannot build the LD_PRELOAD object ($cc): $(head -c 200 cc.txt)"
"$cc" -std=c11 -O2 -o "$cs" "$src" >cc.txt 2>&1 ||
    skip "cannot build crashsim ($cc): $(head -c 200 cc.txt)"

# sim MODE K LOG CMD...: CMD under the simulator, on disk/ and its image img/
# (of the current directory); $sticky (0/1) for the fault modes.
sim() {
    _m=$1 _k=$2 _l=$3
    shift 3
    env LD_PRELOAD="$so" CRASHSIM_ROOT="$PWD/disk" CRASHSIM_IMAGE="$PWD/img" \
        CRASHSIM_MODE="$_m" CRASHSIM_AT="$_k" CRASHSIM_STICKY="${sticky:-0}" \
        CRASHSIM_LOG="$PWD/$_l" "$@"
}

# tsr ARGS...: tessera on disk/, readers too, under the simulator's count
# mode: every process that changes disk/ must run with it (SQLite's readers
# create -wal and -shm files), else a file created behind its back whose
# inode number was a removed file's would take that file's durable content
tsr() {
    sim count 0 tsr.log "$T" "$@"
}

# ---- corpus and baselines --------------------------------------------------

"$gen" "$seed" --docs 72 --families 6 --write-jsonl corpus.jsonl >gen.txt 2>&1 || {
    echo "FAIL discover_roundtrip --write-jsonl: $(head -c 300 gen.txt)"
    echo "0 passed, 1 failed"
    exit 1
}
sed -n 1,12p corpus.jsonl >A.jsonl
sed -n 13,24p corpus.jsonl >B.jsonl
sed -n 25,36p corpus.jsonl >C.jsonl
sed -n 37,48p corpus.jsonl >D.jsonl
sed -n 49,50p corpus.jsonl >E.jsonl
cat A.jsonl B.jsonl >AB.jsonl
cat A.jsonl B.jsonl C.jsonl >ABC.jsonl
cat ABC.jsonl D.jsonl >ABCD.jsonl
cat ABCD.jsonl E.jsonl >ABCDE.jsonl

# A baseline is a folder whose copy becomes disk/ (with ix/ the index).
mkdir -p base/create base/append base/merge base/add
setup_ok=1
for f in A; do "$T" index -q --db base/append/ix $f.jsonl || setup_ok=0; done
for f in A B C; do "$T" index -q --db base/merge/ix $f.jsonl || setup_ok=0; done
for f in A B C D; do "$T" index -q --db base/add/ix $f.jsonl || setup_ok=0; done
segs_of() { "$T" stats --db "$1" --json 2>/dev/null | sed -n 's/.*"segments":\([0-9]*\).*/\1/p'; }
if [ "$setup_ok" = 1 ] && [ "$(segs_of base/merge/ix)" = 3 ] && [ "$(segs_of base/add/ix)" = 1 ]; then
    tsr_ok "baselines (3 segments, then merged into 1)"
else
    tsr_fail "baselines: index exit codes or segment counts ($(segs_of base/merge/ix)," \
        "$(segs_of base/add/ix)) not 3 and 1: has the merge policy changed?"
    echo "$passed passed, $failed failed"
    exit 1
fi

# prep OP: disk/ := a copy of OP's baseline, all of it durable; the logs
# of the last case removed
prep() {
    rm -rf disk img ./*.log log*.txt out*.txt next.txt
    cp -R "$work/base/$1" disk && "$cs" init disk img
}

# The operations: input, documents before and after the commit, probe files
# of the documents before and after (all must be found), segments before,
# after the commit, after the merge.
op_input() { case $1 in create) echo A ;; append) echo B ;; merge) echo D ;; add) echo E ;; esac; }
op_before() { case $1 in create) echo 0 ;; append) echo 12 ;; merge) echo 36 ;; add) echo 48 ;; esac; }
op_after() { case $1 in create) echo 12 ;; append) echo 24 ;; merge) echo 48 ;; add) echo 50 ;; esac; }
op_pbefore() { case $1 in create) echo "" ;; append) echo A ;; merge) echo ABC ;; add) echo ABCD ;; esac; }
op_pafter() { case $1 in create) echo A ;; append) echo AB ;; merge) echo ABCD ;; add) echo ABCDE ;; esac; }

# ---- traces: events and commit points --------------------------------------

# trace_points LOG: "N NIO C CIO M MIO": the events, the I/O events, and the
# commit points (event and I/O event numbers) of the first and the second
# segment placed (the second: a merge; 0 if none).  A commit point is the
# WAL sync that ends the catalog transaction after the segment's rename:
# the last WAL sync that follows a WAL write, before the next segment file
# is opened.
trace_points() {
    awk '
    $1 == "fault" { next }
    { n = $1; if ($2 != "-") nio = $2 }
    $3 == "rename" && $4 ~ /seg-[0-9]+\.tsg$/ { r++; win = r; wal = ""; next }
    $3 == "open" && $4 ~ /\.tsg\.tmp$/ { win = 0 }
    $4 ~ /catalog\.sqlite-wal$/ {
        if ($3 ~ /^pwrite/ || $3 == "write") wal = "w"
        else if ($3 ~ /sync$/) { if (wal == "w" && win) { pt[win] = $1; pio[win] = $2 } wal = "s" }
    }
    END { printf "%d %d %d %d %d %d\n", n, nio, pt[1], pio[1], pt[2], pio[2] }' "$1"
}

# Does the object reach tessera's calls?  Not in a static or sanitizer
# build (ASan must come first among the libraries), nor without /proc:
# skipped then.  An index that fails without the object too is a failure.
mkdir -p probe
if ! (cd probe && prep append &&
        sim count 0 log.txt "$T" index -q --db disk/ix "$work/B.jsonl" >out.txt 2>&1 &&
        grep -q ' fsync \| fdatasync ' log.txt && grep -q ' rename ' log.txt); then
    if (cd probe && prep append && "$T" index -q --db disk/ix "$work/B.jsonl" >out.txt 2>&1); then
        skip "LD_PRELOAD does not reach tessera's calls (static or sanitizer build, or no /proc)"
    fi
    tsr_fail "tessera index fails without the simulator: $(head -c 300 probe/out.txt)"
    echo "$passed passed, $failed failed"
    exit 1
fi

for op in create append merge add; do
    mkdir -p "tr-$op"
    (cd "tr-$op" && prep "$op" &&
        sim count 0 log.txt "$T" index -q --db disk/ix "$work/$(op_input $op).jsonl" >out.txt 2>&1)
    st=$?
    set -- $(trace_points "tr-$op/log.txt")
    eval "N_$op=$1 NIO_$op=$2 C_$op=$3 CIO_$op=$4 M_$op=$5 MIO_$op=$6"
    if [ $st -ne 0 ] || [ "$3" = 0 ] || { [ $op = merge ] && [ "$5" = 0 ]; }; then
        tsr_fail "trace of $op: exit $st, events $1, commit point $3, merge point $5" \
            "(tr-$op/log.txt): $(head -c 300 "tr-$op/out.txt")"
    else
        tsr_ok "trace of $op: $1 events ($2 I/O), commit at $3, merge at $5"
    fi
    echo "trace $op: $1 events, $2 of them I/O; commit point at event $3 (I/O $4)," \
        "merge point at $5 (I/O $6)"
done
[ "$failed" = 0 ] || { echo "$passed passed, $failed failed"; exit 1; }

# ---- checks -----------------------------------------------------------------

# look DOCS SEGS PROBE ABSENT_OK: disk/ix holds DOCS documents (and SEGS
# segments, unless -), verify says sound, every document of PROBE.jsonl
# (none if empty) is found by check under its id.  ABSENT_OK=1: nothing was
# committed, so no index is fine too: no folder, no catalog, an empty one,
# or one that a reader cannot open because SQLite's rollback journal of its
# first transaction (the switch to WAL) is back (unlinked, not synced): the
# next writer rolls it back.  Reasons go to $why; v.txt keeps verify's lines.
look() {
    : >v.txt
    if [ "$4" = 1 ] && [ ! -d disk/ix ]; then
        absent=$((absent + 1))
        return
    fi
    if ! tsr stats --db disk/ix --json >st.json 2>st.err; then
        if [ "$4" = 1 ] && grep -q 'no catalog.sqlite\|empty database\|readonly database' st.err
        then
            absent=$((absent + 1))
        else
            why="$why stats failed: $(head -c 200 st.err);"
        fi
        return
    fi
    _got=$(sed -n 's/.*"documents":\([0-9]*\).*/\1/p' st.json)
    [ "$_got" = "$1" ] || why="$why $_got documents, wanted $1;"
    if [ "$2" != - ]; then
        _gs=$(sed -n 's/.*"segments":\([0-9]*\).*/\1/p' st.json)
        [ "$_gs" = "$2" ] || why="$why $_gs segments, wanted $2;"
    fi
    tsr verify --db disk/ix >v.txt 2>&1 ||
        why="$why verify: $(grep -v '^ok' v.txt | head -c 300);"
    [ -n "$3" ] && [ "$1" != 0 ] && found "$work/$3.jsonl"
}

# found PROBE: each record of PROBE, checked against disk/ix, finds itself
found() {
    if ! tsr check --db disk/ix --jsonl "$1" --json >chk.out 2>chk.err; then
        why="$why check --jsonl failed: $(head -c 200 chk.err);"
        return
    fi
    _miss=$(awk '{ id = $0; sub(/^\{"id":"/, "", id); sub(/".*/, "", id)
                   if (index($0, "\"source\":{\"id\":\"" id "\"") == 0) printf "%s ", id }' chk.out)
    [ -z "$_miss" ] || why="$why not found: $_miss;"
    [ "$(wc -l <chk.out)" = "$(wc -l <"$1")" ] || why="$why check wrote $(wc -l <chk.out) lines;"
}

# orphans: segment or temporary files in disk/ix that verify (run by look)
# did not report as listed
orphans() {
    for _f in $(ls disk/ix 2>/dev/null | grep '^seg-'); do
        grep -q "^ok  *$_f\$" v.txt || printf '%s ' "$_f"
    done
}

# next_writer OP: the next `tessera index` of OP's batch must end with every
# document (counted), verify sound and no orphan file
next_writer() {
    tsr index -q --db disk/ix "$work/$(op_input "$1").jsonl" >next.txt 2>&1
    _st=$?
    [ $_st -eq 0 ] || why="$why next writer: exit $_st: $(head -c 200 next.txt);"
    look "$(op_after "$1")" - "" 0
    _o=$(orphans)
    [ -z "$_o" ] || why="$why orphans after the next writer: $_o;"
}

# expect OP K C M: documents, segments and probe expected after a crash
# before event K of OP (C and M its commit and merge points)
expect() {
    if [ "$2" -gt "$3" ]; then
        e_docs=$(op_after "$1") e_probe=$(op_pafter "$1") e_absent=0
    else
        e_docs=$(op_before "$1") e_probe=$(op_pbefore "$1") e_absent=0
        [ "$1" = create ] && e_absent=1
    fi
    e_segs=-
    if [ "$1" = merge ]; then
        if [ "$2" -le "$3" ]; then e_segs=3; elif [ "$2" -le "$4" ]; then e_segs=4; else e_segs=1; fi
    fi
}

# ---- the cases --------------------------------------------------------------

# crash OP K: power loss before event K of OP
case_crash() {
    prep "$1" || { why="prep failed"; return; }
    sim crash "$2" log.txt "$T" index -q --db disk/ix "$work/$(op_input "$1").jsonl" >out.txt 2>&1
    _st=$?
    [ $_st -eq 137 ] || why="$why exit $_st, wanted 137 (killed at the event);"
    "$cs" restore disk img || why="$why restore failed;"
    eval "_c=\$C_$1 _m=\$M_$1"
    expect "$1" "$2" "$_c" "$_m"
    look "$e_docs" "$e_segs" "$e_probe" "$e_absent"
    next_writer "$1"
}

# kill OP K: killed before event K (power kept), run again to the end, then
# power loss: the completed run's documents survive
case_kill() {
    prep "$1" || { why="prep failed"; return; }
    _in=$work/$(op_input "$1").jsonl
    sim crash "$2" log.txt "$T" index -q --db disk/ix "$_in" >out.txt 2>&1
    _st=$?
    [ $_st -eq 137 ] || why="$why exit $_st, wanted 137 (killed at the event);"
    tsr index -q --db disk/ix "$_in" >out2.txt 2>&1
    _st=$?
    [ $_st -eq 0 ] || why="$why second run: exit $_st: $(head -c 200 out2.txt);"
    "$cs" restore disk img || why="$why restore failed;"
    look "$(op_after "$1")" - "$(op_pafter "$1")" 0
}

# fault MODE STICKY K: I/O event K of the merge run fails with MODE (enospc,
# eio), and every later one too when STICKY=1
case_fault() {
    prep merge || { why="prep failed"; return; }
    sticky=$2
    sim "$1" "$3" log.txt "$T" index -q --db disk/ix "$work/D.jsonl" >out.txt 2>&1
    _st=$?
    sticky=0
    # the commit is durable (the message says so, or exit 0), or not, or
    # its outcome is unknown (its WAL sync failed: SQLite may still apply
    # it at the next open; then all of the batch or none)
    _durable=0
    grep -q 'is durable' out.txt && _durable=1
    grep -q 'commit failed: outcome unknown' out.txt && _durable=u
    case $1 in
    # SQLite names a failed sync or shared-memory write "disk I/O error"
    # whatever the errno
    enospc) _text='No space left on device\|disk is full\|disk I/O error' ;;
    *) _text='Input/output error\|disk I/O error' ;;
    esac
    case $_st in
    0) _durable=1 ;;
    5) grep -q "$_text" out.txt || why="$why exit 5 without the error's text: $(head -c 200 out.txt);" ;;
    *) why="$why exit $_st, wanted 5 (or 0): $(head -c 200 out.txt);" ;;
    esac
    # a fault after the commit point cannot undo the commit
    [ "$3" -gt "$CIO_merge" ] && [ $_durable != 1 ] &&
        why="$why fault after the commit point (I/O $CIO_merge) but the commit is not reported durable;"
    if [ $_durable = u ]; then
        unknown=$((unknown + 1))
        _n=$(tsr stats --db disk/ix --json 2>/dev/null | sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
        if [ "$_n" = 48 ]; then _durable=1; else _durable=0; fi
    fi
    if [ $_durable = 1 ]; then
        look 48 - "" 0
    else
        look 36 3 "" 0
    fi
    _o=$(orphans)
    [ -n "$_o" ] && echo "$_o" >>"$work/orphans.txt"
    next_writer merge
    "$cs" restore disk img || why="$why restore failed;"
    look 48 - ABCD 0
}

# run_case LINE: one case ("crash OP K", "kill OP K", "fault MODE STICKY K")
run_case() {
    why=""
    set -- $1
    _name="$*"
    case $1 in
    crash) case_crash "$2" "$3" ;;
    kill) case_kill "$2" "$3" ;;
    fault) case_fault "$2" "$3" "$4" ;;
    esac
    if [ -z "$why" ]; then
        echo "ok   $_name"
    else
        echo "FAIL $_name (seed $seed):$why"
        # what it did, for TSR_KEEP=1
        _keep=$work/fail-$(echo "$_name" | tr ' ' '-')
        mkdir -p "$_keep" && cp -R ./*.txt ./*.log disk "$_keep" 2>/dev/null
    fi
}

# sample N M SALT: M distinct numbers of 1..N (all of them when M >= N),
# drawn from the seed, in increasing order
sample() {
    awk -v n="$1" -v m="$2" -v s="$seed" -v salt="$3" 'BEGIN {
        srand(s * 7919 + salt)
        for (i = 1; i <= n; i++) a[i] = i
        if (m > n) m = n
        for (i = 1; i <= m; i++) {
            j = i + int(rand() * (n - i + 1)); t = a[i]; a[i] = a[j]; a[j] = t
        }
        for (i = 1; i <= m; i++) print a[i]
    }' | sort -n
}

: >cases.txt
salt=0
for op in create append merge add; do
    salt=$((salt + 1))
    eval "_n=\$N_$op"
    for k in $(sample "$_n" "$ncrash" $salt); do echo "crash $op $k"; done >>cases.txt
done
# create: its first 8 events (the folder, its entry in the parent, the lock,
# the catalog) and more drawn from the rest
k=1
while [ $k -le 8 ]; do echo "kill create $k"; k=$((k + 1)); done >>cases.txt
for k in $(sample $((N_create - 8)) $((nkill - 8)) 10); do
    echo "kill create $((k + 8))"
done >>cases.txt
salt=10
for op in append merge add; do
    salt=$((salt + 1))
    eval "_n=\$N_$op"
    for k in $(sample "$_n" "$nkill" $salt); do echo "kill $op $k"; done >>cases.txt
done
k=1
while [ $k -le "$NIO_merge" ]; do
    echo "fault enospc 1 $k"
    echo "fault eio 0 $k"
    k=$((k + 1))
done >>cases.txt
: >orphans.txt
if [ -n "${TSR_PL_ONLY:-}" ]; then
    grep -x "$TSR_PL_ONLY" cases.txt >only.txt
    mv only.txt cases.txt
fi

# two workers, each with its own folder, take every other case
absent=0
unknown=0
for w in 0 1; do
    mkdir -p "w$w"
    (
        cd "w$w" || exit 1
        awk -v w=$w 'NR % 2 == w' "$work/cases.txt" >mine.txt
        while read -r line; do
            run_case "$line" </dev/null
        done <mine.txt
        echo "absent $absent" >absent.txt
        echo "unknown $unknown" >unknown.txt
    ) >"w$w.out" 2>&1 &
done
wait

for w in 0 1; do
    grep '^FAIL' "w$w.out"
    [ "$verbose" = 1 ] && grep '^ok' "w$w.out"
    passed=$((passed + $(grep -c '^ok' "w$w.out")))
    failed=$((failed + $(grep -c '^FAIL' "w$w.out")))
    # a worker that died says less than it should
    _lines=$(grep -c '^ok\|^FAIL' "w$w.out")
    _want=$(awk -v w=$w 'NR % 2 == w' cases.txt | wc -l)
    [ "$_lines" = "$_want" ] || tsr_fail "worker $w reported $_lines of $_want cases: $(tail -n 3 "w$w.out")"
done
ncr=$(grep -c '^crash' cases.txt)
nki=$(grep -c '^kill' cases.txt)
nfa=$(grep -c '^fault' cases.txt)
echo "powerloss: $ncr power losses and $nki kills followed by a power loss" \
    "(create $N_create events, append $N_append, merge $N_merge, add $N_add);" \
    "$nfa faults (ENOSPC and EIO at each of the merge run's $NIO_merge I/O events)," \
    "$(wc -l <orphans.txt) of which left orphan files and" \
    "$(cat w0/unknown.txt w1/unknown.txt 2>/dev/null | awk '{ s += $2 } END { print s + 0 }')" \
    "a commit of unknown outcome (a failed WAL sync);" \
    "crashes before create's commit left no index $(cat w0/absent.txt w1/absent.txt 2>/dev/null |
        awk '{ s += $2 } END { print s + 0 }') times; $(( $(date +%s) - t0 )) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
