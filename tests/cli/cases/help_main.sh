# the overview: stdout, exit 0
tessera --help
