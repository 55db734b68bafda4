# Eurobond launches on one wire template that 12 of the 812 indexed
# documents hold: fewer than the boilerplate level (20), so the template's
# phrases weigh as rare.  A 13th launch (another bank, other figures) is a
# template look-alike of each: its figures differ, so by default check
# reports no source for it (signif.c, step 7; before the figures were
# weighed, all three look-alikes the aligner finds were reported at E-values
# of 1e-10).  With --no-significance they come back, each E-value above the
# default cut of 10.  A copy of one launch (its figures kept, two words
# changed) is reported, from that launch alone.
awk -v n=13 -v fill=800 -f data/eurobonds.awk > all.jsonl
head -n 812 all.jsonl > corpus.jsonl
tail -n 1 all.jsonl | sed 's/.*"text":"//; s/"}$//' > lookalike.txt
grep '"bond05"' all.jsonl | sed 's/.*"text":"//; s/"}$//; s/ said it is / is /; s/ combined\./ together./' > copy.txt
tessera index -q --db db corpus.jsonl || exit 10
echo "look-alike, default:"
tessera check --db db --json lookalike.txt |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r["passages"]), "passages")'
echo "look-alike, --no-significance:"
tessera check --db db --json --no-significance lookalike.txt |
    python3 -c 'import json,sys; r=json.load(sys.stdin); ps=r["passages"]; print(len(ps) > 0, all(p["evalue"] > 10 for p in ps))'
echo "copy, default:"
tessera check --db db --json copy.txt |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(sorted({p["source"]["id"] for p in r["passages"]}), all(p["evalue"] < 1e-6 for p in r["passages"]))'
