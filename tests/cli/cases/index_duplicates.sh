# indexing the same files twice: duplicates are reported and skipped
tessera index -q --db db data/corpus || exit 10
tessera index --db db data/corpus
echo "exit $?"
tessera stats --db db --json | grep -o "\"documents\":[0-9]*"
