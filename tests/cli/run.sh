#!/bin/sh
# tests/cli/run.sh - the CLI golden tests (after zstd tests/cli-tests).
#
#   sh tests/cli/run.sh [--update] [--verbose] [NAME...]
#
# Each case is a shell script tests/cli/cases/NAME.sh, run with sh in a fresh
# temporary directory that holds a copy of tests/data as ./data, with
# `tessera` (and `datagen`) first on PATH.  Next to it, optional files say
# what must come out:
#
#   NAME.sh.exit           the exit code (default 0)
#   NAME.sh.stdout.exact   stdout, byte for byte
#   NAME.sh.stdout.glob    stdout matches this shell pattern (* ? [...]);
#                          '*' also matches newlines
#   NAME.sh.stderr.exact   stderr, byte for byte
#   NAME.sh.stderr.glob    stderr matches this shell pattern
#
# A stream with no file is not checked.  --update rewrites the .exit and the
# .exact files from the actual output (and creates NAME.sh.stdout.exact and
# NAME.sh.exit for a new case that has neither); .glob files are written by
# hand.  Review the diff of an update before committing it.
#
# NAME arguments select cases whose name contains one of them.
# Environment: TESSERA_BIN (default build/tessera), DATAGEN_BIN (default
# build/tests/datagen), TMPDIR.
# Prints one line per case and ends with "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
update=0
filters=""
for a in "$@"; do
    case $a in
    --update) update=1 ;;
    --verbose|-v) verbose=1 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "tests/cli/run.sh: unknown option $a" >&2; exit 2 ;;
    *) filters="$filters $a" ;;
    esac
done

gen=$(tsr_abs "${DATAGEN_BIN:-build/tests/datagen}")
tsr_need tests/cli/run.sh "$bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/tsr-cli-XXXXXX") || exit 5
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/bin"
ln -s "$bin" "$work/bin/tessera"
[ -x "$gen" ] && ln -s "$gen" "$work/bin/datagen"

selected() {
    [ -z "$filters" ] && return 0
    for f in $filters; do
        case $1 in *"$f"*) return 0 ;; esac
    done
    return 1
}

# glob_match FILE PATTERN_FILE: does the content of FILE match the pattern?
glob_match() {
    _actual=$(cat "$1"; echo x)
    _actual=${_actual%x}
    _pattern=$(cat "$2"; echo x)
    _pattern=${_pattern%x}
    # tolerate a missing or extra final newline on either side
    _actual=${_actual%
}
    _pattern=${_pattern%
}
    # shellcheck disable=SC2254
    case $_actual in
    $_pattern) return 0 ;;
    esac
    return 1
}

show() {
    echo "    --- $1 ---"
    sed -n '1,40p' "$2" | sed 's/^/    | /'
}

for case_file in "$here"/cases/*.sh; do
    [ -f "$case_file" ] || continue
    name=$(basename "$case_file" .sh)
    selected "$name" || continue
    dir="$work/$name"
    mkdir "$dir"
    cp -R "$root/tests/data" "$dir/data"
    (
        cd "$dir" || exit 99
        unset TESSERA_DB
        PATH="$work/bin:$PATH"
        export PATH
        exec sh "$case_file" >"$work/$name.out" 2>"$work/$name.err" </dev/null
    )
    code=$?
    why=""
    if [ "$update" = 1 ]; then
        echo "$code" >"$case_file.exit"
        [ -f "$case_file.stderr.exact" ] && cp "$work/$name.err" "$case_file.stderr.exact"
        if [ -f "$case_file.stdout.exact" ] || [ ! -f "$case_file.stdout.glob" ]; then
            cp "$work/$name.out" "$case_file.stdout.exact"
        fi
    fi
    want=0
    [ -f "$case_file.exit" ] && want=$(cat "$case_file.exit")
    [ "$code" = "$want" ] || why="exit code $code, expected $want"
    if [ -z "$why" ] && [ -f "$case_file.stdout.exact" ] &&
       ! cmp -s "$case_file.stdout.exact" "$work/$name.out"; then
        why="stdout differs from $name.sh.stdout.exact"
    fi
    if [ -z "$why" ] && [ -f "$case_file.stdout.glob" ] &&
       ! glob_match "$work/$name.out" "$case_file.stdout.glob"; then
        why="stdout does not match $name.sh.stdout.glob"
    fi
    if [ -z "$why" ] && [ -f "$case_file.stderr.exact" ] &&
       ! cmp -s "$case_file.stderr.exact" "$work/$name.err"; then
        why="stderr differs from $name.sh.stderr.exact"
    fi
    if [ -z "$why" ] && [ -f "$case_file.stderr.glob" ] &&
       ! glob_match "$work/$name.err" "$case_file.stderr.glob"; then
        why="stderr does not match $name.sh.stderr.glob"
    fi
    if [ -z "$why" ]; then
        tsr_ok "cli/$name"
    else
        tsr_fail "cli/$name: $why"
        case $why in
        stdout*)
            if [ -f "$case_file.stdout.exact" ] && command -v diff >/dev/null 2>&1; then
                diff -u "$case_file.stdout.exact" "$work/$name.out" | sed -n '1,40p' | sed 's/^/    /'
            else
                show stdout "$work/$name.out"
            fi ;;
        *) show stdout "$work/$name.out"; show stderr "$work/$name.err" ;;
        esac
    fi
    rm -rf "$dir"
done

[ "$update" = 1 ] && echo "updated the expected files of $((passed + failed)) case(s); review them with a diff"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
