# --offsets takes bytes or chars; --text and --fields go with JSON output
tessera check --db db --json --offsets char data/query.txt; echo "exit $?"
tessera check --db db --text data/query.txt; echo "exit $?"
tessera align --fields url data/align_a.txt data/align_b.txt; echo "exit $?"
tessera align --text data/align_a.txt data/align_b.txt; echo "exit $?"
