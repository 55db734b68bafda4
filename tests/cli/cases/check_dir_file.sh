# a directory given as FILE to check is bad input (exit 3), not a system error
tessera index -q --db db data/corpus || exit 10
mkdir folder
tessera check --db db folder
