# a sound index: one line per file, exit 0
tessera index -q --db db data/corpus || exit 10
tessera index -q --db db data/docs.jsonl || exit 10
tessera verify --db db
