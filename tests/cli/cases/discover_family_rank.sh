# 30 quarterly reports on one template (other companies, other figures:
# template look-alikes) and three documents that share one real passage.
# By default (E-value <= 1) only the real family is reported; with the cut
# off, families held together by strong links come first: the real family
# is family 0, the template's after it (numbered by size alone, the
# template's came first).
awk 'BEGIN {
  for (i = 0; i < 30; i++) {
    printf "{\"id\":\"earn%02d\",\"text\":\"Company %c%c%c Corp first quarter. Shr %d cts vs %d cts. Net %d,%03d,000 vs %d,%03d,000. Revs %d.%d mln vs %d.%d mln. Avg shrs %d,%03d,000 vs %d,%03d,000. Nine mths shr %d cts vs %d cts. Net %d,%03d,000 vs %d,%03d,000.\"}\n",
      i, 65 + (i * 7) % 26, 65 + (i * 11 + 3) % 26, 65 + (i * 5 + 9) % 26,
      (i * 37) % 90 + 5, (i * 53 + 7) % 90 + 5, (i * 3) % 9 + 1, (i * 371) % 999,
      (i * 5 + 2) % 9 + 1, (i * 613 + 5) % 999, (i * 29) % 90 + 10, i % 9, (i * 41 + 3) % 90 + 10,
      (i + 4) % 9, (i * 7) % 9 + 1, (i * 211) % 999, (i * 2 + 5) % 9 + 1, (i * 457 + 1) % 999,
      (i * 61) % 90 + 5, (i * 17 + 9) % 90 + 5, (i * 4 + 1) % 9 + 1, (i * 733) % 999,
      (i * 8 + 3) % 9 + 1, (i * 127 + 11) % 999
  }
  p = "The lighthouse keeper of Gull Point wrote in his log that the fog horn had failed twice during the storm of the ninth, and that the relief boat from Kirkwall could not land until the swell had dropped."
  printf "{\"id\":\"log-a\",\"text\":\"Archive note one. %s The entry was signed by the keeper.\"}\n", p
  printf "{\"id\":\"log-b\",\"text\":\"A historian quoted it: %s Nothing else survives from that winter.\"}\n", p
  printf "{\"id\":\"log-c\",\"text\":\"%s So the museum label reads today.\"}\n", p
}' > corpus.jsonl
tessera index -q --db db corpus.jsonl || exit 10
tessera discover -q --db db --workdir w --families fam.jsonl -o links.jsonl || exit 11
cut -d, -f1-5 fam.jsonl
echo "--no-significance:"
tessera discover -q --db db --workdir w2 --no-significance --families fam2.jsonl \
    -o links2.jsonl || exit 12
cut -d, -f1-5 fam2.jsonl
