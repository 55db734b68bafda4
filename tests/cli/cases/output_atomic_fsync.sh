# every output file is written whole (cli/atomic.c): its data fsynced before
# the rename that gives it its name, and its folder fsynced after the rename
# (else a power loss could leave the old file, an empty one, or no name at
# all); the system calls traced with strace(1).  check --jsonl -o and --html,
# dedup -o and --clusters, discover -o, --families, --sqlite (which SQLite
# writes through its own descriptor: the fsync must reach the file renamed,
# not one unlinked before), --html and the work directory's last-run mark.
# Before the helper, no folder was fsynced and the SQLite file not at all.
tessera index -q --db db data/docs.jsonl || exit 10
printf '{"id":"q1","text":"%s"}\n' "$(tr '\n"' '  ' < data/query.txt)" > q.jsonl
mkdir out
run() {
    strace -f -e trace=openat,fsync,linkat,rename,unlink -o trace.txt "$@" >/dev/null ||
        { echo "exit $?: $*"; return; }
    cat trace.txt >> all.txt
}
run tessera check --db db --jsonl q.jsonl -o out/check.jsonl
run tessera check --db db --html out/report.html data/query.txt
run tessera dedup -q data/docs.jsonl -o out/kept.jsonl --clusters clusters.jsonl
run tessera discover -q --db db --workdir w -o out/pairs.jsonl --families fam.jsonl \
    --sqlite out/d.db --html html
# key[X]: the file first created as X (until X is unlinked or renamed) or
# linked to X from an anonymous file (O_TMPFILE); synced[key]: fsynced while
# open; a rename of X to T then says whether T's data was on disk; a later
# fsync of T's folder, whether its name is
awk '
    function arg(s) { sub(/^[^"]*"/, "", s); sub(/".*/, "", s); return s }
    function folder(p) { if (p !~ /\//) return "."; sub(/\/[^\/]*$/, "", p); return p }
    { sub(/^[0-9]+ +/, "") }
    /^openat\(/ && !/= -1/ {
        fd = $NF; n++; fdkey[fd] = n; isdir[fd] = ""
        if (/O_DIRECTORY/) isdir[fd] = arg($0)
        if (/O_CREAT/ && key[arg($0)] == "") key[arg($0)] = n
    }
    /^fsync\(/ && / = 0$/ {
        fd = $0; sub(/^fsync\(/, "", fd); sub(/\).*/, "", fd)
        synced[fdkey[fd]] = 1
        if (isdir[fd] != "")
            for (t in pending) if (folder(t) == isdir[fd]) { dsync[t] = 1; delete pending[t] }
    }
    /^linkat\(/ && / = 0$/ {
        fd = $0; sub(/.*\/proc\/self\/fd\//, "", fd); sub(/".*/, "", fd)
        x = $0; sub(/^[^"]*"[^"]*"[^"]*"/, "", x); sub(/".*/, "", x); key[x] = fdkey[fd]
    }
    /^unlink\(/ && / = 0$/ { key[arg($0)] = "" }
    /^rename\(/ && / = 0$/ {
        x = arg($0); t = $0; sub(/^[^"]*"[^"]*"[^"]*"/, "", t); sub(/".*/, "", t)
        data[t] = key[x] != "" && synced[key[x]]; pending[t] = 1; dsync[t] = 0; seen[t] = 1
        key[x] = ""
    }
    END {
        n = split("out/check.jsonl out/report.html out/kept.jsonl clusters.jsonl " \
                  "out/pairs.jsonl fam.jsonl out/d.db html/index.html w/last-run.json", ts, " ")
        for (i = 1; i <= n; i++) {
            t = ts[i]
            if (!seen[t]) { print t ": never renamed into place"; continue }
            print t ": data fsynced before the rename: " (data[t] ? "yes" : "no") \
                  "; folder fsynced after it: " (dsync[t] ? "yes" : "no")
        }
    }' all.txt
ls -A . out html | grep -c 'tessera-' | sed 's/^/temporary files left: /'
