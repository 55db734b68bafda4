tessera remove --help
