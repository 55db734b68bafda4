# One story indexed three times (re-filings under other ids and headers) and
# another story that shares one of its paragraphs: the three form one group
# ("group"), their coverages add up past 1, and each source's unique share
# counts only the bytes no other group covers
S1="The council voted on Tuesday to close the old harbour bridge for repairs after engineers found deep cracks in two of its stone piers during the spring inspection."
S2="Traffic will be sent along the coast road through the village of Westhaven, which residents say is too narrow for the lorries that serve the fish market every morning."
S3="The mayor said the work should take eleven months and cost about four million pounds, most of it from the national roads fund rather than from local taxes."
for id in wire-1 wire-1-refiled wire-1-update; do
    printf '{"id":"%s","title":"%s","text":"%s %s %s"}\n' "$id" "Bridge closed ($id)" "$S1" "$S2" "$S3"
done > docs.jsonl
printf '{"id":"other","text":"Fishermen were angry. %s They want a ferry instead."}\n' "$S2" >> docs.jsonl
tessera index -q --db db docs.jsonl || exit 10
printf '%s %s %s Nothing else in this letter comes from the wire.\n' "$S1" "$S2" "$S3" > q.txt
tessera check --db db --json q.txt | python3 -c '
import json, sys
r = json.load(sys.stdin)
for s in r["sources"]:
    print(s["id"], s["group"], s["coverage"], s["unique_coverage"], s["bytes_reused"], s["unique_bytes"])
print("sum of coverages", round(sum(s["coverage"] for s in r["sources"]), 6))
first = {}
for s in r["sources"]:
    first.setdefault(s["group"], s)
print("sum of unique shares, one source per group", round(sum(s["unique_coverage"] for s in first.values()), 6), "<= coverage", r["coverage"])
'
tessera check --db db --color=never q.txt | grep "of the text"
tessera check --db db --html r.html q.txt && grep -o "the same text as source [0-9]" r.html | sort | uniq -c
