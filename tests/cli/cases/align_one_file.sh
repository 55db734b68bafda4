# align needs two files: exit 2
tessera align data/align_a.txt
