# a missing input file: exit 3, the message names it
tessera align --json data/align_a.txt data/no-such-file.txt
