# discover --paraphrase: the same rewritten paragraph found between the two
# indexed documents (pairs as JSON Lines); without it, only the short
# sentence they share verbatim (a brief passage: 13 words, E 2e-13)
tessera index -q --db db data/rewrite_b.txt data/rewrite_q.txt || exit 10
tessera discover -q --db db --workdir w1 -o plain.jsonl || exit 11
tessera discover -q --db db --workdir w2 --paraphrase -o pp.jsonl || exit 12
cat plain.jsonl
echo ---
cat pp.jsonl
