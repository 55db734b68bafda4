# .bz2 inputs are read (libbz2): a JSON Lines file of two bzip2 streams, as
# pbzip2 writes, a text file in a folder, and standard input by its magic
head -n 2 data/docs.jsonl | bzip2 > docs.jsonl.bz2
tail -n +3 data/docs.jsonl | bzip2 >> docs.jsonl.bz2
mkdir texts
bzip2 -c data/align_a.txt > texts/a.txt.bz2
tessera index -q --db db docs.jsonl.bz2 texts || exit 10
bzip2 -c data/align_b.txt | tessera index -q --db db - || exit 11
tessera stats --db db | grep '^documents'
wc -l < data/docs.jsonl
# a damaged .bz2: bad input, the file named
printf 'BZh9 not really bzip2' > bad.jsonl.bz2
tessera index -q --db db bad.jsonl.bz2
echo "exit $?"
