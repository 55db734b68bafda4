# an output is written whole or not at all (cli/atomic.c): a run that fails
# midway, after lines went to the output's temporary, leaves the file that
# was there as it was; a folder that is missing, a file where a folder should
# be, or a folder as the output are refused with the path and the reason,
# exit 5 (check --jsonl and dedup before they start the work), and the other
# outputs of the run are not written; no temporary file is left behind;
# a full disk under standard output is exit 5 too
tessera index -q --db db data/docs.jsonl || exit 10
# 400 records of random words, cut short halfway through the gzip stream
awk 'BEGIN { srand(7); for (i = 1; i <= 400; i++) { t = "";
    for (k = 0; k < 300; k++) t = t substr("abcdefghijklmnopqrstuvwxyz", 1 + int(rand() * 26), 1 + int(rand() * 3)) " ";
    printf "{\"id\":\"r%d\",\"text\":\"%s\"}\n", i, t } }' > big.jsonl
gzip -c big.jsonl > big.jsonl.gz
head -c $(( $(wc -c < big.jsonl.gz) / 2 )) big.jsonl.gz > cut.jsonl.gz
echo "results of an earlier run" > out.jsonl
tessera check --db db --jsonl cut.jsonl.gz -o out.jsonl
echo "check, input cut short: exit $?; out.jsonl: $(cat out.jsonl)"
{ head -3 data/docs.jsonl; echo '{"id": "x", "text": "unterminated'; } > broken.jsonl
echo "kept by an earlier run" > kept.jsonl
tessera dedup -q broken.jsonl -o kept.jsonl --clusters clusters.jsonl
echo "dedup, malformed input: exit $?; kept.jsonl: $(cat kept.jsonl)"
echo "not a folder" > file
mkdir adir
for o in nodir/out.jsonl file/out.jsonl adir; do
    tessera check --db db --jsonl big.jsonl -o $o; echo "check -o $o: exit $?"
    tessera dedup -q data/docs.jsonl -o $o; echo "dedup -o $o: exit $?"
    tessera dedup -q data/docs.jsonl -o kept2.jsonl --clusters $o; echo "dedup --clusters $o: exit $?"
    tessera discover -q --db db -o $o; echo "discover -o $o: exit $?"
    tessera discover -q --db db -o /dev/null --families $o; echo "discover --families $o: exit $?"
    tessera discover -q --db db -o /dev/null --sqlite $o; echo "discover --sqlite $o: exit $?"
    tessera check --db db --html $o data/query.txt; echo "check --html $o: exit $?"
done
# standard output on a full disk: exit 5 (check --jsonl said nothing, exit 0)
tessera check --db db --jsonl big.jsonl > /dev/full; echo "check --jsonl > /dev/full: exit $?"
tessera dedup -q data/docs.jsonl -o - > /dev/full; echo "dedup -o - > /dev/full: exit $?"
printf '{"id":"q1","text":"%s"}\n' "$(tr '\n"' '  ' < data/query.txt)" > q.jsonl
tessera index -q --db reuse data/docs.jsonl q.jsonl || exit 11   # pairs to write
tessera discover -q --db reuse > /dev/full; echo "discover > /dev/full: exit $?"
ls -A . adir db/discover reuse/discover | grep -e 'tessera-' -e '\.tmp' -e kept2 || echo "no temporary file left"
