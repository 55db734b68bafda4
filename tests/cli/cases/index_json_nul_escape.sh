# "\u0000" inside a JSON text is a character of the text (read as a space),
# not binary input: indexed, and check finds the passage around it
printf '{"id":"n1","text":"%s\\u0000%s"}\n' "$(tr '\n"' '  ' < data/align_a.txt)" "tail words" > nul.jsonl
tessera index -q --db db nul.jsonl
echo "exit $?"
tessera check --db db --json data/align_a.txt | grep -o '"id":"n1"' | head -1
