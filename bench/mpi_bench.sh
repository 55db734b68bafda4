#!/bin/sh
# make bench-mpi (and a part of make bench): `tessera index` and `tessera
# discover` on 2 MPI ranks x 1 thread against 1 process x 1 thread (and, for
# scale, 1 process x 2 threads), in the same run on the same corpus; the bytes
# the ranks exchange; whether the outputs are the same.
#
#   1. corpus: bench/gen_discover (new text from news.jsonl's word bigrams,
#      10% of documents copy passages of earlier ones), N documents
#      (TESSERA_MPI_DOCS, default 100000), written outside the repository and
#      kept between runs (the corpus of bench/run_discover.sh when it is there)
#   2. index: 1 x 1, 2 ranks x 1 (mpirun -np 2 ... --threads 1), 1 x 2, each into
#      a new index, under /usr/bin/time (mpirun's wall clock for the ranks)
#   3. discover on each index: 1 x 1, 2 x 1, 1 x 2 (--threads), new work
#      directories; outputs compared byte for byte
#   steps 2-3 run TESSERA_MPI_REPS times (default 2), interleaved; the best
#   wall time of each configuration is compared, every run is listed
#
# The table goes to stdout and bench/results/mpi.md.
# Environment: TESSERA_MPI_DOCS, TESSERA_MPI_REPS, TESSERA_BENCH_DIR, TESSERA_DATA, TESSERA.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
data=${TESSERA_DATA:-$(dirname "$repo")/shared/data}
tessera=${TESSERA:-$repo/build/tessera}
bdir=$(dirname "$tessera")/bench
py=${PYTHON:-python3}
. "$here/lib.sh"
n=${TESSERA_MPI_DOCS:-100000}
work=${TESSERA_BENCH_DIR:-/tmp/tessera-bench}

die() { echo "bench-mpi: $*" >&2; exit 2; }
[ -f "$data/news.jsonl" ] || die "$data/news.jsonl not found; set TESSERA_DATA"
[ -x "$tessera" ] || die "$tessera not found; run \`make\` first"
[ -x "$bdir/gen_discover" ] || die "$bdir/gen_discover not found; run \`make bench-tools\`"
"$tessera" --version | grep -q "Open MPI" || die "$tessera was built without MPI"
command -v mpirun > /dev/null || die "mpirun not found (Debian openmpi-bin)"
case "$work" in "$repo"|"$repo"/*) die "TESSERA_BENCH_DIR must be outside the repository" ;; esac
MPIRUN="mpirun --oversubscribe --bind-to none"
[ "$(id -u)" = 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none

mkdir -p "$work" "$here/results"
corpus=$work/disc-$n.jsonl
if [ ! -f "$corpus" ]; then
    echo "== corpus: $n documents -> $corpus"
    "$bdir/gen_discover" --data "$data/news.jsonl" --docs "$n" --out "$corpus" \
        --truth "$work/disc-$n.truth"
fi
run=$work/mpirun
rm -rf "$run"
mkdir -p "$run"
mb=$(calc "%.0f" "$(stat -c %s "$corpus") / 1e6")

# NAME CMD...: run under /usr/bin/time -v, stderr kept
timed() {
    _n=$1; shift
    /usr/bin/time -v -o "$run/$_n.time" "$@" 2> "$run/$_n.err" ||
        { cat "$run/$_n.err" >&2; die "$_n failed"; }
}

# each configuration TESSERA_MPI_REPS times (default 2), the configurations
# interleaved, so that a noisy neighbour hits them alike; the best counts
reps=${TESSERA_MPI_REPS:-2}
for r in $(seq 1 "$reps"); do
    echo "== round $r of $reps: index, $n documents, $mb MB"
    rm -rf "$run/i11" "$run/i21" "$run/i12"
    timed idx11-$r "$tessera" index -q --threads 1 --db "$run/i11" "$corpus"
    timed idx21-$r $MPIRUN -np 2 "$tessera" index --threads 1 --db "$run/i21" "$corpus"
    timed idx12-$r "$tessera" index -q --threads 2 --db "$run/i12" "$corpus"
    echo "== round $r of $reps: discover"
    rm -rf "$run"/w*
    timed d11-$r "$tessera" discover -q --threads 1 --db "$run/i11" --workdir "$run/w11" \
        -o "$run/p11.jsonl"
    timed d21-$r $MPIRUN -np 2 "$tessera" discover --threads 1 --db "$run/i21" \
        --workdir "$run/w21" -o "$run/p21.jsonl"
    timed d12-$r "$tessera" discover -q --threads 2 --db "$run/i12" --workdir "$run/w12" \
        -o "$run/p12.jsonl"
done
same=no
cmp -s "$run/p11.jsonl" "$run/p21.jsonl" && cmp -s "$run/p11.jsonl" "$run/p12.jsonl" && same=yes
cp "$run/idx21-1.err" "$run/idx21.err"
cp "$run/d21-1.err" "$run/d21.err"

# the best wall time of a configuration, and all of them
w() { for r in $(seq 1 "$reps"); do tv "$run/$1-$r.time" wall; done | sort -g | head -1; }
all() { for r in $(seq 1 "$reps"); do tv "$run/$1-$r.time" wall; done | tr '\n' ' ' | sed 's/ $//'; }
ix_x=$(sed -n 's/.* \([0-9]*\) bytes exchanged between them (\([0-9.]*\) per document).*/\1 \2/p' "$run/idx21.err")
d_x=$(sed -n 's/.* \([0-9]*\) bytes exchanged between them (\([0-9.]*\) per document, \([0-9.]*\) per document pair aligned).*/\1 \2 \3/p' "$run/d21.err")
pairs=$(sed -n 's/.*documents, \([0-9]*\) document pairs aligned.*/\1/p' "$run/d21.err")
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
out=$here/results/mpi.md
{
    echo "### MPI: 2 ranks x 1 thread against 1 process x 1 thread ($(date -u +%Y-%m-%d), $n documents, $mb MB)"
    echo
    echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo); Open MPI $(mpirun --version | head -1 | awk '{ print $NF }'), shared memory between the ranks. Command: \`make bench-mpi\` (TESSERA_MPI_DOCS=$n)."
    echo
    echo "Best of $reps interleaved runs each (all runs in the last column)."
    echo
    echo "| step | 1 process x 1 thread | 2 ranks x 1 thread | speed-up | 1 process x 2 threads | runs (s): 1x1 / 2x1 / 1x2 |"
    echo "| --- | --- | --- | --- | --- | --- |"
    echo "| index | $(calc "%.2f" "$(w idx11)") s | $(calc "%.2f" "$(w idx21)") s | $(calc "%.2f" "$(w idx11) / $(w idx21)")x | $(calc "%.2f" "$(w idx12)") s ($(calc "%.2f" "$(w idx11) / $(w idx12)")x) | $(all idx11) / $(all idx21) / $(all idx12) |"
    echo "| discover | $(calc "%.2f" "$(w d11)") s | $(calc "%.2f" "$(w d21)") s | $(calc "%.2f" "$(w d11) / $(w d21)")x | $(calc "%.2f" "$(w d12)") s ($(calc "%.2f" "$(w d11) / $(w d12)")x) | $(all d11) / $(all d21) / $(all d12) |"
    echo
    echo "Outputs of the three discover runs byte-equal: $same.  Bytes between the ranks:"
    echo "index $(echo "$ix_x" | awk '{ printf "%s bytes, %s per document", $1, $2 }') (the duplicate-id check);"
    echo "discover $(echo "$d_x" | awk '{ printf "%s bytes, %s per document, %s per document pair aligned", $1, $2, $3 }') ($pairs pairs aligned)."
} > "$out"
cat "$out"
rm -rf "$run"
