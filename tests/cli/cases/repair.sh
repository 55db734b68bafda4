# a flipped bit in a segment's directory: verify finds it and says where
# (exit 1), a check that reads that part of it is refused (exit 4: this
# query's lookups read every chunk of this small directory); repair
# rebuilds the segment from the catalog's texts,
# and then verify is sound and a check gives the answer it gave before
tessera index -q --db db data/corpus data/docs.jsonl || exit 10
tessera check --db db --json data/query.txt > before.json || exit 11
seg=$(ls db/seg-*.tsg | head -n 1)
printf '\377' | dd of="$seg" bs=1 seek=200 conv=notrunc 2>/dev/null
tessera verify --db db > /dev/null; echo "verify: exit $?"
tessera check --db db data/query.txt > /dev/null 2>&1; echo "check: exit $?"
tessera repair --db db > repair.out; echo "repair: exit $?"
sed 's/seg-[0-9]*/seg-N/g; s/computed [0-9a-f]*, header says [0-9a-f]*/computed X, header says Y/; s/db\/seg-N/seg-N/' repair.out
tessera verify --db db --quiet; echo "verify: exit $?"
tessera check --db db --json data/query.txt > after.json
cmp before.json after.json && echo "check: the same answer"
tessera repair --db db --quiet; echo "repair again: exit $?"
