# counts of a small index, as text
tessera index -q --db db data/corpus || exit 10
tessera stats --db db
