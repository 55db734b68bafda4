# a folder of binary files only: each skipped with a warning, nothing added,
# so the index this run created is not left behind
mkdir bin
printf 'a\0b' > bin/one.dat
printf 'cc\0' > bin/two.dat
tessera index --db db bin
echo "exit $?"
ls
