# an unknown option: a hint on stderr, exit 2
tessera align --no-such-option data/query.txt
