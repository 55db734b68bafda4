# a FILE whose name is not UTF-8 (byte 0xFF): check --json names it with
# U+FFFD in its place, as the library writes every string, so that every
# line is valid JSON (it was the raw byte: invalid UTF-8, invalid JSON)
tessera index -q --db db data/corpus || exit 10
cp data/query.txt "$(printf 'q\377.txt')"
tessera check --db db --json "$(printf 'q\377.txt')" data/query.txt > out.jsonl || exit 11
python3 -c '
import json
for line in open("out.jsonl", "rb"):
    d = json.loads(line)
    print(ascii(d["file"]), len(d["passages"]) > 0)
'
