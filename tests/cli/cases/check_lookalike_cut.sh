# a quarterly report on a wire template that 30 indexed reports share (other
# companies, other figures): by default (E-value <= 10) check reports no
# source for it, as none holds its text; with --no-significance the
# template look-alikes come back, each with its large E-value
awk -v n=31 -f data/earnings.awk > all.jsonl
head -n 30 all.jsonl > corpus.jsonl
tail -n 1 all.jsonl | sed 's/.*"text":"//; s/"}$//' > query.txt
tessera index -q --db db corpus.jsonl || exit 10
echo "default:"
tessera check --db db --json query.txt | cut -c1-60
echo "--no-significance:"
tessera check --db db --json --no-significance query.txt |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r["passages"]) > 0, all(p["evalue"] > 1 for p in r["passages"]))'
