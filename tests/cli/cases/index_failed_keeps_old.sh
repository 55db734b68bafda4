# an index that existed before the run stays, whatever the run adds
tessera index -q --db db data/corpus || exit 10
printf '{"id": "a", "text": \n' > bad.jsonl
tessera index -q --db db bad.jsonl
rc=$?
tessera stats --db db | grep '^documents' || exit 11
exit $rc
