# an unknown option: a hint on stderr, exit 2
tessera check --no-such-option data/query.txt
