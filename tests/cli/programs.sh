#!/bin/sh
# tests/cli/programs.sh - the two programs of the command line (cli/full.c):
# tessera, without the HTTP server and Open MPI, and tessera-full, with them,
# to which tessera hands `serve` and runs under an MPI launcher.
#   - tessera does not load libmicrohttpd, GnuTLS or Open MPI; tessera-full
#     loads libmicrohttpd (and Open MPI when the build has it)
#   - both say the same to --version and to `serve --help` (through exec)
#   - alone, without tessera-full beside it or in ../libexec/tessera, a
#     serve fails with exit 5 and says what is missing; the other commands
#     run
# (tests/cli/mpi.sh runs tessera under mpirun; tests/cli/shared.sh the
# installed layout.)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tsr_seed_args "$@"
full=$(dirname "$bin")/tessera-full
tsr_need programs.sh "$bin" "$full"
tsr_workdir programs

check() {   # check NAME CONDITION-STATUS MESSAGE
    if [ "$2" = 0 ]; then tsr_ok "$1"; else tsr_fail "$1: $3"; fi
}

libs=$(ldd "$bin" 2>&1)
echo "$libs" | grep -Eq 'libmicrohttpd|libgnutls|libmpi|libopen-rte'
check "lean-libs" $(( $? == 0 )) "tessera loads $(echo "$libs" | grep -Eo 'lib(microhttpd|gnutls|mpi|open-rte)[^ ]*' | tr '\n' ' ')"
ldd "$full" | grep -q libmicrohttpd
check "full-libs" $? "tessera-full does not load libmicrohttpd"
if "$full" --version | grep -q 'Open MPI'; then
    ldd "$full" | grep -q libmpi
    check "full-mpi" $? "tessera-full says Open MPI but does not load libmpi"
fi

"$bin" --version >v1 2>&1
"$full" --version >v2 2>&1
cmp -s v1 v2
check "version" $? "--version: '$(cat v1)' against '$(cat v2)'"
"$bin" serve --help >h1 2>&1
r1=$?
"$full" serve --help >h2 2>&1
cmp -s h1 h2 && [ $r1 = 0 ]
check "serve-help" $? "tessera serve --help (exit $r1) differs from tessera-full's: $(head -c 200 h1)"
"$bin" serve --bogus >e1 2>&1
r1=$?
"$full" serve --bogus >e2 2>&1
r2=$?
cmp -s e1 e2 && [ $r1 = $r2 ] && [ $r1 = 2 ]
check "serve-usage-error" $? "exit $r1 / $r2: $(head -c 200 e1)"

mkdir alone
cp "$bin" alone/tessera
alone/tessera serve --help >a.out 2>&1
r=$?
[ $r = 5 ] && grep -q 'tessera-full' a.out && grep -q 'libexec/tessera' a.out
check "alone-serve" $? "exit $r: $(head -c 300 a.out)"
printf '{"id":"a","text":"one two three four five six seven eight nine ten"}\n' >in.jsonl
alone/tessera index -q --db ix in.jsonl && alone/tessera stats --db ix >/dev/null
check "alone-index" $? "index and stats without tessera-full"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
