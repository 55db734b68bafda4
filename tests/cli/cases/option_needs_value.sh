# an option without its value: one line naming it, exit 2
tessera check --db
