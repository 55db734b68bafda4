# Proverbs 9 in the World English Bible and the King James Version (both
# public domain): "Whoever/Whoso is simple, let him turn in" is said in
# verse 4 and again in verse 16 of both.  The chapter is one passage from
# verse 1 to verse 18 on both sides, not verses 1-16 paired with 4-18
# (the phrase's second copy taken for its first); the repeat inside the
# text is reported as a repeat.
tessera align --json --no-paraphrase data/prov9_web.txt data/prov9_kjv.txt
tessera align --json data/prov9_web.txt data/prov9_kjv.txt
