#!/bin/sh
# tests/cli/make_deps.sh - plain `make` installs nothing: on a machine where a
# library of the build is missing (simulated: pkg-config looks in an empty
# folder, so it finds none of them) it stops with a message that names the
# missing libraries and `make deps`, and never calls apt-get or sudo (stand-ins
# first on PATH record any call).  With the libraries there, the same check
# passes.  Builds nothing: only the build's first step, in a scratch BUILD.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ "${1:-}" = -v ] && verbose=1
MAKE=${MAKE:-make}
unset MAKEFLAGS MFLAGS
work=$(mktemp -d "${TMPDIR:-/tmp}/tsr-make-deps-XXXXXX") || exit 5
trap 'rm -rf "$work"' EXIT
mkdir "$work/fakebin" "$work/empty"
for tool in apt-get sudo; do
    printf '#!/bin/sh\necho "%s $*" >> "%s/called"\nexit 1\n' "$tool" "$work" \
        > "$work/fakebin/$tool"
    chmod +x "$work/fakebin/$tool"
done

# 1. a library missing: exit non-zero, the message names it and `make deps`
(cd "$root" && PATH="$work/fakebin:$PATH" PKG_CONFIG_LIBDIR="$work/empty" PKG_CONFIG_PATH= \
    "$MAKE" BUILD="$work/b1" MPI=0 "$work/b1/tessera") > "$work/out1" 2> "$work/err1"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "run 'make deps'" "$work/err1" &&
   grep -q "not installed:.* libzstd" "$work/err1"; then
    tsr_ok "make with a library missing stops, naming it and make deps"
else
    tsr_fail "make with a library missing: exit $rc, stderr:"
    sed 's/^/    | /' "$work/err1" | head -10
fi
if [ ! -e "$work/called" ]; then
    tsr_ok "make with a library missing calls neither apt-get nor sudo"
else
    tsr_fail "make with a library missing ran: $(cat "$work/called")"
fi
if [ ! -e "$work/b1/tessera" ] && [ ! -e "$work/b1/.deps-ok" ]; then
    tsr_ok "make with a library missing builds nothing"
else
    tsr_fail "make with a library missing left $work/b1/tessera or its .deps-ok"
fi

# 2. the libraries there (as on the machine that runs the tests): the check passes
rm -f "$work/called"
if (cd "$root" && PATH="$work/fakebin:$PATH" "$MAKE" BUILD="$work/b2" MPI=0 "$work/b2/.deps-ok") \
       > "$work/out2" 2>&1 && [ ! -e "$work/called" ]; then
    tsr_ok "make with the libraries there passes the check, installing nothing"
else
    tsr_fail "make with the libraries there:"
    sed 's/^/    | /' "$work/out2" | head -10
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
