# dedup --substrings --offsets chars: the repeats' spans in code points ("£",
# "é" and "€" before them), sliced from the records' text in Python; and
# --explain's spans, the same way
tessera dedup -q data/multibyte.jsonl -o kept.jsonl --substrings 60 --offsets chars || exit 10
python3 - <<'PY'
import json
for line in open("kept.jsonl", encoding="utf-8"):
    d = json.loads(line)
    for b, e in d.get("tessera_repeats", []):
        print(d["id"], b, e, repr(d["text"][b:e]))
PY
tessera dedup -q data/multibyte.jsonl -o kept2.jsonl --substrings 60 > bytes.jsonl || exit 11
python3 - <<'PY'
import json
for line in open("kept2.jsonl", encoding="utf-8"):
    d = json.loads(line)
    for b, e in d.get("tessera_repeats", []):
        print("bytes:", d["id"], b, e, repr(d["text"].encode()[b:e].decode()))
PY
printf '%s\n' '{"id":"x1","text":"Prix £12, café. The committee agreed on Monday that the harbour wall would be rebuilt before the storms of the coming winter reach the town."}' \
    '{"id":"x2","text":"€€ été: The committee agreed on Monday that the harbour wall would be rebuilt before the storms of the coming winter reach the town."}' > near.jsonl
tessera dedup -q near.jsonl -o near.kept.jsonl --explain --offsets chars > explain.jsonl || exit 12
python3 - <<'PY'
import json
texts = {json.loads(l)["id"]: json.loads(l)["text"] for l in open("near.jsonl", encoding="utf-8")}
for line in open("explain.jsonl", encoding="utf-8"):
    x = json.loads(line)
    for s in x["shared"]:
        print(x["id"], s["begin"], s["end"], texts[x["id"]][s["begin"]:s["end"]] == s["text"],
              repr(texts[x["duplicate_of"]][s["source_begin"]:s["source_end"]]))
PY
