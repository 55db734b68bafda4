# --help of one command: stdout, exit 0
tessera verify --help
