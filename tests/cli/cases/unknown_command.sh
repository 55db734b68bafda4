# an unknown command: a hint on stderr, exit 2
tessera frobnicate
