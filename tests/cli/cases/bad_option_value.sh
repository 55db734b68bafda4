# a bad number for an alignment option: exit 2
tessera check --db db --min-words many data/query.txt
