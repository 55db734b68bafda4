# 30 quarterly reports on one template (other companies, other figures:
# template look-alikes) and three documents that share one real passage.
# By default (E-value <= 10) only the real family is reported; with the cut
# off, families held together by strong links come first: the real family
# is family 0, the template's after it (numbered by size alone, the
# template's came first).
{
awk -v n=30 -f data/earnings.awk
awk 'BEGIN {
  p = "The lighthouse keeper of Gull Point wrote in his log that the fog horn had failed twice during the storm of the ninth, and that the relief boat from Kirkwall could not land until the swell had dropped."
  printf "{\"id\":\"log-a\",\"text\":\"Archive note one. %s The entry was signed by the keeper.\"}\n", p
  printf "{\"id\":\"log-b\",\"text\":\"A historian quoted it: %s Nothing else survives from that winter.\"}\n", p
  printf "{\"id\":\"log-c\",\"text\":\"%s So the museum label reads today.\"}\n", p
}'
} > corpus.jsonl
tessera index -q --db db corpus.jsonl || exit 10
tessera discover -q --db db --workdir w --families fam.jsonl -o links.jsonl || exit 11
cut -d, -f1-5 fam.jsonl
echo "--no-significance:"
tessera discover -q --db db --workdir w2 --no-significance --families fam2.jsonl \
    -o links2.jsonl || exit 12
cut -d, -f1-5 fam2.jsonl
