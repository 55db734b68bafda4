# --text --offsets chars --fields: each passage's text on both sides, offsets
# in code points ("£", "é" and "€" come before the passages), the documents'
# url and title echoed under "fields"; then the same with byte offsets
tessera index -q --db db data/multibyte.jsonl || exit 10
tessera check --db db --json --text --offsets chars --fields url,title data/multibyte_query.txt
tessera check --db db --json --text data/multibyte_query.txt
