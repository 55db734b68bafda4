# documents from JSON Lines keep their title, date and series
tessera index -q --db db data/docs.jsonl || exit 10
tessera check --db db --json data/query.txt
