# word diffs of long passages (past the LCS bound of about 2,800 tokens a
# side): 3000 words with one word changed near each end are split at the
# words that occur once on each side, so both changes are marked; a source
# with every word doubled has no such word, so the passage is shown as one
# change and the report says so
python3 - <<'PY'
import random
random.seed(7)
words = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(3, 9)))
         for _ in range(3000)]
a, b = words[:], words[:]
a[10] = "CHANGED"
b[2990] = "OTHER"
open("big_a.txt", "w").write(" ".join(a) + "\n")
open("big_b.txt", "w").write(" ".join(b) + "\n")
open("dup_b.txt", "w").write(" ".join(w + " " + w for w in words) + "\n")
PY
tessera align --color=never --full big_a.txt big_b.txt > big.out || exit 10
grep -o '\[-[a-zA-Z ]*-\]{+[A-Za-z ]*+}' big.out
grep -c 'too long' big.out
tessera align --color=never dup_b.txt big_b.txt | tail -2 | cut -c1-60
