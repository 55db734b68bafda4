# a passage of align_a.txt copied from align_b.txt, as JSON
tessera align --json data/align_a.txt data/align_b.txt
