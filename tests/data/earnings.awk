# n quarterly earnings reports on one wire template, as JSON Lines
# (earn00, earn01, ...): other companies, other figures, the same words.
# Template look-alikes for the golden cases: awk -v n=30 -f data/earnings.awk
BEGIN {
  for (i = 0; i < n; i++) {
    printf "{\"id\":\"earn%02d\",\"text\":\"Company %c%c%c Corp first quarter. Shr %d cts vs %d cts. Net %d,%03d,000 vs %d,%03d,000. Revs %d.%d mln vs %d.%d mln. Avg shrs %d,%03d,000 vs %d,%03d,000. Nine mths shr %d cts vs %d cts. Net %d,%03d,000 vs %d,%03d,000.\"}\n",
      i, 65 + (i * 7) % 26, 65 + (i * 11 + 3) % 26, 65 + (i * 5 + 9) % 26,
      (i * 37) % 90 + 5, (i * 53 + 7) % 90 + 5, (i * 3) % 9 + 1, (i * 371) % 999,
      (i * 5 + 2) % 9 + 1, (i * 613 + 5) % 999, (i * 29) % 90 + 10, i % 9, (i * 41 + 3) % 90 + 10,
      (i + 4) % 9, (i * 7) % 9 + 1, (i * 211) % 999, (i * 2 + 5) % 9 + 1, (i * 457 + 1) % 999,
      (i * 61) % 90 + 5, (i * 17 + 9) % 90 + 5, (i * 4 + 1) % 9 + 1, (i * 733) % 999,
      (i * 8 + 3) % 9 + 1, (i * 127 + 11) % 999
  }
}
