# counts of a small index, as JSON
tessera index -q --db db data/corpus data/docs.jsonl || exit 10
tessera stats --db db --json
