# align --json --text --offsets chars: code-point offsets and the text of both spans
printf '%s' "$(sed -n 2p data/multibyte.jsonl | sed 's/.*"text": "//; s/"}$//')" > b.txt
tessera align --json --text --offsets chars data/multibyte_query.txt b.txt
