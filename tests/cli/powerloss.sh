#!/bin/sh
# tests/cli/powerloss.sh - power loss and disk errors in the index writer
# (`tessera index`, and adds through `tessera serve`'s API).
#
#   sh tests/cli/powerloss.sh [SEED] [--verbose]
#
# How it works.  tests/tools/crashsim.c, built here as an LD_PRELOAD object
# (and as a tool), counts the calls of `tessera index` (or `tessera serve`)
# that change files under a directory disk/ (opens for writing, writes,
# syncs, renames, unlinks, closes) and keeps an image of what is durable:
# each file as of its last fsync/fdatasync, each directory's names as of
# its last fsync (crashsim.c explains the model).  At event K it kills the
# process (SIGKILL), or makes the call fail with ENOSPC or EIO.  `crashsim
# restore` then turns disk/ into what survives a power loss: unsynced
# writes and unsynced names are gone.
#
# Five operations, each from a copy of a baseline taken as durable (a
# 72-document corpus with planted reuse, batches of 12 documents):
#
#   create  a new index of batch A (mkdir, catalog, first commit)
#   append  batch B onto an index of A (one commit)
#   merge   batch D onto an index of A, B, C (3 segments): one commit,
#           then the automatic merge of the 4 segments into 1
#   add     2 documents onto the merged index of A-D: a small batch (a
#           writer per add)
#   api     `tessera serve` on the merged index of A-D, under the object,
#           taking two adds through POST /api/documents (E, 2 documents,
#           then F, 2 more, through the writer the first one left open),
#           then stopped by SIGTERM
#
# One traced run of each counts its events and finds its commit point: the
# WAL sync that ends the catalog transaction of the commit (and, for merge,
# of the merge; for api, of the second add); for create, whose first commit
# is in SQLite's rollback journal, the directory's sync after the journal's
# unlink.  Every process that touches
# disk/ afterwards, readers included, runs under the object (in its count
# mode) so that the image follows it.  Then:
#
#   1. Power loss (50 per operation, K drawn from the seed over all events
#      of the run): crash before event K, restore, and the index must be as
#      of the last completed commit: for K after the commit point every
#      document of the batch, before it none; verify sound; every expected
#      document found by `check --jsonl` under its id; for merge the number
#      of segments (3, 4 after the commit, 1 after the merge).  A crash
#      during create before its commit may leave no index: no folder, no
#      catalog, an empty one, or one with a hot rollback journal (that the
#      reader, which may write the file here, rolls back first).  After the
#      commit, a crash in the switch to WAL leaves a hot journal too: the
#      readers roll it back and find every document (red before they did:
#      "attempt to write a readonly database").  Then the next writer
#      (`tessera index` of the same batch) must end with every document,
#      verify sound and no segment file that the catalog does not list.
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
#   3b. Disk errors in create (its first commit in SQLite's rollback
#      journal): ENOSPC from K on and EIO at K, for I/O events K drawn from
#      its run (TSR_PL_CREATE_FAULTS, default 20, of each): the same exit
#      codes and messages; the batch there exactly when the run says it is
#      durable (and always after the commit point), else no index or an
#      empty one; the next writer ends with every document, and a power
#      loss after it keeps them.
#
#   4. The server (api; the client is curl, else python3; skipped with a
#      message when there is neither): power loss before event K (50, K
#      drawn over the events of its traced run: startup, both adds, the
#      writer's close at SIGTERM).  Every add answered 201 must be there
#      after the restore, each batch whole or absent (F never without E),
#      and when the run's events were the trace's up to K, exactly the
#      batches whose commit point precedes K; verify sound, every document
#      found; then the next writer (E and F by `tessera index`) ends with
#      every document and no orphan file.
#   5. Disk errors at every I/O event of the server's first add (from its
#      readiness to its answer: the writer's open, the segment, the
#      catalog's commit): ENOSPC from K on and EIO at K.  The first add's
#      answer: 201 (all added), 507 (ENOSPC only: the message names the
#      full disk, nothing added), 500 (the index failed; no server path in
#      the body; on a full disk only for a failed WAL sync, whose outcome
#      is unknown); 201 whenever K follows the commit point.  The second
#      add: 201 after a single EIO, never on a full disk.  The server exits
#      0 at SIGTERM; the index as of its last commit (each batch there
#      exactly when its add answered 201, whole or absent when the outcome
#      is unknown), verify sound; the next writer (power kept) ends with
#      every document and no orphan file, and a power loss after it keeps
#      them all.
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
# (per operation, default 20), TSR_PL_CREATE_FAULTS (create's I/O events
# that fail, each with ENOSPC and EIO, default 20), TSR_PL_API_CRASHES
# (the server's power losses, default 50), TSR_PL_ONLY (a pattern, grep -x:
# only the cases it matches, e.g. 'fault eio 0 60', 'crash api 30',
# 'createfault enospc 1 70', 'apifault enospc 1 38'; TSR_KEEP=1 keeps the
# folder).
# Ends with "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/powerloss_lib.sh"
tsr_seed_args "$@"
ncrash=${TSR_PL_CRASHES:-50}
nkill=${TSR_PL_KILLS:-20}

# ---- the simulator (powerloss_lib.sh: sim, tsr, skip) ----------------------

pl_setup powerloss.sh powerloss

# ---- corpus and baselines --------------------------------------------------

pl_corpus 72
sed -n 49,50p corpus.jsonl >E.jsonl
cat A.jsonl B.jsonl >AB.jsonl
cat A.jsonl B.jsonl C.jsonl >ABC.jsonl
cat ABC.jsonl D.jsonl >ABCD.jsonl
cat ABCD.jsonl E.jsonl >ABCDE.jsonl
# the API cases: E then F, two requests
sed -n 51,52p corpus.jsonl >F.jsonl
cat E.jsonl F.jsonl >EF.jsonl
cat ABCDE.jsonl F.jsonl >ABCDEF.jsonl
cat ABCD.jsonl F.jsonl >ABCDF.jsonl

# A baseline is a folder whose copy becomes disk/ (with ix/ the index).
mkdir -p base/create base/append base/merge base/add
setup_ok=1
for f in A; do "$T" index -q --db base/append/ix $f.jsonl || setup_ok=0; done
for f in A B C; do "$T" index -q --db base/merge/ix $f.jsonl || setup_ok=0; done
for f in A B C D; do "$T" index -q --db base/add/ix $f.jsonl || setup_ok=0; done
if [ "$setup_ok" = 1 ] && [ "$(stat_of base/merge/ix segments)" = 3 ] && [ "$(stat_of base/add/ix segments)" = 1 ]; then
    tsr_ok "baselines (3 segments, then merged into 1)"
else
    tsr_fail "baselines: index exit codes or segment counts ($(stat_of base/merge/ix segments)," \
        "$(stat_of base/add/ix segments)) not 3 and 1: has the merge policy changed?"
    echo "$passed passed, $failed failed"
    exit 1
fi

# prep OP: disk/ := a copy of OP's baseline, all of it durable; the logs
# of the last case removed
prep() {
    rm -rf disk img ./*.log log*.txt out*.txt next.txt r[12].* srv.*
    cp -R "$work/base/$1" disk && "$cs" init disk img
}

# The operations: input, documents before and after the commit, probe files
# of the documents before and after (all must be found), segments before,
# after the commit, after the merge.
# (api: the server's two requests, E then F, onto add's baseline; its next
# writer indexes both.)
# op_vars OP sets them: o_input, o_before, o_after, o_pbefore, o_pafter
# (variables, not functions echoing them: a $(...) is a process).
op_vars() {
    case $1 in
    create) o_input=A o_before=0 o_after=12 o_pbefore="" o_pafter=A ;;
    append) o_input=B o_before=12 o_after=24 o_pbefore=A o_pafter=AB ;;
    merge) o_input=D o_before=36 o_after=48 o_pbefore=ABC o_pafter=ABCD ;;
    add) o_input=E o_before=48 o_after=50 o_pbefore=ABCD o_pafter=ABCDE ;;
    api) o_input=EF o_before=48 o_after=52 o_pbefore=ABCD o_pafter=ABCDEF ;;
    esac
}

# ---- traces: events and commit points --------------------------------------

# trace_points LOG: "N NIO C CIO M MIO": the events, the I/O events, and the
# commit points (event and I/O event numbers) of the first and the second
# segment placed (the second: a merge; 0 if none).  A commit point is the
# WAL sync that ends the catalog transaction after the segment's rename:
# the last WAL sync that follows a WAL write, before the next segment file
# is opened.  A new catalog's first commit is in the rollback journal
# (lib/catalog.c): its commit point is the directory's sync after the
# journal's unlink, the first one after the segment's rename (a later one
# ends the switch to WAL).
trace_points() {
    awk '
    $1 == "fault" { next }
    { n = $1; if ($2 != "-") nio = $2 }
    $3 == "rename" && $4 ~ /seg-[0-9]+\.tsg$/ { r++; win = r; wal = ""; jn = 0; next }
    $3 == "open" && $4 ~ /\.tsg\.tmp$/ { win = 0 }
    $3 == "unlink" && $4 ~ /catalog\.sqlite-journal$/ { jn = win; next }
    jn && $3 ~ /sync$/ { if (!pt[jn]) { pt[jn] = $1; pio[jn] = $2 } jn = 0; next }
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
        op_vars $op && sim count 0 log.txt "$T" index -q --db disk/ix "$work/$o_input.jsonl" >out.txt 2>&1)
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

# ---- the server: API adds ---------------------------------------------------
#
# `tessera serve` under the object, one worker, no timed refresh (so that its
# events come in the same order every run: the startup's reader, then each
# add's writer, commit and refresh, then the writer's close at SIGTERM), and
# a client (curl, else python3) that sends it two adds: E, then F (the
# writer of the first kept open for the second).  The trace gives the
# events, the commit points of the two adds (the "commit" and "merge" points
# of trace_points: the first and the second segment placed) and the I/O
# events of the first add (from the server's readiness to its answer).

printf 'powerloss-key-%s\n' "$$" >key && chmod 600 key
apikey=$(cat key)
if command -v curl >/dev/null 2>&1; then
    client=curl
elif command -v python3 >/dev/null 2>&1; then
    client=python3
    cat >post.py <<'PY'
import sys, urllib.request, urllib.error
port, key, path, out = sys.argv[1:5]
req = urllib.request.Request("http://127.0.0.1:%s/api/documents" % port, data=open(path, "rb").read(),
                             headers={"X-API-Key": key, "Content-Type": "application/x-ndjson"})
code, hdr, body = "000", "", b""
try:
    r = urllib.request.urlopen(req, timeout=30)
    code, hdr, body = str(r.status), str(r.headers), r.read()
except urllib.error.HTTPError as e:
    code, hdr, body = str(e.code), str(e.headers), e.read()
except Exception:
    pass
open(out + ".json", "wb").write(body)
open(out + ".hdr", "w").write(hdr)
open(out + ".code", "w").write(code)
PY
else
    client=""
fi

# alive PID: the process runs (not a zombie)
alive() {
    { read -r _stat </proc/"$1"/stat; } 2>/dev/null || return 1
    case $_stat in *") Z "* | *") X "*) return 1 ;; esac
    return 0
}

# serve MODE K: `tessera serve` on disk/ix under the simulator (MODE and K
# as for sim, $sticky too), in the background as $srv; 0 once it serves
# ($port set), 1 if it died first.  Its log goes to srv.err.
serve() {
    : >srv.err
    port=""
    (exec env LD_PRELOAD="$so" CRASHSIM_ROOT="$PWD/disk" CRASHSIM_IMAGE="$PWD/img" \
        CRASHSIM_MODE="$1" CRASHSIM_AT="$2" CRASHSIM_STICKY="${sticky:-0}" \
        CRASHSIM_LOG="$PWD/log.txt" "$T" serve --db disk/ix --listen 127.0.0.1:0 \
        --api-key-file "$work/key" --threads 1 --quiet --refresh 0 \
        </dev/null >srv.out 2>srv.err) &
    srv=$!
    _i=0
    while [ $_i -lt 2000 ]; do
        port=$(sed -n 's|.* on http://127\.0\.0\.1:\([0-9][0-9]*\)/.*|\1|p' srv.err)
        [ -n "$port" ] && return 0
        alive "$srv" || return 1
        sleep 0.01
        _i=$((_i + 1))
    done
    return 1
}

# unserve: SIGTERM to the server, and its exit status in $srv_st (137 when
# the simulator killed it); SIGKILL after 20 s
unserve() {
    kill -TERM "$srv" 2>/dev/null
    _i=0
    while alive "$srv" && [ $_i -lt 2000 ]; do
        sleep 0.01
        _i=$((_i + 1))
    done
    kill -KILL "$srv" 2>/dev/null
    wait "$srv"
    srv_st=$?
    srv=""
}

# post N FILE: FILE's JSON Lines added through the API as request N: the
# status in rN.code (000: no answer), the body in rN.json, headers in rN.hdr
post() {
    echo 000 >"r$1.code"
    : >"r$1.json"
    : >"r$1.hdr"
    [ -n "$port" ] || return 0
    if [ "$client" = curl ]; then
        curl -s -m 30 -o "r$1.json" -D "r$1.hdr" -w '%{http_code}' -H "X-API-Key: $apikey" \
            -H 'Content-Type: application/x-ndjson' --data-binary "@$2" \
            "http://127.0.0.1:$port/api/documents" >"r$1.code" 2>/dev/null
    else
        python3 "$work/post.py" "$port" "$apikey" "$2" "r$1"
    fi
}

# io_at LOG L: the number of the last I/O event among the first L lines
io_at() {
    awk -v l="$2" 'NR > l { exit } $1 != "fault" && $2 != "-" { io = $2 } END { print io + 0 }' "$1"
}

api=0
if [ -z "$client" ]; then
    echo "powerloss.sh: API cases SKIPPED: neither curl nor python3"
else
    mkdir -p tr-api
    (
        cd tr-api && prep add || exit 1
        serve count 0 || { unserve; echo "server did not start: $(head -c 300 srv.err)" >out.txt; exit 1; }
        L0=$(wc -l <log.txt)
        post 1 "$work/E.jsonl"
        L1=$(wc -l <log.txt)
        post 2 "$work/F.jsonl"
        unserve
        echo "$L0 $L1 $(cat r1.code) $(cat r2.code) $srv_st" >points.txt
        cat r1.json r2.json srv.err >out.txt
        n=$(tsr stats --db disk/ix --json 2>/dev/null | sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
        echo "$n" >docs.txt
    )
    read -r L0 L1 c1 c2 st <tr-api/points.txt 2>/dev/null || { L0=0 L1=0 c1=- c2=- st=-; }
    set -- $(trace_points tr-api/log.txt)
    N_api=$1 NIO_api=$2 C_api=$3 CIO_api=$4 M_api=$5 MIO_api=$6
    R0_api=$(io_at tr-api/log.txt "$L0")
    R1_api=$(io_at tr-api/log.txt "$L1")
    if [ "$c1 $c2 $st" != "201 201 0" ] || [ "$(cat tr-api/docs.txt)" != 52 ] || [ "$C_api" = 0 ] ||
        [ "$M_api" = 0 ] || [ "$C_api" -gt "$L1" ] || [ "$R1_api" -le "$R0_api" ]; then
        tsr_fail "trace of api: answers $c1 $c2, exit $st, $(cat tr-api/docs.txt) documents," \
            "events $N_api, commit points $C_api and $M_api, first answer after $L1" \
            "(tr-api/log.txt): $(head -c 300 tr-api/out.txt)"
    else
        api=1
        tsr_ok "trace of api: $N_api events ($NIO_api I/O), commits at $C_api and $M_api"
    fi
    echo "trace api: $N_api events, $NIO_api of them I/O; ready after event $L0 (I/O $R0_api);" \
        "commit points at events $C_api (I/O $CIO_api) and $M_api (I/O $MIO_api);" \
        "first answer after event $L1 (I/O $R1_api)"
fi
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
        if [ "$4" = 1 ] && grep -q 'no catalog.sqlite\|no index yet\|empty database\|readonly database' st.err
        then
            absent=$((absent + 1))
        else
            why="$why stats failed: $(head -c 200 st.err);"
        fi
        return
    fi
    json_num st.json documents
    [ "$_jn" = "$1" ] || why="$why $_jn documents, wanted $1;"
    if [ "$2" != - ]; then
        json_num st.json segments
        [ "$_jn" = "$2" ] || why="$why $_jn segments, wanted $2;"
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
    self_found "$1" chk.out
    [ -z "$_miss" ] || why="$why not found: $_miss;"
    [ "$_lines" = "$_want" ] || why="$why check wrote $_lines lines;"
}

# orphans (powerloss_lib.sh): segment or temporary files in disk/ix that
# verify (run by look) did not report as listed

# next_writer OP: the next `tessera index` of OP's batch must end with every
# document (counted), verify sound and no orphan file
next_writer() {
    op_vars "$1"
    tsr index -q --db disk/ix "$work/$o_input.jsonl" >next.txt 2>&1
    _st=$?
    [ $_st -eq 0 ] || why="$why next writer: exit $_st: $(head -c 200 next.txt);"
    look "$o_after" - "" 0
    _o=$(orphans)
    [ -z "$_o" ] || why="$why orphans after the next writer: $_o;"
}

# expect OP K C M: documents, segments and probe expected after a crash
# before event K of OP (C and M its commit and merge points)
expect() {
    if [ "$2" -gt "$3" ]; then
        e_docs=$o_after e_probe=$o_pafter e_absent=0
    else
        e_docs=$o_before e_probe=$o_pbefore e_absent=0
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
    op_vars "$1"
    sim crash "$2" log.txt "$T" index -q --db disk/ix "$work/$o_input.jsonl" >out.txt 2>&1
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
    op_vars "$1"
    _in=$work/$o_input.jsonl
    sim crash "$2" log.txt "$T" index -q --db disk/ix "$_in" >out.txt 2>&1
    _st=$?
    [ $_st -eq 137 ] || why="$why exit $_st, wanted 137 (killed at the event);"
    tsr index -q --db disk/ix "$_in" >out2.txt 2>&1
    _st=$?
    [ $_st -eq 0 ] || why="$why second run: exit $_st: $(head -c 200 out2.txt);"
    "$cs" restore disk img || why="$why restore failed;"
    look "$o_after" - "$o_pafter" 0
}

# fault_run OP MODE STICKY K: OP's run with its I/O event K failing with
# MODE (enospc, eio), and every later one too when STICKY=1; then its
# outcome in _durable: 1 when the commit is durable (the message says so,
# or exit 0), 0 when not; when its outcome is unknown (its WAL sync failed:
# SQLite may still apply it at the next open; or, in create's rollback
# journal, the directory's sync after the journal's unlink failed twice),
# 1 if the index holds all of the batch, else 0 (all or none: look checks)
fault_run() {
    prep "$1" || { why="prep failed"; _durable=0; return; }
    sticky=$3
    op_vars "$1"
    sim "$2" "$4" log.txt "$T" index -q --db disk/ix "$work/$o_input.jsonl" >out.txt 2>&1
    _st=$?
    sticky=0
    _durable=0
    grep -q 'is durable' out.txt && _durable=1
    grep -q 'commit failed: outcome unknown' out.txt && _durable=u
    case $2 in
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
    eval "_cio=\$CIO_$1"
    [ "$4" -gt "$_cio" ] && [ $_durable != 1 ] &&
        why="$why fault after the commit point (I/O $_cio) but the commit is not reported durable;"
    if [ $_durable = u ]; then
        unknown=$((unknown + 1))
        tsr stats --db disk/ix --json >st.json 2>/dev/null || : >st.json
        json_num st.json documents
        if [ "$_jn" = "$o_after" ]; then _durable=1; else _durable=0; fi
    fi
}

# fault MODE STICKY K: I/O event K of the merge run fails with MODE (enospc,
# eio), and every later one too when STICKY=1
case_fault() {
    fault_run merge "$1" "$2" "$3"
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

# createfault MODE STICKY K: the same for I/O event K of the create run, a
# new index whose first commit is in SQLite's rollback journal: the batch
# there exactly when the run says it is durable, else no index or an empty
# one; the next writer ends with every document, and a power loss after
# it keeps them
case_create_fault() {
    fault_run create "$1" "$2" "$3"
    if [ $_durable = 1 ]; then
        look 12 - "" 0
    else
        look 0 - "" 1
    fi
    next_writer create
    "$cs" restore disk img || why="$why restore failed;"
    look 12 - A 0
}

# present_ef: _ne and _nf, how many documents of E and of F, checked
# against disk/ix (one check of EF.jsonl, whose lines it answers in order),
# find themselves (their id as a source)
present_ef() {
    tsr check --db disk/ix --jsonl "$work/EF.jsonl" --json >ef.out 2>/dev/null
    set -- $(awk '{ id = $0; sub(/^\{"id":"/, "", id); sub(/".*/, "", id)
                    f = index($0, "\"source\":{\"id\":\"" id "\"") > 0
                    if (NR <= 2) e += f; else g += f } END { print e + 0, g + 0 }' ef.out)
    _ne=$1 _nf=$2
}

# probe_of NE NF: the probe file of ABCD with E and F when present (2)
probe_of() {
    _p=ABCD
    [ "$1" = 2 ] && _p=${_p}E
    [ "$2" = 2 ] && _p=${_p}F
    echo "$_p"
}

# crash api K: power loss before event K of a server that takes two adds
# (E, then F); every add answered 201 must be there, each batch whole or
# absent, and, when the run's events are the trace's up to K, exactly the
# batches whose commit point precedes K
case_api_crash() {
    prep add || { why="prep failed"; return; }
    serve crash "$1"
    post 1 "$work/E.jsonl"
    post 2 "$work/F.jsonl"
    unserve
    [ "$srv_st" -eq 137 ] || why="$why server exit $srv_st, wanted 137 (killed at the event);"
    _c1=$(cat r1.code) _c2=$(cat r2.code)
    case "$_c1 $_c2" in
    "000 000" | "201 000" | "201 201") ;;
    *) why="$why answers $_c1 $_c2 (wanted 201 or none, in order): $(head -c 200 r1.json r2.json);" ;;
    esac
    "$cs" restore disk img || why="$why restore failed;"
    _k=$(($1 - 1))
    head -n "$_k" "$work/tr-api/log.txt" >exp.log
    grep -v '^fault' log.txt | head -n "$_k" >got.log
    present_ef
    case "$_ne $_nf" in
    "0 0" | "2 0" | "2 2") ;;
    *) why="$why documents of E and F found: $_ne and $_nf (a batch in part, or F without E);" ;;
    esac
    if cmp -s exp.log got.log; then
        _we=0 _wf=0
        [ "$1" -gt "$C_api" ] && _we=2
        [ "$1" -gt "$M_api" ] && _wf=2
        [ "$_ne $_nf" = "$_we $_wf" ] ||
            why="$why found $_ne of E and $_nf of F, wanted $_we and $_wf (commit points $C_api, $M_api);"
    else
        diverged=$((diverged + 1))
    fi
    echo "$_c1 $_c2 $_ne $_nf" >>"$work/apicrash.txt"
    [ "$_c1" = 201 ] && [ "$_ne" != 2 ] && why="$why the first add answered 201 but is lost;"
    [ "$_c2" = 201 ] && [ "$_nf" != 2 ] && why="$why the second add answered 201 but is lost;"
    look $((48 + _ne + _nf)) - "$(probe_of "$_ne" "$_nf")" 0
    next_writer api
}

# api_answer N MODE UNKNOWN: request N's answer under a fault MODE: 201
# (all added; a warning in the body comes with its header), 507 (ENOSPC:
# nothing added; the message names the full disk), 500 (the index failed; no server path in the body);
# sets _d: 2 (its batch must be there), 0 (must not), u (either: a commit
# of unknown outcome, UNKNOWN=1)
api_answer() {
    _code=$(cat "r$1.code")
    _d=0
    case $_code in
    201)
        _d=2
        grep -q '"added":2' "r$1.json" || why="$why request $1: 201 without added 2: $(head -c 200 "r$1.json");"
        if grep -q '"warning"' "r$1.json" && ! grep -qi '^Warning: 199' "r$1.hdr"; then
            why="$why request $1: a warning without its header;"
        fi
        ;;
    507)
        [ "$2" = enospc ] || why="$why request $1: 507 for $2;"
        grep -q 'disk is full\|no space left' "r$1.json" || why="$why request $1: 507 that does not name the full disk: $(head -c 200 "r$1.json");"
        ;;
    500)
        [ "$3" = 1 ] && _d=u
        # on a full disk only a failed sync, whose outcome is unknown
        [ "$2" = enospc ] && [ "$3" != 1 ] && why="$why request $1: 500 on a full disk: $(head -c 200 "r$1.json");"
        ;;
    *) why="$why request $1: status $_code: $(head -c 200 "r$1.json");" ;;
    esac
    case $_code in
    5*) grep -q "disk/ix\|seg-0\|catalog\.sqlite\|$work" "r$1.json" &&
            why="$why request $1: a server path in the answer: $(head -c 200 "r$1.json");" ;;
    esac
}

# apifault MODE STICKY K: the first add's I/O event K (counted in the whole
# server run) fails with MODE, and every later one too when STICKY=1; the
# second add comes after it
case_api_fault() {
    prep add || { why="prep failed"; return; }
    sticky=$2
    serve "$1" "$3" || why="$why server did not start: $(head -c 200 srv.err);"
    sticky=0
    post 1 "$work/E.jsonl"
    post 2 "$work/F.jsonl"
    unserve
    [ "$srv_st" -eq 0 ] || why="$why server exit $srv_st, wanted 0: $(tail -c 200 srv.err);"
    _u=0
    grep -q 'outcome unknown' srv.err && _u=1
    api_answer 1 "$1" $_u
    _d1=$_d
    api_answer 2 "$1" $_u
    _d2=$_d
    # a fault after the first add's commit point cannot undo it; after an
    # EIO the disk works again, and the second add must succeed; on a disk
    # that stays full it must fail
    [ "$3" -gt "$CIO_api" ] && [ "$_d1" != 2 ] && why="$why fault after the commit point (I/O $CIO_api) but not 201;"
    [ "$1" = eio ] && [ "$_d2" != 2 ] && why="$why the second add after a single EIO: $(cat r2.code);"
    [ "$1" = enospc ] && [ "$_d2" = 2 ] && why="$why the second add succeeded on a full disk;"
    echo "$1 $(cat r1.code) $(cat r2.code) $_u" >>"$work/apicodes.txt"
    present_ef
    case "$_d1:$_ne" in
    2:2 | 0:0 | u:0 | u:2) ;;
    *) why="$why first add answered $(cat r1.code), $_ne of its 2 documents there;" ;;
    esac
    case "$_d2:$_nf" in
    2:2 | 0:0 | u:0 | u:2) ;;
    *) why="$why second add answered $(cat r2.code), $_nf of its 2 documents there;" ;;
    esac
    look $((48 + _ne + _nf)) - "$(probe_of "$_ne" "$_nf")" 0
    _o=$(orphans)
    [ -n "$_o" ] && echo "$_o" >>"$work/orphans-api.txt"
    next_writer api
    "$cs" restore disk img || why="$why restore failed;"
    look 52 - ABCDEF 0
}

# run_case LINE: one case ("crash OP K", "kill OP K", "fault MODE STICKY K",
# "crash api K", "apifault MODE STICKY K")
run_case() {
    why=""
    set -- $1
    _name="$*"
    case $1 in
    crash) if [ "$2" = api ]; then case_api_crash "$3"; else case_crash "$2" "$3"; fi ;;
    kill) case_kill "$2" "$3" ;;
    fault) case_fault "$2" "$3" "$4" ;;
    createfault) case_create_fault "$2" "$3" "$4" ;;
    apifault) case_api_fault "$2" "$3" "$4" ;;
    esac
    if [ -z "$why" ]; then
        echo "ok   $_name"
    else
        echo "FAIL $_name (seed $seed):$why"
        # what it did, for TSR_KEEP=1
        _keep=$work/fail-$(echo "$_name" | tr ' ' '-')
        mkdir -p "$_keep" && cp -R ./*.txt ./*.log r[12].* srv.* disk "$_keep" 2>/dev/null
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
# create's first commit (the rollback journal): ENOSPC and EIO at I/O
# events drawn from its run
for k in $(sample "$NIO_create" "${TSR_PL_CREATE_FAULTS:-20}" 31); do
    echo "createfault enospc 1 $k"
    echo "createfault eio 0 $k"
done >>cases.txt
# the server: power losses at K drawn over its run's events; ENOSPC (from K
# on) and EIO (at K) at each I/O event of its first add, from its readiness
# to its answer (the writer's open, the segment, the catalog's commit)
if [ "$api" = 1 ]; then
    for k in $(sample "$N_api" "${TSR_PL_API_CRASHES:-50}" 21); do echo "crash api $k"; done
    k=$((R0_api + 1))
    while [ $k -le "$R1_api" ]; do
        echo "apifault enospc 1 $k"
        echo "apifault eio 0 $k"
        k=$((k + 1))
    done
fi >>cases.txt
: >orphans.txt
: >orphans-api.txt
: >apicodes.txt
: >apicrash.txt
if [ -n "${TSR_PL_ONLY:-}" ]; then
    grep -x "$TSR_PL_ONLY" cases.txt >only.txt
    mv only.txt cases.txt
fi

# two workers, each with its own folder, take every other case
absent=0
unknown=0
diverged=0
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
        echo "diverged $diverged" >diverged.txt
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
ncr=$(grep '^crash' cases.txt | grep -vc '^crash api ')
nki=$(grep -c '^kill' cases.txt)
nfa=$(grep -c '^fault' cases.txt)
napi=$(grep -c '^crash api ' cases.txt)
nafa=$(grep -c '^apifault' cases.txt)
echo "powerloss: $ncr power losses and $nki kills followed by a power loss" \
    "(create $N_create events, append $N_append, merge $N_merge, add $N_add);" \
    "$nfa faults (ENOSPC and EIO at each of the merge run's $NIO_merge I/O events)" \
    "and $(grep -c '^createfault' cases.txt) at create's (drawn from its $NIO_create)," \
    "$(wc -l <orphans.txt) of which left orphan files and" \
    "$(cat w0/unknown.txt w1/unknown.txt 2>/dev/null | awk '{ s += $2 } END { print s + 0 }')" \
    "a commit of unknown outcome (a failed final sync);" \
    "crashes and faults before create's commit left no index $(cat w0/absent.txt w1/absent.txt 2>/dev/null |
        awk '{ s += $2 } END { print s + 0 }') times; $(( $(date +%s) - t0 )) s"
[ "$api" = 1 ] && echo "powerloss api: $napi power losses of a server taking two adds" \
    "($N_api events, commits at $C_api and $M_api; runs that left the trace's order before" \
    "the crash: $(cat w0/diverged.txt w1/diverged.txt 2>/dev/null | awk '{ s += $2 } END { print s + 0 }'));" \
    "$nafa faults (ENOSPC and EIO at each of the first add's I/O events, $((R0_api + 1))-$R1_api):" \
    "answers of the first/second add: $(awk '{ a[$1 " " $2 "/" $3]++ } END { for (k in a) print k, a[k] }' \
        apicodes.txt | sort | tr '\n' ',' | sed 's/,$//; s/,/, /g');" \
    "$(awk '$4 == 1' apicodes.txt | wc -l) a commit of unknown outcome, $(wc -l <orphans-api.txt) left orphan files;" \
    "the power losses: answers of the first/second add $(awk '{ a[$1 "/" $2]++ } END { for (k in a) print k, a[k] }' \
        apicrash.txt | sort | tr '\n' ',' | sed 's/,$//; s/,/, /g'), batches E/F found after it" \
    "$(awk '{ a[$3 "/" $4]++ } END { for (k in a) print k, a[k] }' apicrash.txt | sort | tr '\n' ',' |
        sed 's/,$//; s/,/, /g')"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
