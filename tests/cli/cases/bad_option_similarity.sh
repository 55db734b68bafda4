# a similarity out of range: the option and its range, exit 2
tessera align --min-similarity 1.5 data/query.txt data/query.txt
