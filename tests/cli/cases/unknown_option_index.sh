# an unknown option: a hint on stderr, exit 2
tessera index --no-such-option data/query.txt
