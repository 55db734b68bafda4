# --help of one command: stdout, exit 0
tessera align --help
