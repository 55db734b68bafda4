# no index there: exit 4
tessera check --db no-such-index --json data/query.txt
