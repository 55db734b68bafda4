# the text on standard input gives the same JSON as check_json
tessera index -q --db db data/corpus || exit 10
tessera check --db db --json - < data/query.txt
