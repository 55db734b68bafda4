# a text that reuses nothing: no passages, coverage 0
tessera index -q --db db data/corpus/bread.txt data/corpus/river.txt || exit 10
tessera check --db db --json data/corpus/orchard.txt
