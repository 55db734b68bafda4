# index a directory: nothing on stdout, a summary on stderr
tessera index --db db data/corpus
