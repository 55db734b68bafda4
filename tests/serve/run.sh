#!/bin/sh
# tests/serve/run.sh - the tests of `tessera serve` (`make test`, tier "serve").
#
#   sh tests/serve/run.sh [--api-only]
#
# 1. API: tests/serve/api_test.py (python3, standard library) starts its own
#    servers on 127.0.0.1, port 0, and checks every endpoint, every error,
#    concurrent adds and checks, hostile clients, limits and SIGTERM.
# 2. Browser (not with --api-only): tests/serve/browser.mjs, Playwright
#    (playwright-core from tests/serve/package-lock.json, installed here with
#    `npm ci` when node_modules is missing) driving Debian's chromium against
#    a server on 127.0.0.1: paste a text built from indexed documents, see the
#    highlighted passages and a source side by side.  Screenshots go to
#    build/serve-test/ (page.png, page-doc.png).
#
# Environment: TESSERA_BIN (default build/tessera), DATAGEN_BIN (default
# build/tests/datagen), CHROMIUM (default /usr/bin/chromium), TMPDIR.
# Only loopback addresses; every server is stopped at the end; every step is
# bounded by timeout(1).  Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
api_only=0
for a in "$@"; do
    case $a in
    --api-only) api_only=1 ;;
    *) echo "usage: sh tests/serve/run.sh [--api-only]" >&2; exit 2 ;;
    esac
done
bin=${TESSERA_BIN:-$root/build/tessera}
gen=${DATAGEN_BIN:-$root/build/tests/datagen}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
case $gen in /*) ;; *) gen=$root/$gen ;; esac
passed=0
failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/tsr-serve-XXXXXX") || exit 5
spid=""
cleanup() {
    if [ -n "$spid" ]; then kill -TERM "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL - $*"; failed=$((failed + 1)); }
ok() { echo "ok - $*"; passed=$((passed + 1)); }
# add up the "N passed, N failed" line of a runner's output file
tally() {
    _line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
    if [ -z "$_line" ]; then fail "$2: no summary (crashed or timed out)"; return; fi
    _p=${_line%% passed*}
    _f=${_line#*passed, }
    _f=${_f%% failed*}
    passed=$((passed + _p))
    failed=$((failed + _f))
}

if [ ! -x "$bin" ] || [ ! -x "$gen" ]; then
    echo "tests/serve/run.sh: $bin or $gen not built (make tests)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
"$gen" --seed 11 --docs 400 --jsonl > "$work/docs.jsonl" || { echo "0 passed, 1 failed"; exit 1; }

# ---- 1. API ---------------------------------------------------------------
mkdir "$work/api"
# the mmap-failing shim of one case (skipped when it cannot be built, and
# under AddressSanitizer, whose runtime must be the first preloaded library)
failmap=""
if ! ldd "$bin" 2>/dev/null | grep -q libasan &&
   ${CC:-cc} -shared -fPIC -o "$work/failmap.so" "$here/failmap.c" -ldl 2>/dev/null; then
    failmap=$work/failmap.so
fi
# the long check's text is 16 MB in a plain build (3-5 s); under
# AddressSanitizer the same check took 325 s here, 6 times over 13 s
slow=20
if ldd "$bin" 2>/dev/null | grep -q libasan; then slow=6; fi
timeout 400 python3 "$here/api_test.py" --tessera "$bin" --work "$work/api" \
    --docs "$work/docs.jsonl" --failmap "$failmap" --slow-repeat "$slow" > "$work/api.out" 2>&1
cat "$work/api.out"
tally "$work/api.out" "api_test.py"

# ---- 2. Browser -------------------------------------------------------------
if [ "$api_only" = 0 ]; then
    chromium=${CHROMIUM:-/usr/bin/chromium}
    if [ ! -x "$chromium" ] || ! command -v node >/dev/null 2>&1; then
        fail "browser: needs $chromium and node (sh scripts/install-deps.sh)"
    elif [ ! -d "$here/node_modules/playwright-core" ] &&
         ! (cd "$here" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
             > "$work/npm.out" 2>&1; then
        fail "browser: npm ci failed: $(tail -n 3 "$work/npm.out")"
    else
        # an index of readable documents (ids corpus/*.txt) and the filler
        mkdir "$work/b"
        cp -r "$root/tests/data/corpus" "$work/b/corpus"
        cp "$root/tests/data/docs.jsonl" "$work/b/docs.jsonl"
        # two documents whose ids are the names of Object's own properties: the
        # page must not look them up in plain objects
        p1="The harbour master counted seventeen fishing boats leaving before dawn, each painted a different shade of green, and wrote their names into the ledger that his grandfather had started when the pier was still made of oak planks and tar."
        p2="Behind the old mill a narrow path climbs through the beech wood to a clearing where the villagers once dried flax in late summer, turning the bundles by hand every evening until the stalks rattled like paper in the wind."
        printf '{"id":"__proto__","text":"%s"}\n{"id":"constructor","text":"%s"}\n' "$p1" "$p2" \
            > "$work/b/odd.jsonl"
        (cd "$work/b" && "$bin" index --db ix corpus docs.jsonl odd.jsonl "$work/docs.jsonl") \
            > /dev/null 2>&1 || fail "browser: indexing"
        { cat "$root/tests/data/query.txt"; echo; sed -n '3,9p' "$root/tests/data/corpus/river.txt"
          echo; echo "$p1"; echo; echo "$p2"; } > "$work/b/query.txt"
        (cd "$work/b" && "$bin" check --db ix --json query.txt) > "$work/b/check.json"
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({"sources": [s["id"] for s in r["sources"]]}))' \
            "$work/b/check.json" > "$work/b/expect.json"
        "$bin" serve --db "$work/b/ix" --listen 127.0.0.1:0 --threads 2 2> "$work/b/serve.log" &
        spid=$!
        port=""
        i=0
        while [ $i -lt 100 ] && [ -z "$port" ]; do
            port=$(sed -n 's|.* on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/b/serve.log")
            [ -z "$port" ] && sleep 0.1
            i=$((i + 1))
        done
        if [ -z "$port" ]; then
            fail "browser: server did not start: $(cat "$work/b/serve.log")"
        else
            mkdir -p "$root/build/serve-test"
            timeout 180 node "$here/browser.mjs" "http://127.0.0.1:$port/" "$work/b/query.txt" \
                "$work/b/expect.json" "$root/build/serve-test/page.png" > "$work/browser.out" 2>&1
            cat "$work/browser.out"
            tally "$work/browser.out" "browser.mjs"
        fi
        kill -TERM "$spid" 2>/dev/null
        if wait "$spid"; then ok "browser: server stopped cleanly"; else fail "browser: server exit status $?"; fi
        spid=""
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
