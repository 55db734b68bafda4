# an unknown option: a hint on stderr, exit 2
tessera stats --no-such-option data/query.txt
