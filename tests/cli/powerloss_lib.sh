# tests/cli/powerloss_lib.sh - the set-up shared by the power-loss scripts,
# powerloss.sh and powerloss_remove.sh (sourced after lib.sh).
#
# pl_setup SCRIPT WORK: the programs checked (tessera, $bin, and the corpus
# generator, DROUNDTRIP_BIN, default build/tests/discover_roundtrip: $gen;
# T=$bin), t0 the start time, $work made and entered (tsr_workdir WORK),
# and the simulator, tests/tools/crashsim.c (powerloss.sh explains it, and
# crashsim.c its model), built there with $CC as an LD_PRELOAD object $so
# and as the tool $cs; where that fails, the script is skipped.  SCRIPT
# names the script in messages.  Then:
#
#   skip MESSAGE       the script ends, skipped: "0 passed, 0 failed"
#   sim MODE K LOG CMD...
#                      CMD under the simulator, on disk/ and its image img/
#                      (of the current directory), its log in LOG; $sticky
#                      (0/1) for the fault modes
#   tsr ARGS...        tessera ($T) on disk/, under the simulator's count mode
#   pl_corpus NDOCS    corpus.jsonl, NDOCS documents from $seed with planted
#                      reuse, and A.jsonl .. D.jsonl its first four batches
#                      of 12; a failure ends the script
#   stat_of DIR KEY    the count KEY of `tessera stats --json` of the index
#                      DIR, outside the simulator (the set-up's baselines)
#   json_num FILE KEY  the number after "KEY": in FILE's first line (as
#                      `tessera stats --json` writes it), in _jn; empty when
#                      there is none
#   orphans            the segment files in disk/ix (seg-*) that v.txt, the
#                      output of `tessera verify`, does not report as ok
#   self_found PROBE OUT
#                      of PROBE's records, how many (in _self) OUT, the
#                      output of `check --jsonl PROBE --json`, names as their
#                      own source, and the others' ids (_miss); PROBE's
#                      lines in _want, OUT's in _lines
#
# The cases run thousands of small steps, and a process start costs about
# 7 ms on the test host (15 ms with the cases' workers on both cores): the
# helpers use the shell's builtins, or one awk where the shell has none.

pl_setup() {
    pl_script=$1
    gen=$(tsr_abs "${DROUNDTRIP_BIN:-build/tests/discover_roundtrip}")
    tsr_need "tests/cli/$pl_script" "$bin" "$gen"
    T=$bin
    t0=$(date +%s)
    tsr_workdir "$2"
    cc=${CC:-cc}
    src=$root/tests/tools/crashsim.c
    so=$work/crashsim.so
    cs=$work/crashsim
    "$cc" -std=c11 -O2 -shared -fPIC -DCRASHSIM_PRELOAD -o "$so" "$src" -ldl >cc.txt 2>&1 ||
        skip "cannot build the LD_PRELOAD object ($cc): $(head -c 200 cc.txt)"
    "$cc" -std=c11 -O2 -o "$cs" "$src" >cc.txt 2>&1 ||
        skip "cannot build crashsim ($cc): $(head -c 200 cc.txt)"
}

skip() {
    echo "$pl_script: SKIPPED: $1"
    echo "0 passed, 0 failed"
    exit 0
}

sim() {
    _m=$1 _k=$2 _l=$3
    shift 3
    # assignments before the command, not env(1): one process fewer
    # for every run (a process start is about 15 ms on the test host)
    LD_PRELOAD="$so" CRASHSIM_ROOT="$PWD/disk" CRASHSIM_IMAGE="$PWD/img" \
        CRASHSIM_MODE="$_m" CRASHSIM_AT="$_k" CRASHSIM_STICKY="${sticky:-0}" \
        CRASHSIM_LOG="$PWD/$_l" "$@"
}

# Readers too run under the count mode: every process that changes disk/
# must run with it (SQLite's readers create -wal and -shm files), else a
# file created behind its back whose inode number was a removed file's
# would take that file's durable content.
tsr() {
    sim count 0 tsr.log "$T" "$@"
}

pl_corpus() {
    "$gen" "$seed" --docs "$1" --families 6 --write-jsonl corpus.jsonl >gen.txt 2>&1 || {
        echo "FAIL discover_roundtrip --write-jsonl: $(head -c 300 gen.txt)"
        echo "0 passed, 1 failed"
        exit 1
    }
    sed -n 1,12p corpus.jsonl >A.jsonl
    sed -n 13,24p corpus.jsonl >B.jsonl
    sed -n 25,36p corpus.jsonl >C.jsonl
    sed -n 37,48p corpus.jsonl >D.jsonl
}

stat_of() { "$T" stats --db "$1" --json 2>/dev/null | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

json_num() {
    _jn=""
    _jl=""
    [ -f "$1" ] || return 0
    IFS= read -r _jl <"$1" || [ -n "$_jl" ] || return 0
    case $_jl in *"\"$2\":"*) ;; *) return 0 ;; esac
    _jn=${_jl#*\"$2\":}
    _jn=${_jn%%[!0-9]*}
}

orphans() {
    _oks=" "
    if [ -f v.txt ]; then
        while read -r _a _b _c; do
            [ "$_a" = ok ] && [ -z "$_c" ] && _oks="$_oks$_b "
        done <v.txt
    fi
    for _p in disk/ix/seg-*; do
        [ -e "$_p" ] || continue
        _f=${_p##*/}
        case $_oks in *" $_f "*) ;; *) printf '%s ' "$_f" ;; esac
    done
}

self_found() {
    set -- $(awk 'FILENAME == ARGV[1] { want++; next }
                  { lines++; id = $0; sub(/^\{"id":"/, "", id); sub(/".*/, "", id)
                    if (index($0, "\"source\":{\"id\":\"" id "\"")) self++; else miss = miss " " id }
                  END { print want + 0, lines + 0, self + 0, miss }' "$1" "$2")
    _want=$1 _lines=$2 _self=$3
    shift 3
    _miss="$*"
}
