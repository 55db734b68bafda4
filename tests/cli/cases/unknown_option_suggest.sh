# a mistyped option: one line with the nearest option, exit 2
tessera check --min-wrods 20 data/query.txt
