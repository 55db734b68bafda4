# verify of a missing index: exit 4
tessera verify --db no-such-index
