# check --jsonl: one line per record, in order, with its id; a record that
# cannot be checked gets "error" and the exit code is 3; -o writes the file
tessera index -q --db db data/docs.jsonl || exit 10
{ printf '{"id":"q1","text":"%s"}\n' "$(tr '\n"' '  ' < data/query.txt)"
  printf '{"id":"q2","text":"nothing here is reused at all"}\n'
  printf '{"id":"q3","txt":"no text field"}\n'; } > q.jsonl
tessera check --db db --jsonl q.jsonl -o out.jsonl
echo "exit $?"
cut -c1-60 out.jsonl
ls out.jsonl*
