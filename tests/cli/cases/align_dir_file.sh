# a directory given as FILE is bad input (exit 3), not a system error
mkdir folder
tessera align folder data/align_a.txt
