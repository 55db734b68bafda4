# ids from a file (CRLF lines, an empty line, an id listed twice) and from
# the arguments; --force takes the id the index does not hold in silence
tessera index -q --db db data/docs.jsonl || exit 10
printf 'light-1\r\n\r\nunicode-1\nlight-1\nno-such-id\n' > ids.txt
tessera remove --db db --force --ids-from ids.txt bread-1 2>&1
echo "exit $?"
tessera stats --db db --json | grep -o '"documents":[0-9]*'
tessera verify --db db -q
echo "verify exit $?"
# from stdin, ids all gone now: each is named, exit 3, nothing printed by -q
printf 'light-1\nbread-1\n' | tessera remove --db db -q --ids-from - 2>&1
echo "exit $?"
