# tests/cli/lib.sh - the set-up shared by the CLI test scripts (sourced).
#
# Needs $here, the script's folder.  Sets root (the repository), bin
# (TESSERA_BIN, default build/tessera, made absolute), and passed, failed
# and verbose (0) for the count of cases.

root=$(cd "$here/../.." && pwd)

# PATH -> PATH, a relative one taken from the repository root.
tsr_abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$root/$1" ;; esac; }

bin=$(tsr_abs "${TESSERA_BIN:-build/tessera}")

# tsr_need SCRIPT PROGRAM...: each PROGRAM built, or a failed run ends here.
tsr_need() {
    _script=$1
    shift
    for _b in "$@"; do
        if [ ! -x "$_b" ]; then
            echo "$_script: $_b not built (make tests)" >&2
            echo "0 passed, 1 failed"
            exit 1
        fi
    done
}

# tsr_workdir NAME: cd into a new temporary folder $work, removed at exit
# (after killing the process $pid, when one is set); SIGINT and SIGTERM exit
# with 130.  TESSERA_DB is unset so that no outside index is used.
tsr_workdir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/tsr-$1-XXXXXX") || exit 5
    pid=""
    trap tsr_cleanup_ EXIT
    trap 'exit 130' INT TERM
    cd "$work" || exit 5
    unset TESSERA_DB
}
tsr_cleanup_() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    [ -n "${TSR_KEEP:-}" ] || rm -rf "$work"
}

# The count of cases: tsr_ok NAME (printed with --verbose), tsr_fail LINE
# (always printed); the script ends with echo "$passed passed, $failed failed".
passed=0
failed=0
verbose=0
tsr_ok() { passed=$((passed + 1)); [ "$verbose" = 1 ] && echo "ok   $1"; return 0; }
tsr_fail() { failed=$((failed + 1)); echo "FAIL $1"; return 0; }

# tsr_seed_args ARG...: -v/--verbose sets verbose=1, any other argument is
# the seed (default 1) of the scripts that draw random timings.
tsr_seed_args() {
    seed=1
    for _a in "$@"; do
        case $_a in
        -v|--verbose) verbose=1 ;;
        *) seed=$_a ;;
        esac
    done
}

# tsr_rnd I LO HI: a number in [LO, HI) for round I, from the seed, so that
# the same seed replays the same schedule.
tsr_rnd() {
    awk -v s="$seed" -v i="$1" -v lo="$2" -v hi="$3" \
        'BEGIN { srand(s * 1000 + i); printf "%.3f", lo + rand() * (hi - lo) }'
}
