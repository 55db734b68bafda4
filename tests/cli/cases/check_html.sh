# an HTML report: a self-contained file
tessera index -q --db db data/corpus || exit 10
tessera check --db db --html report.html data/query.txt || exit $?
grep -c "<html" report.html
grep -q "lighthouse.txt" report.html && echo "names the source"
