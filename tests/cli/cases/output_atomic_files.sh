# what an output's temporary never touches (cli/atomic.c): a user's own file
# named OUT.tmp (check and discover truncated it, then renamed it over OUT);
# a FIFO given as the output, written in place for the reader waiting on it
# (check and dedup renamed a regular file over it: the reader got nothing);
# new outputs get mode 0666 less the umask, as any new file (not mkstemp's
# 0600); an earlier output is replaced whole; no temporary file is left
# the query reuses two documents: discover has passages to write too
printf '{"id":"q1","text":"%s"}\n' "$(tr '\n"' '  ' < data/query.txt)" > q.jsonl
tessera index -q --db db data/docs.jsonl q.jsonl || exit 10
for f in out.jsonl pairs.jsonl fam.jsonl d.db kept.jsonl report.html; do
    echo "my own notes" > $f.tmp
    echo "an earlier run's $f" > $f
done
umask 027
tessera check --db db --jsonl q.jsonl -o out.jsonl || echo "check: exit $?"
tessera check --db db --html report.html data/query.txt > /dev/null || echo "html: exit $?"
tessera dedup -q data/docs.jsonl -o kept.jsonl || echo "dedup: exit $?"
tessera discover -q --db db --workdir w -o pairs.jsonl --families fam.jsonl --sqlite d.db ||
    echo "discover: exit $?"
for f in out.jsonl pairs.jsonl fam.jsonl d.db kept.jsonl report.html; do
    echo "$f: mode $(stat -c %a $f), $(grep -c "earlier run" $f) line(s) of the earlier run;" \
         "$f.tmp: $(cat $f.tmp 2>&1)"
done
mkfifo fifo
for cmd in "check --db db --jsonl q.jsonl -o fifo" "dedup -q data/docs.jsonl -o fifo" \
           "discover -q --db db --workdir w -o fifo"; do
    timeout 10 cat fifo > got.txt &
    reader=$!
    timeout 10 tessera $cmd; rc=$?
    wait $reader
    echo "$cmd: exit $rc; the reader got $(wc -l < got.txt) line(s); fifo is" \
         "$( [ -p fifo ] && echo "still a FIFO" || echo "no longer a FIFO")"
    [ -p fifo ] || { rm -f fifo; mkfifo fifo; }
done
ls -A . w | grep -e 'tessera-' -e '\.part-' || echo "no temporary file left"
