# a mistyped command: one line with the nearest command, exit 2
tessera chekc --db db data/query.txt
