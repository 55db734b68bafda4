# --no-paraphrase is an option of align (the one command that runs the
# sentence stage): check, which does not run it, refuses it rather than
# accepting it and doing nothing (exit 2)
tessera check --db db --no-paraphrase data/query.txt
