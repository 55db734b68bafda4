# a file with a NUL byte given by name is refused (exit 3, the byte named),
# as check and align refuse it; --allow-nul reads NUL bytes as spaces
printf 'words before\0words after the nul byte\n' > nul.txt
tessera index -q --db db nul.txt
echo "exit $?"
tessera index -q --allow-nul --db db nul.txt
echo "exit $?"
tessera stats --db db | grep '^documents'
