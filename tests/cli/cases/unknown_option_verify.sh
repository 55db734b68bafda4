# an unknown option: a hint on stderr, exit 2
tessera verify --no-such-option data/query.txt
