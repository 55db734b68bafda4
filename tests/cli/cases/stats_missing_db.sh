# stats of a missing index: exit 4
tessera stats --db no-such-index
