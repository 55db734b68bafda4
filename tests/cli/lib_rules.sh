#!/bin/sh
# tests/cli/lib_rules.sh - the rules the library's code keeps, checked on
# the code and its objects rather than trusted to review:
#
# 1. lib/ never prints and never exits (the brief; tessera.h): no object of
#    build/libtessera.a refers to stdout, stderr, printf and its kin, puts,
#    perror, exit, abort or assert's __assert_fail (an assert prints and
#    aborts).  Writing to a FILE the library opened itself (shard.c's list
#    of shards) is no printing and stays allowed.
# 2. No function in lib/ is longer than 150 lines (issue 9: the aligner and
#    the drivers read as their stages).  A function's body runs from a line
#    that is "{" alone to the next line that starts with "}", which is how
#    every function in lib/ is written.
# 3. The checks can fail: each is run once on a planted offender first.
#
#   sh tests/cli/lib_rules.sh [-v]
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ "${1:-}" = -v ] && verbose=1
work=$(mktemp -d "${TMPDIR:-/tmp}/tsr-lib-rules-XXXXXX") || exit 5
trap 'rm -rf "$work"' EXIT
MAXLEN=150
FORBIDDEN='stdout stderr printf vprintf puts putchar perror exit _exit _Exit quick_exit abort __assert_fail __printf_chk __vprintf_chk __fprintf_chk'

# OBJECT... -> "object: symbol" for each forbidden symbol an object refers to
forbidden_refs() {
    for o in "$@"; do
        nm -u "$o" 2>/dev/null | awk -v o="$o" -v bad="$FORBIDDEN" '
            BEGIN { n = split(bad, b, " "); for (i = 1; i <= n; i++) f[b[i]] = 1 }
            { s = $NF; sub(/@.*/, "", s); if (s in f) print o ": " s }'
    done
}

# FILE... -> "file:line: N lines: signature" for each function over MAXLEN
long_functions() {
    for f in "$@"; do
        awk -v F="$f" -v max="$MAXLEN" '
            /^\{/ { s = NR; sig = prev }
            /^\}/ && s { n = NR - s - 1; if (n > max) printf "%s:%d: %d lines: %s\n", F, s, n, sig; s = 0 }
            { if ($0 !~ /^[ \t]*$/) prev = $0 }' "$f"
    done
}

objs=$(ls "$root"/build/lib/*.o "$root"/build/lib/common/*.o 2>/dev/null)
if [ -z "$objs" ] || ! command -v nm >/dev/null; then
    tsr_fail "no objects in build/lib (run make) or no nm (binutils)"
    echo "$passed passed, $failed failed"
    exit 1
fi

# 3. the checks see a planted offender
cat > "$work/bad.c" <<'EOF'
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
int bad(int x)
{
    assert(x > 0);
    fprintf(stderr, "x\n");
    if (x > 9) exit(1);
    return x;
}
EOF
{ echo 'int long_one(int x)'; echo '{'; i=0
  while [ $i -le $MAXLEN ]; do echo '    x++;'; i=$((i + 1)); done
  echo '    return x;'; echo '}'; } >> "$work/bad.c"
if ${CC:-cc} -O2 -c -o "$work/bad.o" "$work/bad.c" 2>"$work/cc.err"; then
    got=$(forbidden_refs "$work/bad.o" | sed 's/.*: //' | sort | tr '\n' ' ')
    case $got in
    *__assert_fail*exit*stderr*) tsr_ok "the symbol check finds assert, exit and stderr in a planted object" ;;
    *) tsr_fail "the symbol check missed a planted object's references (found: $got)" ;;
    esac
else
    tsr_fail "cannot compile the planted offender: $(head -n 3 "$work/cc.err")"
fi
n=$(long_functions "$work/bad.c" | wc -l)
[ "$n" -eq 1 ] && tsr_ok "the length check finds a planted function of $((MAXLEN + 2)) lines" ||
    tsr_fail "the length check found $n long functions in the planted file (want 1)"

# 1. the library
# shellcheck disable=SC2086
refs=$(forbidden_refs $objs)
if [ -z "$refs" ]; then
    tsr_ok "lib/ never prints and never exits: $(echo "$objs" | wc -w) objects, no stdout, stderr, printf, exit, abort or assert"
else
    tsr_fail "lib/ objects refer to what prints or exits:"
    echo "$refs" | sed 's/^/    | /'
fi

# 2. function length
long=$(long_functions "$root"/lib/*.c "$root"/lib/common/*.c)
if [ -z "$long" ]; then
    tsr_ok "no function in lib/ over $MAXLEN lines"
else
    tsr_fail "functions in lib/ over $MAXLEN lines:"
    echo "$long" | sed 's/^/    | /'
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
