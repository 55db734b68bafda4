# a value given to a flag: one line naming it, exit 2
tessera check --json=yes data/query.txt
