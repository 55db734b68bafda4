# the same, indented
tessera index -q --db db data/corpus || exit 10
tessera check --db db --pretty data/query.txt
