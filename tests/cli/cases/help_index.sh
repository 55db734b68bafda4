# --help of one command: stdout, exit 0
tessera index --help
