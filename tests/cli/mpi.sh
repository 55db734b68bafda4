#!/bin/sh
# tests/cli/mpi.sh - tessera under mpirun: the same index, pairs, families and
# batch checks on 1, 2, 3 and 4 ranks as in one process; faults.
#
#   sh tests/cli/mpi.sh [--verbose]
#
# How it works.  discover_roundtrip --write-jsonl writes a corpus with planted
# reuse (3000 documents), cut into three inputs: a JSON Lines file (divided
# among the ranks by byte range), a gzip'ed one (taken whole by one rank) and
# a small JSON Lines file whose first id repeats one of the first file (the
# duplicate rule must hold across ranks).  One process indexes them, runs
# discover (pairs and families) and checks 150 of the texts as a batch: the
# reference.  Then for N = 1..4, `mpirun -np N` does the same on a new index;
# each case compares bytes with the reference:
#
#   index N     the sharded index passes `tessera verify`, has the same
#               documents (stats) and the list names N shards (1 for N = 1:
#               then it is a plain index);
#   discover N  pairs and families byte-equal to the reference (document
#               numbers included: the shards number through as one index);
#   check N     the batch results byte-equal to the reference;
#   resume      discover on 3 ranks again with the same work directory:
#               resumed from it, the same bytes;
#   threads     discover on 2 ranks with --threads 1 and --threads 2: the same;
#   oneproc     discover in one process on the 4-shard index: the same.
#
# Faults:
#   kill index     a rank of `mpirun -np 3 tessera index` waits on a FIFO
#                  input; SIGKILL to it: mpirun exits non-zero naming the
#                  rank, and the index is as it was (its list unchanged);
#   fail index     every input bad on 2 ranks: exit 3, and the new index
#                  folder is not left behind (empty);
#   fail discover  a rank cannot make its work directory: the job exits
#                  non-zero with a message naming the rank, and -o FILE is
#                  not created;
#   kill discover  a rank is stopped (SIGSTOP) as it starts and then killed:
#                  the job ends non-zero, no output file.
#
# Skipped, with a message and "0 passed, 0 failed", when the build has no MPI
# (make MPI=0) or mpirun is missing.  Runs as root with --allow-run-as-root
# (CI runs as root) and always with --oversubscribe (this machine has 2 cores).
# Environment: TESSERA_BIN, DROUNDTRIP_BIN, TMPDIR.  Ends with
# "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
gen=$(tsr_abs "${DROUNDTRIP_BIN:-build/tests/discover_roundtrip}")
for a in "$@"; do [ "$a" = -v ] || [ "$a" = --verbose ] && verbose=1; done
tsr_need tests/cli/mpi.sh "$bin" "$gen"

if ! "$bin" --version | grep -q "Open MPI" || ! command -v mpirun >/dev/null 2>&1; then
    echo "mpi.sh: SKIPPED: this tessera was built without Open MPI (make MPI=0, or"
    echo "        libopenmpi-dev missing: make deps installs it) or mpirun is missing"
    echo "0 passed, 0 failed"
    exit 0
fi
tsr_workdir mpi
T=$bin
MPIRUN="mpirun --oversubscribe"
[ "$(id -u)" = 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
# Open MPI: no warnings about this machine's network, loopback only
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none

setup_fail() {
    echo "FAIL setup: $1"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
}

"$gen" 7 --docs 3000 --families 150 --write-jsonl all.jsonl || setup_fail "generator"
head -n 2400 all.jsonl >a.jsonl
sed -n '2401,2800p' all.jsonl | gzip -c >b.jsonl.gz
# c: the rest, after a record whose id is a's first (the index keeps a's)
first_id=$(head -n 1 all.jsonl | sed 's/^{"id":"\([^"]*\)".*/\1/')
{ printf '{"id":"%s","text":"a repeated id, never indexed"}\n' "$first_id"
  sed -n '2801,$p' all.jsonl; } >c.jsonl
head -n 150 all.jsonl >queries.jsonl
IN="a.jsonl b.jsonl.gz c.jsonl"

"$T" index -q --db ref.tsr $IN 2>ref-index.err || setup_fail "index: $(head -c 300 ref-index.err)"
grep -q "duplicate id '$first_id'" ref-index.err || setup_fail "no duplicate reported"
"$T" discover -q --db ref.tsr --threads 2 -o ref.jsonl --families ref-fam.jsonl ||
    setup_fail "discover"
"$T" check --db ref.tsr --jsonl queries.jsonl -o ref-check.jsonl || setup_fail "check --jsonl"
[ "$(wc -l <ref.jsonl)" -gt 500 ] || setup_fail "too few pairs in the reference"
ref_docs=$("$T" stats --db ref.tsr | awk '/^documents/ { print $2 }')

same() { cmp -s "$1" "$2"; }

for n in 1 2 3 4; do
    if $MPIRUN -np $n "$T" index -q --db s$n.tsr $IN >idx$n.out 2>&1 &&
       "$T" verify --db s$n.tsr >ver$n.out 2>&1 &&
       [ "$("$T" stats --db s$n.tsr | awk '/^documents/ { print $2 }')" = "$ref_docs" ] &&
       { [ $n = 1 ] && [ ! -f s$n.tsr/shards ] ||
         [ "$(grep -c '^shard-' s$n.tsr/shards)" = $n ]; }; then
        tsr_ok "index $n"
    else
        tsr_fail "index on $n ranks: $(head -c 400 idx$n.out) $(tail -n 3 ver$n.out)"
    fi
    if $MPIRUN -np $n "$T" discover -q --db s$n.tsr --threads 1 --workdir w$n \
           -o p$n.jsonl --families f$n.jsonl >disc$n.out 2>&1 &&
       same p$n.jsonl ref.jsonl && same f$n.jsonl ref-fam.jsonl; then
        tsr_ok "discover $n"
    else
        tsr_fail "discover on $n ranks: not the reference's pairs/families $(head -c 300 disc$n.out)"
    fi
    if $MPIRUN -np $n "$T" check --db s$n.tsr --jsonl queries.jsonl -o c$n.jsonl \
           >chk$n.out 2>&1 && same c$n.jsonl ref-check.jsonl &&
       [ -z "$(ls | grep '\.part-\|\.tmp$')" ]; then
        tsr_ok "check $n"
    else
        tsr_fail "check --jsonl on $n ranks: $(head -c 300 chk$n.out)"
    fi
done

# resume: the same work directory, the same bytes, stages taken from it
if $MPIRUN -np 3 "$T" discover --db s3.tsr --threads 1 --workdir w3 -o r3.jsonl \
       --families rf3.jsonl >res.out 2>&1 &&
   same r3.jsonl ref.jsonl && same rf3.jsonl ref-fam.jsonl && grep -q resumed res.out; then
    tsr_ok resume
else
    tsr_fail "resume on 3 ranks: $(head -c 300 res.out)"
fi
# threads do not change the output
if $MPIRUN -np 2 "$T" discover -q --db s2.tsr --threads 2 -o t2.jsonl >thr.out 2>&1 &&
   same t2.jsonl ref.jsonl; then
    tsr_ok threads
else
    tsr_fail "2 ranks x 2 threads: not the reference's pairs $(head -c 300 thr.out)"
fi
# a sharded index read by one process
if "$T" discover -q --db s4.tsr -o one4.jsonl 2>one.out && same one4.jsonl ref.jsonl; then
    tsr_ok oneproc
else
    tsr_fail "one process on the 4-shard index: not the reference's pairs"
fi

# rank_pid NAME RANK: the pid of rank RANK of the running job whose command
# line holds NAME (Open MPI puts the rank in the environment)
rank_pid() {
    for p in $(pgrep -f "$1"); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# kill a rank of an index run: the last rank waits on a FIFO input
cp s3.tsr/shards shards.before
mkfifo pipe.txt
$MPIRUN -np 3 "$T" index -q --db s3.tsr all.jsonl pipe.txt >kill.out 2>&1 &
job=$!
victim=""
for _ in $(seq 1 100); do
    victim=$(rank_pid "index -q --db s3.tsr" 2) && break
    sleep 0.1
done
sleep 0.5
[ -n "$victim" ] && kill -KILL "$victim"
wait $job
st=$?
if [ -n "$victim" ] && [ $st -ne 0 ] && grep -qi "rank 2\|rank.*2.*signal\|process rank 2" kill.out &&
   cmp -s shards.before s3.tsr/shards && "$T" verify --db s3.tsr >/dev/null 2>&1; then
    tsr_ok "kill index"
else
    tsr_fail "a killed index rank (pid ${victim:-none}): exit $st, $(head -c 400 kill.out)"
fi
rm -f pipe.txt

# every input of a new index is bad: nothing added, no folder left behind
printf '{"id": "a", "text": \n' >bad1.jsonl
printf '{"id": "b", "text": \n' >bad2.jsonl
$MPIRUN -np 2 "$T" index -q --db newbad.tsr bad1.jsonl bad2.jsonl >fi.out 2>&1
st=$?
if [ $st -ne 0 ] && grep -q "bad1.jsonl:1:" fi.out && [ ! -e newbad.tsr ]; then
    tsr_ok "fail index"
else
    tsr_fail "every input bad on 2 ranks: exit $st, $(ls -d newbad.tsr 2>&1) $(head -c 300 fi.out)"
fi

# a rank that fails: its work directory cannot be made
mkdir wbad && : >wbad/rank-1-of-2
$MPIRUN -np 2 "$T" discover -q --db s2.tsr --workdir wbad -o bad.jsonl >bad.out 2>&1
st=$?
if [ $st -ne 0 ] && grep -q "rank 1 of 2" bad.out && [ ! -e bad.jsonl ] &&
   [ -z "$(ls | grep '^bad\.jsonl')" ]; then
    tsr_ok "fail discover"
else
    tsr_fail "a failing discover rank: exit $st, $(head -c 400 bad.out)"
fi

# a rank killed while the job runs: stopped first, so the job cannot end
$MPIRUN -np 2 "$T" discover -q --db s2.tsr --workdir wkill -o killed.jsonl >dk.out 2>&1 &
job=$!
victim=""
for _ in $(seq 1 200); do
    victim=$(rank_pid "discover -q --db s2.tsr --workdir wkill" 1) && break
    sleep 0.02
done
[ -n "$victim" ] && kill -STOP "$victim" && sleep 0.3 && kill -KILL "$victim"
wait $job
st=$?
if [ -n "$victim" ] && [ $st -ne 0 ] && [ ! -e killed.jsonl ]; then
    tsr_ok "kill discover"
else
    tsr_fail "a killed discover rank (pid ${victim:-none}): exit $st, $(head -c 300 dk.out)"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
