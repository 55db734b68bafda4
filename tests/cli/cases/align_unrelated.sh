# two unrelated texts: no passage
tessera align --json data/corpus/bread.txt data/corpus/river.txt
