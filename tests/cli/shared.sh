#!/bin/sh
# tests/cli/shared.sh - the shared library as a user gets it: `make install`
# into a scratch root, the examples compiled with `pkg-config --cflags --libs
# tessera` against libtessera.so (not the static library) and run; the
# library exports exactly the TSR_API functions of lib/tessera.h, all under
# the version node TESSERA_1, with soname libtessera.so.MAJOR.
set -u
cd "$(dirname "$0")/../.." || exit 5
build=${BUILD:-build}
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsr-shared-XXXXXX") || exit 5
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

root=$tmp/root
if make -s BUILD="$build" DESTDIR="$root" PREFIX=/usr install >"$tmp/install.log" 2>&1; then ok
else bad "make install: $(tail -n 3 "$tmp/install.log")"; fi
# the program as installed: bin/tessera hands `serve` to the tessera-full
# that make install put in libexec/tessera (cli/full.c)
if "$root/usr/bin/tessera" serve --help 2>&1 | grep -q '^Usage: tessera serve'; then ok
else bad "installed bin/tessera does not find libexec/tessera/tessera-full for serve"; fi
lib=$root/usr/lib
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
so=$(readlink "$lib/libtessera.so")
[ -n "$so" ] && [ -f "$lib/$so" ] && ok || bad "libtessera.so is not a link to the library"
soname=$(readelf -d "$lib/$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libtessera.so.$(echo "$so" | sed 's/libtessera\.so\.\([0-9]*\).*/\1/')" ] && ok ||
    bad "soname '$soname' of $so"
# exported: exactly the header's TSR_API functions, each @TESSERA_1
nm -D --defined-only "$lib/$so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort > "$tmp/exported"
sed -n 's/^TSR_API [^(]*[ *]\(tsr_[a-z0-9_]*\)(.*/\1/p' lib/tessera.h | sort -u > "$tmp/declared"
if cmp -s "$tmp/exported" "$tmp/declared"; then ok
else bad "exported symbols differ from the header's: $(diff "$tmp/declared" "$tmp/exported" | head -5 | tr '\n' ' ')"; fi
# the static library the same: its global symbols are the header's
# functions (the internal ones, al_align ..., are local: Makefile)
nm -g --defined-only "$lib/libtessera.a" | awk 'NF == 3 { print $3 }' | sort > "$tmp/archived"
if cmp -s "$tmp/archived" "$tmp/declared"; then ok
else bad "libtessera.a's global symbols differ from the header's: $(diff "$tmp/declared" "$tmp/archived" | head -5 | tr '\n' ' ')"; fi
if objdump -T "$lib/$so" | awk '/ tsr_/ && !/TESSERA_1/' | grep -q .; then
    bad "symbols without the version node TESSERA_1"
else ok; fi
for ex in align_pair index_and_check; do
    # shellcheck disable=SC2046
    if cc -std=c11 -o "$tmp/$ex" "examples/$ex.c" $(pkg-config --cflags --libs tessera) \
           >"$tmp/$ex.cc" 2>&1 &&
       ldd "$tmp/$ex" 2>/dev/null | grep -q "libtessera.so" 2>/dev/null ||
       LD_LIBRARY_PATH=$lib ldd "$tmp/$ex" | grep -q "$lib/libtessera.so"; then
        args=""
        [ "$ex" = index_and_check ] && args="$tmp/ix"
        # shellcheck disable=SC2086
        if LD_LIBRARY_PATH=$lib "$tmp/$ex" $args >"$tmp/$ex.out" 2>&1; then ok
        else bad "examples/$ex against libtessera.so: $(head -c 300 "$tmp/$ex.out")"; fi
    else
        bad "examples/$ex does not build against libtessera.so: $(head -c 300 "$tmp/$ex.cc")"
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
