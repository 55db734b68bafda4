# --jsonl with --text, --offsets chars and --fields all (every extra field)
tessera index -q --db db data/multibyte.jsonl || exit 10
printf '{"id":"q1","text":"%s"}\n' "$(tr -d "\n" < data/multibyte_query.txt)" > q.jsonl
tessera check --db db --jsonl q.jsonl --text --offsets chars --fields all
