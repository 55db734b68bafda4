# an unknown option: one line that names it and points at --help, exit 2
tessera index --no-such-option data/query.txt
