# dedup of a folder with a binary file: skipped with one warning (not one per
# pass), the text files kept
mkdir in
cp data/align_a.txt in/a.txt
printf 'x\0y' > in/b.bin
tessera dedup -q in -o out.jsonl
echo "exit $?"
grep -c '"id"' out.jsonl
