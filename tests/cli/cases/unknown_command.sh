# an unknown command: one line that points at --help, exit 2
tessera frobnicate
