# discover INPUT...: the documents indexed first, in the same run, then
# discovered.  Without --db into a temporary index under $TMPDIR, gone at
# the end (nothing left in $TMPDIR, no ./tessera.tsr made); the pairs are
# those of `tessera index` then `tessera discover`, byte for byte.  With
# --db the index is made and kept, and a second run adds nothing (the ids
# are there: duplicates skipped) and gives the same pairs.  A directory
# and a JSON Lines file in one run; --id-field and --text-field read other
# JSON fields, as for index; --new without --db is refused (no next run).
cat > in.jsonl <<'JSONL'
{"id": "gaz/1", "date": "1851-03-01", "text": "Prix £12 café. The committee agreed on Monday that the harbour wall would be rebuilt before the storms of the coming winter reach the town, and the mayor thanked the fishermen for their patience."}
{"id": "cour/7", "date": "1851-03-04", "text": "News from the coast. The committee agreed on Monday that the harbour wall would be rebuilt before the storms of the coming winter reach the town, and the mayor thanked the fishermen for their patience."}
{"id": "gaz/2", "date": "1851-03-08", "text": "Readers will remember that the old lighthouse keeper rowed out through the fog every night of the winter to trim the lamp and warn the ships away from the rocks."}
{"id": "cour/12", "date": "1851-03-11", "text": "Lighthouse: the old lighthouse keeper rowed out through the fog every night of the winter to trim the lamp and warn the ships away from the rocks, we are told."}
{"id": "other/1", "text": "Nothing here is reused: cats, dogs, weather in spring and the price of bread in the market square on a Tuesday."}
JSONL
mkdir dir tmp
printf 'A letter. The committee agreed on Monday that the harbour wall would be rebuilt before the storms of the coming winter reach the town.\n' > dir/letter.txt
tessera index -q --db two in.jsonl || exit 10
tessera discover -q --db two -o two.jsonl || exit 11
TMPDIR=$PWD/tmp tessera discover -q -o one.jsonl in.jsonl || exit 12
cmp one.jsonl two.jsonl && echo "one step: same pairs ($(wc -l < one.jsonl) lines)"
echo "left in TMPDIR: $(ls tmp | wc -l); ./tessera.tsr: $(test -e tessera.tsr && echo made || echo none)"
TMPDIR=$PWD/tmp tessera discover -q -o dir1.jsonl dir in.jsonl || exit 13
tessera index -q --db two2 dir in.jsonl || exit 14
tessera discover -q --db two2 -o dir2.jsonl || exit 15
cmp dir1.jsonl dir2.jsonl && echo "directory and file: same pairs ($(wc -l < dir1.jsonl) lines)"
tessera discover -q --db kept -o k1.jsonl in.jsonl || exit 16
cmp k1.jsonl two.jsonl && echo "--db: same pairs"
tessera stats --db kept | grep '^documents'
tessera discover --db kept -o k2.jsonl in.jsonl 2> k2.err
echo "again: exit $?"
grep -o "added 0 documents" k2.err
grep -c "^tessera: duplicate id '" k2.err
cmp k1.jsonl k2.jsonl && echo "again: same pairs"
python3 -c '
import json
for l in open("in.jsonl", encoding="utf-8"):
    d = json.loads(l)
    print(json.dumps({"name": d["id"], "when": d.get("date"), "body": d["text"]},
                     ensure_ascii=False))' > renamed.jsonl
TMPDIR=$PWD/tmp tessera discover -q --id-field name --text-field body --date-field when \
    -o r.jsonl renamed.jsonl || exit 17
cmp r.jsonl two.jsonl && echo "--id-field --text-field --date-field: same pairs"
TMPDIR=$PWD/tmp tessera discover -q --new in.jsonl
echo "--new without --db: exit $?"
echo "left in TMPDIR: $(ls tmp | wc -l)"
