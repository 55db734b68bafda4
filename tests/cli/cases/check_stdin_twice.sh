# check with - twice would read standard input twice: refused, exit 2
tessera index -q --db db data/corpus || exit 10
echo 'a few words of text' | tessera check --db db - data/query.txt -
