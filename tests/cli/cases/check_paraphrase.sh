# a paragraph rewritten (words in other forms, another order) from an
# indexed document that the text also shares one short sentence with (so
# the document is a candidate): plain check reports that sentence only
# (13 words, shorter than min_words: a brief passage, kept for its E-value
# of 5e-13) and not the paragraph (the aligner finds no run there), check
# --paraphrase runs align's sentence stage on the candidates and reports
# the paragraph too, sentence for sentence, with the spans `tessera align`
# gives (align_paraphrase.sh)
tessera index -q --db db data/rewrite_b.txt data/corpus || exit 10
tessera check --db db --json data/rewrite_q.txt
tessera check --db db --json --paraphrase data/rewrite_q.txt
