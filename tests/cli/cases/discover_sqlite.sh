# discover --sqlite: the run's parameters in the summary (tessera_version
# left out here); with --text, --offsets chars and --fields url, each
# passage's text, code-point offsets and the documents' fields
tessera index -q --db db data/multibyte.jsonl || exit 10
tessera discover -q --db db --workdir w --min-words 12 --max-df 50 --cross-source \
    --text --offsets chars --fields url -o /dev/null --sqlite d.db || exit 11
python3 - <<'PY'
import sqlite3
con = sqlite3.connect("d.db")
for k, v in con.execute("SELECT key, value FROM summary WHERE key != 'tessera_version'"):
    print(k, repr(v))
for row in con.execute("SELECT * FROM documents ORDER BY docno"):
    print(row)
for row in con.execute("SELECT a_docno, a_begin, a_end, b_docno, b_begin, b_end, a_text, b_text"
                       " FROM passages ORDER BY a_begin"):
    print(row)
PY
