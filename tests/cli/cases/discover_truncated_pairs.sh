# A work directory whose pairs stage is cut to its first record (the magic
# alone, as a crash or a damaged disk could leave it) is recomputed, not
# read past its end: the rerun gives the first run's output.
tessera index -q --db db data/docs.jsonl
tessera discover -q --db db --workdir w -o a.jsonl --families fa.jsonl
head -c 16 w/pairs > p && mv p w/pairs
rm -f w/links
tessera discover -q --db db --workdir w -o b.jsonl --families fb.jsonl
echo "exit $?"
cmp a.jsonl b.jsonl && cmp fa.jsonl fb.jsonl && echo same
