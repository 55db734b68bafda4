# tests/cli/lib.sh - the set-up shared by the CLI test scripts (sourced).
#
# Needs $here, the script's folder.  Sets root (the repository) and bin
# (TESSERA_BIN, default build/tessera, made absolute).

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
    rm -rf "$work"
}
