# discover --text --offsets chars --fields url: pairs and families with the
# spans' text, code-point offsets and the url of each document
tessera index -q --db db data/multibyte.jsonl || exit 10
tessera discover -q --db db --text --offsets chars --fields url --families f.jsonl
cat f.jsonl
