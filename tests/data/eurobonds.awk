# Eurobond launches on one wire template (other banks, other figures) among
# unrelated filler documents, as JSON Lines: a template that fewer
# documents hold than the boilerplate level (20), whose phrases therefore
# look rare.  awk -v n=12 -v fill=800 -f data/eurobonds.awk
# (bond00, bond01, ... after filler000, filler001, ...; the instances
# differ in their amount, maturity, coupon, price and denominations, and
# most in the bank and fees).
BEGIN {
  split("river stone garden window letter market winter signal orchard lantern harbor meadow copper violin thunder pepper basket candle ribbon mirror tunnel saddle feather pillow island bridge forest castle engine rocket planet comet desert canyon", v, " ")
  nv = 32
  for (i = 0; i < fill; i++) {
    printf "{\"id\":\"filler%03d\",\"text\":\"", i
    for (j = 0; j < 50; j++)
      printf "%s%s", (j ? " " : ""), v[(i * 7919 + j * 104729 + j * j * 31 + i * j * 17) % nv + 1]
    printf ".\"}\n"
  }
  split("Banque Paribas|Nomura International|Deutsche Bank|Credit Suisse First Boston|Morgan Guaranty|Swiss Bank Corp|Daiwa Europe|Union Bank of Switzerland|Salomon Brothers|Orion Royal Bank|Societe Generale|Dresdner Bank|Kredietbank", bank, "|")
  for (i = 0; i < n; i++) {
    printf "{\"id\":\"bond%02d\",\"text\":\"%s said it is lead manager for a %d mln dlr eurobond due %d paying %d-%d/8 pct and priced at %d-%d/4 pct. The non-callable bond is available in denominations of %s dlrs and will be listed in Luxembourg. Fees total 1-%d/8 pct, with 1-%d/4 pct for selling and 1/2 pct for management and underwriting combined.\"}\n",
      i, bank[i % 13 + 1], 50 + i * 17, 1980 + i, 5 + i, 1 + 2 * (i % 4), 90 + i, 1 + 2 * (i % 2),
      (i + 2) * 1000, 1 + 2 * (i % 4), i % 2 ? 3 : 1
  }
}
