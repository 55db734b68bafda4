# a new index directory's parent is fsynced once the directory is made (else a
# power loss right after the first commit could lose the directory entry and
# with it the index): the system calls, traced with strace(1)
mkdir p
strace -f -e trace=mkdir,openat,fsync -o trace.txt \
    tessera index -q --db p/new.tsr data/docs.jsonl || exit 10
awk '
    /mkdir\("p\/new\.tsr"/ { made = 1; next }
    made && /openat\(AT_FDCWD, "p", / { fd = $NF; next }
    made && fd != "" && $0 ~ "fsync\\(" fd "\\)" { ok = 1 }
    END { print "parent fsynced after mkdir: " (ok ? "yes" : "no") }' trace.txt
tessera verify --db p/new.tsr > /dev/null && echo "verify: ok"
