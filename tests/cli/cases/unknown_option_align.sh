# an unknown option: one line that names it and points at --help, exit 2
tessera align --no-such-option data/query.txt
