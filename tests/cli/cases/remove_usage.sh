# no id at all is a usage error (exit 2); a missing index is exit 4; a
# missing ids file exit 3
tessera remove --db db 2>&1
echo "exit $?"
tessera remove --db nowhere some-id 2>&1
echo "exit $?"
tessera index -q --db db data/docs.jsonl || exit 10
tessera remove --db db --ids-from no-such-file 2>&1
echo "exit $?"
tessera stats --db db --json | grep -o '"documents":[0-9]*'
