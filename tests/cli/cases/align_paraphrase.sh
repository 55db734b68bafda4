# a paragraph rewritten (words in other forms, another order): the sentence
# stage finds it, sentence for sentence; --no-paraphrase does not
tessera align --json data/rewrite_a.txt data/rewrite_b.txt
tessera align --json --no-paraphrase data/rewrite_a.txt data/rewrite_b.txt
