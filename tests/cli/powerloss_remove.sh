#!/bin/sh
# tests/cli/powerloss_remove.sh - power loss, kills and disk errors in
# `tessera remove --reclaim` (tests/tools/crashsim.c; see powerloss.sh for
# the simulator and its model of a power loss).
#
#   sh tests/cli/powerloss_remove.sh [SEED] [--verbose]
#
# The baseline: 48 documents (batches A-D of 12 documents, merged into one
# segment).  The operation removes batch B's 12 ids with --reclaim: one
# catalog transaction (the removal), then the segment rewritten without
# their postings (a merge: new file, catalog transaction, unlink).  One
# traced run counts its events and finds the two commit points (the WAL
# syncs that end the two transactions).  Then, at every event K:
#
#   1. Power loss before K (crash, restore): 48 documents before the
#      removal's commit point, 36 after; the postings of the baseline until
#      the reclaim's commit point, fewer after; one segment; verify sound;
#      every document of A, C and D found by check under its id; B's found
#      exactly when the removal did not happen.  Then the next run of the
#      same command (power kept) ends with exit 0 (B's ids taken with
#      --force), 36 documents, the fewer postings, verify sound and no
#      orphan segment file.
#   2. Killed before K (power kept), the command run again to its end, then
#      a power loss: 36 documents and the fewer postings survive.
#   3. ENOSPC from the I/O event K on, and EIO at K only: exit 0 or 5 (a
#      system error); 48 or 36 documents, never in between; 36 when exit 0;
#      verify sound; then the next run (power kept) ends as in 1.
#
# Skipped where LD_PRELOAD cannot reach tessera's calls, as powerloss.sh.
# Environment: TESSERA_BIN, DROUNDTRIP_BIN, CC, TMPDIR.
# Ends with "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/powerloss_lib.sh"
tsr_seed_args "$@"
pl_setup powerloss_remove.sh plremove
pl_corpus 48
cat A.jsonl C.jsonl D.jsonl >ACD.jsonl
sed 's/^{"id":"\([^"]*\)".*/\1/' B.jsonl >B.ids
mkdir -p base
for f in A B C D; do "$T" index -q --db base/ix $f.jsonl || break; done
P0=$(stat_of base/ix postings)
if [ "$(stat_of base/ix documents)" = 48 ] && [ "$(stat_of base/ix segments)" = 1 ]; then
    tsr_ok "baseline: 48 documents, 1 segment, $P0 postings"
else
    tsr_fail "baseline: not 48 documents in 1 segment: has the merge policy changed?"
    echo "$passed passed, $failed failed"
    exit 1
fi

prep() {
    rm -rf disk img ./*.log log.txt out*.txt v.txt st.json chk.*
    cp -R "$work/base" disk && "$cs" init disk img
}

# op CMD...: CMD (tessera, under the simulator) running the operation;
# with $force set, B's ids that are gone already are no error
force=""
op() { "$@" remove -q --reclaim ${force:+--force} --db disk/ix --ids-from "$work/B.ids"; }

# the trace: events, I/O events, the removal's and the reclaim's commit
# points (the last WAL sync after a WAL write before the new segment is
# opened; the last one after the segment's rename)
mkdir -p tr && (cd tr && prep && op sim count 0 log.txt "$T" >out.txt 2>&1)
trst=$?
set -- $(awk '
    $1 == "fault" { next }
    { n = $1; if ($2 != "-") nio = $2 }
    $3 == "open" && $4 ~ /\.tsg\.tmp$/ { seg = 1 }
    $3 == "rename" && $4 ~ /seg-[0-9]+\.tsg$/ { ren = 1; wal = ""; next }
    $4 ~ /catalog\.sqlite-wal$/ {
        if ($3 ~ /^pwrite/ || $3 == "write") wal = "w"
        else if ($3 ~ /sync$/) {
            if (wal == "w") { if (!seg) crm = $1; else if (ren) cre = $1 }
            wal = "s"
        }
    }
    END { printf "%d %d %d %d\n", n, nio, crm, cre }' tr/log.txt)
N=$1 NIO=$2 CRM=$3 CRE=$4
P1=$(stat_of tr/disk/ix postings)
if [ $trst -ne 0 ] || [ "$CRM" = 0 ] || [ "$CRE" -le "$CRM" ] || [ "$(stat_of tr/disk/ix documents)" != 36 ] ||
    [ -z "$P1" ] || [ "$P1" -ge "$P0" ]; then
    tsr_fail "trace: exit $trst, $N events, commit points $CRM and $CRE, $(stat_of tr/disk/ix documents)" \
        "documents, postings $P0 -> $P1: $(head -c 300 tr/out.txt)"
    echo "$passed passed, $failed failed"
    exit 1
fi
tsr_ok "trace: $N events ($NIO I/O), removal at $CRM, reclaim at $CRE, postings $P0 -> $P1"

# look DOCS POSTINGS: disk/ix as expected; reasons in $why
look() {
    if ! tsr stats --db disk/ix --json >st.json 2>st.err; then
        why="$why stats failed: $(head -c 200 st.err);"
        return
    fi
    json_num st.json documents
    _d=$_jn
    json_num st.json postings
    _p=$_jn
    json_num st.json segments
    _s=$_jn
    [ "$_d" = "$1" ] || why="$why $_d documents, wanted $1;"
    [ "$2" = - ] || [ "$_p" = "$2" ] || why="$why $_p postings, wanted $2;"
    [ "$_s" = 1 ] || why="$why $_s segments, wanted 1;"
    tsr verify --db disk/ix >v.txt 2>&1 || why="$why verify: $(grep -v '^ok' v.txt | head -c 300);"
    # every kept document finds itself; B's find themselves exactly when
    # they are still there
    for _f in ACD B; do
        if ! tsr check --db disk/ix --jsonl "$work/$_f.jsonl" --json >chk.out 2>chk.err; then
            why="$why check --jsonl failed: $(head -c 200 chk.err);"
            continue
        fi
        self_found "$work/$_f.jsonl" chk.out
        [ $_f = B ] && [ "$1" = 36 ] && _want=0
        [ "$_self" = "$_want" ] || why="$why $_self of $_f's documents find themselves, wanted $_want;"
    done
}

# the next run of the command, power kept: it ends the work
next_run() {
    force=1
    op tsr >out2.txt 2>&1
    _st=$?
    force=""
    [ $_st -eq 0 ] || why="$why next run: exit $_st: $(head -c 200 out2.txt);"
    look 36 "$P1"
    _o=$(orphans)
    [ -z "$_o" ] || why="$why orphans after the next run: $_o;"
}

case_crash() {
    prep
    op sim crash "$1" log.txt "$T" >out.txt 2>&1
    _st=$?
    [ $_st -eq 137 ] || why="$why exit $_st, wanted 137;"
    "$cs" restore disk img || why="$why restore failed;"
    if [ "$1" -gt "$CRE" ]; then look 36 "$P1"
    elif [ "$1" -gt "$CRM" ]; then look 36 "$P0"
    else look 48 "$P0"; fi
    next_run
}

case_kill() {
    prep
    op sim crash "$1" log.txt "$T" >out.txt 2>&1
    _st=$?
    [ $_st -eq 137 ] || why="$why exit $_st, wanted 137;"
    force=1
    op tsr >out2.txt 2>&1 || why="$why second run: exit $?: $(head -c 200 out2.txt);"
    force=""
    "$cs" restore disk img || why="$why restore failed;"
    look 36 "$P1"
}

case_fault() {
    prep
    sticky=$2
    op sim "$1" "$3" log.txt "$T" >out.txt 2>&1
    _st=$?
    sticky=0
    tsr stats --db disk/ix --json >st.json 2>/dev/null || : >st.json
    json_num st.json documents
    _d=$_jn
    case $_st in
    0) [ "$_d" = 36 ] || why="$why exit 0 with $_d documents;" ;;
    5) [ "$_d" = 36 ] || [ "$_d" = 48 ] || why="$why exit 5 with $_d documents;" ;;
    *) why="$why exit $_st, wanted 0 or 5: $(head -c 200 out.txt);" ;;
    esac
    case $_d in 36|48) look "$_d" - ;; esac
    next_run
}

run_case() {
    why=""
    case $1 in
    crash) case_crash "$2" ;;
    kill) case_kill "$2" ;;
    fault) case_fault "$2" "$3" "$4" ;;
    esac
    if [ -z "$why" ]; then tsr_ok "$*"; else tsr_fail "$* (seed $seed):$why"; fi
}

mkdir -p run && cd run || exit 5
k=1
while [ $k -le "$N" ]; do
    run_case crash $k
    [ $((k % 3)) -eq 0 ] && run_case kill $k
    k=$((k + 1))
done
k=1
while [ $k -le "$NIO" ]; do
    run_case fault enospc 1 $k
    run_case fault eio 0 $k
    k=$((k + 1))
done
echo "powerloss_remove: $N power losses, $((N / 3)) kills then a power loss, $((2 * NIO)) disk" \
    "errors (removal commits at event $CRM, reclaim at $CRE); $(( $(date +%s) - t0 )) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
