# every input fails and nothing was added: the index this run created is
# removed, not left behind empty (exit 3, the bad input)
printf '{"id": "a", "text": \n' > bad.jsonl
tessera index --db new.tsr bad.jsonl
rc=$?
ls
exit $rc
