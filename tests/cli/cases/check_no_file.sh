# check without FILE: exit 2
tessera check --db db
