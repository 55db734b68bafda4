#!/bin/sh
# bench/serve.sh - `tessera serve` under load: wrk on loopback against
# POST /api/check (the serve part of the benchmarks; `make bench-serve`).
#
#   sh bench/serve.sh
#
# 1. the index of the bench corpus ($TESSERA_BENCH_DIR/corpus-N.jsonl, made
#    by bench/gen_corpus.py as bench/run.sh makes it, unless it is there;
#    default N = 100000, whatever size the rest of `make bench` ran), built once into
#    $TESSERA_BENCH_DIR/serve-index-N and reused while the corpus is the same
# then, once for each document cache size in $TESSERA_SERVE_CACHES (default
# "512M 0": serve's default, and none):
# 2. `tessera serve --threads $(nproc) --quiet --cache SIZE` on 127.0.0.1, a
#    free port; one check compared with `tessera check --json` (the server
#    must answer what the CLI answers)
# 3. warm-up: wrk for 10 s (the mapped index pages come in; with a cache,
#    the candidate documents of the queries)
# 4. the run: wrk -t2 -c64 -d60s --latency, the 1,000-word bench queries in
#    turn (bench/serve.lua) and 4,800 more (bench/serve_queries.py: each
#    stitched from random documents of the whole corpus, every one
#    different), while the server's RSS is sampled every 5 s, documents are
#    added through the API (bench/serve_probe.py: a batch of 10 new
#    documents every second; the server works on a copy of the index) and
#    GET /healthz is timed every 20 ms on a connection of its own (p50, p99,
#    max; target p99 under 10 ms); the cache's hits and misses over the run
#    from GET /api/stats
# 5. a Markdown section on stdout and in bench/results/serve-latest.md:
#    requests/s, p50/p90/p99/max latency, errors (socket errors and non-2xx
#    answers; must be 0), RSS at the start and end of the run and its peak,
#    the share of candidate documents found in the cache
#
# Environment: TESSERA_SERVE_DOCS (100000; TESSERA_BENCH_DOCS is the size of
# bench/run.sh's own corpus, 1M by default, and does not change it), TESSERA_BENCH_DIR
# (/tmp/tessera-bench), TESSERA_SERVE_SECONDS (60), TESSERA_SERVE_CONNS (64),
# TESSERA_SERVE_THREADS (nproc), TESSERA_SERVE_CACHES ("512M 0"),
# TESSERA_SERVE_EXTRA (4800: texts added to the bench queries),
# TESSERA (build/tessera).
# Needs wrk (Debian package wrk) and python3.  Loopback only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
tessera=${TESSERA:-$repo/build/tessera}
data=${TESSERA_DATA:-$(dirname "$repo")/shared/data}
py=${PYTHON:-python3}
. "$here/lib.sh"
docs=${TESSERA_SERVE_DOCS:-100000}
nq=${TESSERA_BENCH_QUERIES:-200}
peer_docs=${TESSERA_BENCH_PEER_DOCS:-100000}
work=${TESSERA_BENCH_DIR:-/tmp/tessera-bench}
secs=${TESSERA_SERVE_SECONDS:-60}
conns=${TESSERA_SERVE_CONNS:-64}
threads=${TESSERA_SERVE_THREADS:-$(nproc 2>/dev/null || echo 2)}
caches=${TESSERA_SERVE_CACHES:-512M 0}
die() { echo "bench/serve.sh: $*" >&2; exit 2; }
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk, or sh scripts/install-deps.sh)"
[ -x "$tessera" ] || die "$tessera not found; run make"
corpus=$work/corpus-$docs.jsonl
queries=$work/queries-$docs.jsonl
case "$work" in "$repo"|"$repo"/*) die "TESSERA_BENCH_DIR must be outside the repository" ;; esac
[ -f "$data/news.jsonl" ] || [ -f "$corpus" ] || die "$data/news.jsonl not found; set TESSERA_DATA"
bench_corpus "$docs" || die "bench/gen_corpus.py failed"
mkdir -p "$here/results"

# ---- 1. index ---------------------------------------------------------------
ix=$work/serve-index-$docs
want="$(cksum < "$work/corpus-$docs.stamp") $(stat -c %Y "$corpus")"
if [ ! -f "$ix.stamp" ] || [ "$(cat "$ix.stamp")" != "$want" ]; then
    echo "== index: $corpus -> $ix" >&2
    rm -rf "$ix" "$ix.stamp"
    "$tessera" index --db "$ix" "$corpus" >&2
    echo "$want" > "$ix.stamp"
fi
ndocs=$("$tessera" stats --db "$ix" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"])')

# ---- 2. server ----------------------------------------------------------------
run=$(mktemp -d "${TMPDIR:-/tmp}/tsr-bench-serve-XXXXXX")
spid=""
cleanup() {
    [ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# bodies: {"text": ...} per line: the bench queries, then 4,800 more texts,
# each different, stitched from random documents of the corpus
python3 "$here/serve_queries.py" "$corpus" "$queries" "$run/bodies.jsonl" \
    --extra "${TESSERA_SERVE_EXTRA:-4800}" > /dev/null
nq=$(wc -l < "$run/bodies.jsonl")
words=$(python3 -c '
import json, re, sys
n = [len(re.findall(r"\w+", json.loads(l)["text"])) for l in open(sys.argv[1])]
print(round(sum(n) / len(n)))' "$run/bodies.jsonl")

# the cache's counters (hits misses) from GET /api/stats
cache_counts() {
    python3 -c '
import json, sys, urllib.request
c = json.load(urllib.request.urlopen(sys.argv[1] + "/api/stats", timeout=30))["cache"]
print(c["hits"], c["misses"], c["bytes"])' "$url"
}

# one server, warm-up, run and report, with document cache size $1
serve_run() {
cache=$1
echo "== server with --cache $cache" >&2
rm -rf "$run/ix"
cp -r "$ix" "$run/ix"
printf 'bench-serve-key-0123456789\n' > "$run/key"
chmod 600 "$run/key"
# every client is 127.0.0.1: wrk's connections and the probe's would be
# over the default --max-per-ip (64)
"$tessera" serve --db "$run/ix" --listen 127.0.0.1:0 --threads "$threads" --quiet \
    --max-connections 512 --max-per-ip 0 --cache "$cache" --api-key-file "$run/key" \
    2> "$run/serve.log" &
spid=$!
port=""
i=0
while [ $i -lt 200 ] && [ -z "$port" ]; do
    port=$(sed -n 's|.* on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$run/serve.log")
    [ -z "$port" ] && sleep 0.1
    i=$((i + 1))
done
[ -n "$port" ] || die "server did not start: $(cat "$run/serve.log")"
url=http://127.0.0.1:$port

head -n 1 "$run/bodies.jsonl" > "$run/one.json"
python3 -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["text"])' \
    "$run/one.json" > "$run/one.txt"
"$tessera" check --db "$run/ix" --json "$run/one.txt" > "$run/cli.json"
python3 - "$url" "$run/one.json" "$run/cli.json" <<'PY' || die "the server's answer differs from tessera check --json"
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/check", data=open(sys.argv[2], "rb").read(),
                             headers={"Content-Type": "application/json"})
got = json.load(urllib.request.urlopen(req, timeout=30))
sys.exit(0 if got == json.load(open(sys.argv[3])) else 1)
PY

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$spid/status"; }
# CPU seconds the server used so far (utime + stime, in clock ticks)
cpu() { sed 's/.*) //' "/proc/$spid/stat" | awk '{ print $12 + $13 }'; }

# ---- 3. warm-up, 4. run ---------------------------------------------------------
echo "== warm-up: 10 s" >&2
wrk -t2 -c"$conns" -d10s -s "$here/serve.lua" "$url" -- "$run/bodies.jsonl" > "$run/warm.txt"
rss0=$(rss)
cpu0=$(cpu)
c0=$(cache_counts)
echo "== run: ${secs} s at $conns connections, $threads server threads ($ndocs documents)" >&2
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$here/serve.lua" "$url" -- "$run/bodies.jsonl" \
    > "$run/wrk.txt" &
wpid=$!
python3 "$here/serve_probe.py" "$url" "$run/key" "$secs" > "$run/probe.json" &
ppid=$!
: > "$run/rss.txt"
while kill -0 "$wpid" 2>/dev/null; do
    rss >> "$run/rss.txt"
    sleep 5
done
wait "$wpid"
wait "$ppid" || die "the probe failed: $(cat "$run/probe.json")"
rss1=$(rss)
cpu1=$(cpu)
c1=$(cache_counts)
hz=$(getconf CLK_TCK)
# the HTTP layer alone, for scale: GET /healthz for 5 s
wrk -t2 -c"$conns" -d5s "$url/healthz" > "$run/health.txt"
hrps=$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' "$run/health.txt")
kill -TERM "$spid"
wait "$spid" || die "server exit status $?"
spid=""
cp "$run/wrk.txt" "$here/results/serve-wrk-cache-$cache.txt"

# ---- 5. report ---------------------------------------------------------------------
python3 - "$run/wrk.txt" "$run/rss.txt" "$rss0" "$rss1" "$ndocs" "$nq" "$words" "$secs" \
    "$conns" "$threads" "$(nproc)" "$(( cpu1 - cpu0 ))" "$hz" "$hrps" "$cache" "$c0" "$c1" \
    "$run/probe.json" <<'PY' | tee -a "$here/results/serve-latest.md" || bad=1
import json, sys
(wrk, rssf, rss0, rss1, ndocs, nq, words, secs, conns, threads, ncpu, ticks, hz, hrps,
 cache, c0, c1, probef) = sys.argv[1:]
probe = json.load(open(probef))
h0, m0, _ = (int(x) for x in c0.split())
h1, m1, cbytes = (int(x) for x in c1.split())
v = None
for line in open(wrk):
    if line.startswith("WRKJSON "):
        v = json.loads(line[8:])
if v is None:
    sys.exit("no WRKJSON line in the wrk output")
rss = [int(x) for x in open(rssf).read().split()]
rss0, rss1 = int(rss0), int(rss1)
errs = v["err_connect"] + v["err_read"] + v["err_write"] + v["err_status"] + v["err_timeout"]
errs += probe["errors"]
rps = v["requests"] / (v["duration_us"] / 1e6)
ms = lambda us: "%.2f ms" % (us / 1000.0)
growth = rss1 - rss0
flat = abs(growth) <= max(0.05 * rss0, 16 * 1024)
print("\n### `--cache %s`\n" % cache)
print("| measure | value |")
print("|---|---|")
print("| index | %s documents (bench corpus) |" % ndocs)
print("| load | wrk -t2 -c%s -d%ss, POST /api/check, %s texts of ~%s words in turn (the bench queries, then texts stitched from random corpus documents), loopback |"
      % (conns, secs, nq, words))
print("| server | `tessera serve --threads %s --quiet --cache %s`, %s cores shared with wrk |"
      % (threads, cache, ncpu))
look = (h1 - h0) + (m1 - m0)
print("| document cache over the run | %s |" % (
    "%.1f%% of %d candidate documents found in it; %.1f MB held"
    % (100.0 * (h1 - h0) / look, look, cbytes / 1e6) if look and cache != "0" else "none"))
print("| requests/s | **%.0f** (%d requests) |" % (rps, v["requests"]))
cores = int(ticks) / int(hz) / (v["duration_us"] / 1e6)
print("| server CPU | %.2f cores busy (the rest: wrk, other work); %.2f ms CPU per request |"
      % (cores, cores * 1000.0 / rps))
print("| latency p50 / p90 / p99 / max | %s / %s / %s / %s |"
      % (ms(v["p50_us"]), ms(v["p90_us"]), ms(v["p99_us"]), ms(v["max_us"])))
print("| errors (connect, read, write, non-2xx, timeout; the probe's adds and health checks) | %d (%d, %d, %d, %d, %d; %d) |"
      % (errs, v["err_connect"], v["err_read"], v["err_write"], v["err_status"], v["err_timeout"],
         probe["errors"]))
print("| server RSS after warm-up -> end of run (peak) | %.1f -> %.1f MB (%.1f MB): %s |"
      % (rss0 / 1024, rss1 / 1024, max(rss + [rss0, rss1]) / 1024,
         "flat" if flat else "GREW by %.1f MB" % (growth / 1024)))
print("| RSS samples every 5 s, MB | %s |" % " ".join("%.0f" % (x / 1024) for x in rss))
print("| documents added through the API during the run | %d in %d batches of 10, one a second; answers %s |"
      % (probe["added"], probe["batches"], probe["statuses"]))
hz_ = probe["healthz_ms"]
print("| GET /healthz during the run, every 20 ms (%d) p50 / p99 / max | %.2f / **%.2f** / %.2f ms (target p99 < 10 ms: %s) |"
      % (hz_["n"], hz_["p50"], hz_["p99"], hz_["max"], "yes" if hz_["p99"] < 10 else "**no**"))
print("| the HTTP layer alone: GET /healthz, same load, 5 s | %.0f requests/s |" % float(hrps or 0))
print("| target: >= 2,000 checks/s on 2 cores | %s |" % ("yes" if rps >= 2000 else "**no**"))
sys.exit(0 if errs == 0 else 1)
PY
}

: > "$here/results/serve-latest.md"
bad=0
for c in $caches; do
    serve_run "$c"
done
exit $bad
