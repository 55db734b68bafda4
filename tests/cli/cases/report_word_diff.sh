# the text report marks what changed in a passage, as git diff --word-diff:
# [-source words-]{+text words+} for a changed day, verb and punctuation, a
# dropped "old" and "long", an added "warmly"; --full gives the whole
# passage, line breaks kept; --color=always gives red and green instead of
# markers (the spaces around a change uncoloured); in check, passage #2's
# one-line excerpt starts a few words before its first change (past the
# first half of the line), and --full shows it whole; --full with --json
# is refused
cat > src.txt <<'TXT'
Notes from the harbour.

The committee agreed on Monday that the old harbour wall would be rebuilt
before the storms of the coming winter reach the town, and the mayor
thanked the fishermen for their long patience during the repairs of the
quay. Work begins in March, weather permitting.
TXT
cat > txt.txt <<'TXT'
From our correspondent: the committee agreed on Tuesday that the harbour wall
would be rebuilt before the storms of the coming winter reached the town, and
the mayor warmly thanked the fishermen for their patience during the repairs
of the quay; work begins in March, weather permitting.
TXT
tessera align --color=never txt.txt src.txt || exit 10
tessera align --color=never --full txt.txt src.txt || exit 11
tessera align --color=always --full txt.txt src.txt | tail -4 | sed 's/\x1b/<ESC>/g'
tessera index -q --db db data/corpus || exit 13
tessera check --db db --color=never data/query.txt | grep -A3 '#2'
tessera check --db db --color=never --full data/query.txt | grep -A5 '#2'
# accents, case and punctuation: marked, though the aligner counts the words
# identical ("55 identical"); excerpts cut by columns, not bytes
tessera index -q --db mdb data/multibyte.jsonl || exit 14
tessera check --db mdb --color=never data/multibyte_query.txt | grep -A2 '^  #'
tessera align --full --json txt.txt src.txt 2>&1
echo "exit $?"
