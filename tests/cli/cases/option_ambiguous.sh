# an abbreviation that fits several options: one line listing them, exit 2
tessera check --max 3 data/query.txt
