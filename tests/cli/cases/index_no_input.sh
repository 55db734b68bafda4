# index without INPUT: exit 2
tessera index --db db
