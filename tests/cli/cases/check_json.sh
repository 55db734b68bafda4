# index the corpus, check a text that reuses two of its documents
tessera index -q --db db data/corpus || exit 10
tessera check --db db --json data/query.txt
