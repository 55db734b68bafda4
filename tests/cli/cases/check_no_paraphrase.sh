# --no-paraphrase is an option of align, where the sentence stage is on by
# default; check runs it only with --paraphrase, and refuses --no-paraphrase
# (exit 2) rather than accepting it and doing nothing
tessera check --db db --no-paraphrase data/query.txt
