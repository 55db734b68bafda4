# discover --format passim: one record per passage (member of a family) with
# passim's fields.  Read back in Python by passim's field names: each text is
# the input text sliced by begin/end in code points (a "😀" and a "𝄞", outside
# the BMP, and "£", "é", "—" come before the passages); size counts the
# records of the cluster; series, date and the other input fields are echoed
# (an input field named "size" gives way to passim's own); the families and
# SQLite outputs stay as without it.  Then --fields url
# echoes url alone, and --offsets bytes is refused with it.
cat > in.jsonl <<'JSONL'
{"id": "gaz/1", "series": "gazette", "date": "1851-03-01", "title": "The Gazette", "url": "http://g.x/1", "page": 3, "meta": {"ocr": "good"}, "size": "folio", "text": "Prix £12 😀 café. The committee agreed on Monday that the harbour wall would be rebuilt before the storms of the coming winter reach the town, and the mayor thanked the fishermen for their patience."}
{"id": "cour/7", "series": "courier", "date": "1851-03-04", "url": "http://c.x/7", "text": "Été — déjà 𝄞 vu: news from the coast. The committee agreed on Monday that the harbour wall would be rebuilt before the storms of the coming winter reach the town, and the mayor thanked the fishermen for their patience."}
{"id": "cour/9", "series": "courier", "date": "1851-03-02", "text": "Ünrelated: the committee agreed on Monday that the harbour wall would be rebuilt before the storms of the coming winter reach the town, and the mayor thanked the fishermen for their patience. Then nothing."}
{"id": "gaz/2", "series": "gazette", "date": "1851-03-08", "text": "Naïve readers will remember that the old lighthouse keeper rowed out through the fog every night of the winter to trim the lamp and warn the ships away from the rocks."}
{"id": "cour/12", "series": "courier", "date": "1851-03-11", "text": "« Lighthouse » — the old lighthouse keeper rowed out through the fog every night of the winter to trim the lamp and warn the ships away from the rocks, we are told."}
{"id": "other/1", "text": "Nothing here is reused: cats, dogs, weather in spring and the price of bread in the market square on a Tuesday."}
JSONL
tessera index -q --db db in.jsonl || exit 10
tessera discover -q --db db --format passim -o out.json || exit 11
cat out.json
python3 - <<'PY'
import json
docs = {}
for line in open("in.jsonl", encoding="utf-8"):
    d = json.loads(line)
    docs[d["id"]] = d
recs = [json.loads(l) for l in open("out.json", encoding="utf-8")]
sizes = {}
for r in recs:
    sizes[r["cluster"]] = sizes.get(r["cluster"], 0) + 1
uids = {}
for r in recs:
    d = docs[r["id"]]
    text = d["text"]
    print(r["cluster"], r["size"], r["id"], r["begin"], r["end"],
          "text==slice:", r["text"] == text[r["begin"]:r["end"]],
          "bytes differ:", len(text[:r["begin"]].encode()) != r["begin"],
          "size==records:", r["size"] == sizes[r["cluster"]],
          "series:", r.get("series") == d.get("series"),
          "date:", r.get("date") == d.get("date"),
          "echoed:", all(r.get(k) == v for k, v in d.items()
                         if k not in ("text", "size")),
          "pboiler:", r["pboiler"])
    uids.setdefault(r["uid"], set()).add(r["id"])
print("one id per uid:", all(len(v) == 1 for v in uids.values()))
PY
# the other outputs keep to --text, --offsets and --fields (none here):
# families and SQLite as without --format passim
tessera discover -q --db db --workdir w1 -o /dev/null --families f1.jsonl --sqlite 1.db || exit 12
tessera discover -q --db db --workdir w2 --format passim -o /dev/null --families f2.jsonl \
    --sqlite 2.db || exit 13
cmp f1.jsonl f2.jsonl && echo "families: same"
for db in 1.db 2.db; do
    python3 -c 'import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(list(con.execute("SELECT docno, fields FROM documents")),
      list(con.execute("SELECT a_begin, a_text FROM passages")))' $db
done
tessera discover -q --db db --format passim --fields url | python3 -c '
import json, sys
for l in sys.stdin:
    print(sorted(json.loads(l)))'
tessera discover -q --db db --format passim --offsets bytes
echo "exit $?"
