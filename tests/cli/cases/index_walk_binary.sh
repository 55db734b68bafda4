# a folder with a binary file (a NUL byte): the file is skipped with a
# warning naming it, the others are indexed, exit 0 (not a failed batch);
# Spark's _SUCCESS, _temporary/ and .crc files are not read
mkdir -p out/_temporary/0 out/sub
cp data/align_a.txt out/part-00000.txt
cp data/align_b.txt out/sub/part-00001.txt
printf '\211PNG\r\n\032\n\0\0\0\rIHDR' > out/logo.png
echo "spark was here" > out/_SUCCESS
echo "a half written part" > out/_temporary/0/part-00002.txt
echo "checksum" > out/part-00000.txt.crc
echo "hidden checksum" > out/.part-00000.txt.crc
tessera index --db db out
echo "exit $?"
tessera stats --db db | grep '^documents'
