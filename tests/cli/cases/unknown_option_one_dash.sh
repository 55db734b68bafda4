# a long option written with one dash: one line naming the long one, exit 2
tessera check -min-words 20 data/query.txt
