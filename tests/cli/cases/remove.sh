# remove a document (and an id the index does not hold: named, exit 3, the
# other removed all the same); then check, discover, stats and verify no
# longer see it, before and after the merge that drops its postings
mkdir in
cp data/corpus/*.txt in/
cp data/corpus/lighthouse.txt in/lighthouse-copy.txt
tessera index -q --db db in || exit 10
echo "== before"
tessera check --db db --json data/query.txt | grep -o '"id":"[^"]*"'
tessera discover -q --db db > d.jsonl
echo "discover exit $?, $(wc -l < d.jsonl) pair(s)"
grep -o '"id":"[^"]*"' d.jsonl
tessera stats --db db --json | grep -o '"documents":[0-9]*'
echo "== remove"
tessera remove --db db in/lighthouse-copy.txt no-such-id 2>&1
echo "exit $?"
echo "== after"
tessera check --db db --json data/query.txt | grep -o '"id":"[^"]*"'
tessera discover -q --db db > d.jsonl
echo "discover exit $?, $(wc -l < d.jsonl) pair(s)"
tessera stats --db db --json | grep -o '"documents":[0-9]*'
tessera verify --db db
echo "verify exit $?"
echo "== remove the original, --reclaim"
tessera remove --db db --reclaim in/lighthouse.txt
echo "exit $?"
tessera check --db db --json data/query.txt | grep -o '"id":"[^"]*"'
tessera stats --db db --json | grep -o '"documents":[0-9]*'
tessera verify --db db
echo "verify exit $?"
echo "== indexed again"
tessera index -q --db db in/lighthouse-copy.txt || exit 11
tessera check --db db --json data/query.txt | grep -o '"id":"[^"]*"'
tessera stats --db db --json | grep -o '"documents":[0-9]*'
tessera verify --db db -q
echo "verify exit $?"
