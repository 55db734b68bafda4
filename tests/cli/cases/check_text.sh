# the text report, no colour
tessera index -q --db db data/corpus || exit 10
tessera check --db db --color=never data/query.txt
