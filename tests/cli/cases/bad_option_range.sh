# a number out of range: the option and its range, exit 2
tessera discover --db db --seed 99
