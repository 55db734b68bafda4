# the same, indented
tessera align --pretty data/align_a.txt data/align_b.txt
