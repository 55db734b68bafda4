# the same as a text report, no colour
tessera align --color=never data/align_a.txt data/align_b.txt
