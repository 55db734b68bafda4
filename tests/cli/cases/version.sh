# the version line
tessera --version
