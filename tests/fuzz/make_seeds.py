#!/usr/bin/env python3
"""make_seeds.py - write the seed corpus of every fuzz target.

    python3 tests/fuzz/make_seeds.py [--tessera build/tessera] [--fuzz-dir build-fuzz]

writes tests/fuzz/corpus/<target>/<name> for fuzz_align, fuzz_catalog,
fuzz_reader, fuzz_segment, fuzz_shards, fuzz_wet and fuzz_jsonl: a handful of small
inputs per target, each a valid input of one mode or an edge case, laid
out as the comment at the top of tests/fuzz/fuzz_<target>.c describes.
Files are replaced; seeds that are no longer written here are not removed.

Two seeds need a build: the segment of fuzz_segment comes from an index
made with the tessera CLI (--tessera), and the catalog of fuzz_catalog's
mode 0 is the one that target builds for itself, dumped by running it once
with FUZZ_CATALOG_SEED set (--fuzz-dir; `make fuzz` first).  Without them
those seeds are skipped, with a message.  The rest needs only Python
(gzip from the standard library; the zstd seeds use the zstd program when
it is installed).  Output is deterministic: the same files every run.
"""
import argparse
import bz2
import gzip
import io
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data):
    """gzip with a fixed header time, so that seeds do not change."""
    b = io.BytesIO()
    with gzip.GzipFile(fileobj=b, mode="wb", mtime=0) as f:
        f.write(data)
    return b.getvalue()


def zst(data):
    """zstd via the zstd program, or None when it is missing."""
    if not shutil.which("zstd"):
        return None
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, check=True,
                          stdout=subprocess.PIPE).stdout


# ------------------------------------------------------------------------
# Shared material
# ------------------------------------------------------------------------

PASSAGE = ("the lighthouse keeper climbed the iron stairs every evening at dusk "
           "and wound the great clock before the lamp was lit")
JSONL = (
    '{"id":"a","text":"' + PASSAGE + '","title":"Keeper","date":"2024-03-01","series":"coast"}\n'
    '{"id":7,"text":"a loaf of bread needs flour water salt","k":[1.5,{"x":null}]}\n'
    "\n"
    '{"id":"bad","text":"no closing brace"\n'
    '{"id":"","text":"empty id"}\n'
    '{"id":"nul","text":"a\\u0000b"}\n'
    '{"n":"c","body":"custom field names","id":"s1"}\n'
)


def wet_record(rtype, uri, rid, body, length=None, date="2024-03-01T10:00:00Z"):
    body = body.encode("utf-8") if isinstance(body, str) else body
    n = len(body) if length is None else length
    head = ("WARC/1.0\r\nWARC-Type: %s\r\nWARC-Target-URI: %s\r\nWARC-Date: %s\r\n"
            "WARC-Record-ID: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
            % (rtype, uri, date, rid, n))
    return head.encode("utf-8") + body + b"\r\n\r\n"


WARCINFO = (b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Date: 2024-03-01T09:00:00Z\r\n"
            b"WARC-Record-ID: <urn:uuid:0>\r\nContent-Length: 15\r\n\r\nsoftware: test\n\r\n\r\n")
WET = (WARCINFO
       + wet_record("conversion", "http://example.com/a/b", "<urn:uuid:1>",
                    "First page.\nAbout harbours and " + PASSAGE)
       + wet_record("conversion", "https://news.example.org:8080/x?q=1", "<urn:uuid:2>",
                    "Second page, \u00fcn\u00efcode."))


# ------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------

def seeds_reader():
    t = "fuzz_reader"
    text = ("\ufeffHello \u00e9t\u00e9.\n" + PASSAGE + "\n").encode("utf-8")
    jl = JSONL.encode("utf-8")
    put(t, "text", b"\x00\x00" + text)
    put(t, "text-tiny-limit", b"\x00\x02" + text)          # max_doc_bytes 64
    put(t, "text-bad-utf8", b"\x00\x00abc \xff\xfe def\n")
    put(t, "jsonl", b"\x01\x00" + jl)
    put(t, "jsonl-fields", b"\x01\x01" + jl)                # custom field names
    put(t, "jsonl-tiny-limit", b"\x01\x02" + jl)
    put(t, "gzip-raw", b"\x02\x00" + gz(jl))                # decoder on real gzip
    put(t, "gzip-raw-cut", b"\x02\x00" + gz(jl)[:40])       # truncated stream
    z = zst(jl)
    if z:
        put(t, "zstd-raw", b"\x03\x00" + z)
        put(t, "zstd-raw-cut", b"\x03\x00" + z[:30])
    put(t, "jsonl-gz", b"\x04\x00" + jl)
    put(t, "jsonl-zst", b"\x05\x00" + jl)
    put(t, "text-gz", b"\x06\x00" + text)
    pieces = [text, jl, jl[:80], b"zstd text", b'{"id":"n","text":"x"}\n', b"{}\n",
              b"hidden", b"sub"]
    put(t, "directory", b"\x07\x00" + b"\xff".join(pieces))
    put(t, "stdin-jsonl", b"\x08\x00" + jl)
    put(t, "stdin-jsonl-raw", b"\x08\x04" + jl)
    put(t, "stdin-text", b"\x08\x00" + text)
    put(t, "stdin-gzip", b"\x08\x00" + gz(jl))
    put(t, "wet", b"\x09\x00" + WET)
    put(t, "wet-gz", b"\x0a\x00" + WET)
    put(t, "empty", b"\x01\x00")
    bz = bz2.compress(jl, 9) + bz2.compress(b'{"id":"s2","text":"second stream"}\n', 9)
    put(t, "bzip2-raw", b"\x0b\x00" + bz)                 # two streams, as pbzip2 writes
    put(t, "bzip2-raw-cut", b"\x0b\x00" + bz[:50])        # truncated stream
    put(t, "jsonl-bz2", b"\x0c\x00" + jl)
    put(t, "stdin-bzip2", b"\x08\x00" + bz)
    put(t, "directory-binary", b"\x07\x00" + b"\xff".join([text, b"bin\x00ary", jl]))


def seeds_wet():
    t = "fuzz_wet"
    bad = (wet_record("conversion", "http://a.example/", "<urn:uuid:1>", "good text")
           + wet_record("conversion", "http://b.example/", "<urn:uuid:2>", b"bad \xff text")
           + wet_record("conversion", "http://c.example/", "<urn:uuid:3>", b"nul \x00 text")
           + wet_record("conversion", "http://d.example/", "<urn:uuid:4>", "more good text"))
    put(t, "plain", b"\x00\x00" + WET)
    put(t, "gzip", b"\x01\x00" + WET)
    put(t, "gzip-two-members", b"\x02\x80" + WET)          # cut at 32/64 of the file
    put(t, "gzip-raw", b"\x03\x00" + gz(WET))
    put(t, "gzip-raw-cut", b"\x03\x00" + gz(WET)[:60])
    put(t, "stdin", b"\x04\x00" + WET)
    put(t, "bad-records", b"\x00\x00" + bad)
    put(t, "bad-records-skip", b"\x01\x02" + bad)          # skip_bad
    put(t, "tiny-limit", b"\x00\x01" + WET)                # max_doc_bytes 64
    put(t, "cut-short", b"\x00\x00" + wet_record("conversion", "http://a.example/",
                                                 "<urn:uuid:1>", "short", 500))
    put(t, "no-length", b"\x00\x00WARC/1.0\r\nWARC-Type: conversion\r\n"
                        b"WARC-Record-ID: <urn:uuid:9>\r\n\r\nbody\r\n\r\n")
    put(t, "no-id", b"\x00\x00WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 4\r\n\r\n"
                    b"body\r\n\r\n")
    put(t, "not-warc", b"\x00\x00hello\n")
    put(t, "lf-only-repeated-headers",
        b"\x00\x00WARC/1.0\nWARC-Type: conversion\nwarc-record-id: <a>\n"
        b"WARC-Record-ID: <b>\nWARC-Target-URI: noscheme/path\nContent-Length: 2\n\nhi\n\n")


def seeds_align():
    t = "fuzz_align"
    a = "Intro words here. " + PASSAGE + " and then it ended."
    b = "Other prose first. " + PASSAGE.replace("iron", "old iron") + " More."
    put(t, "reuse", a.encode() + b"\xff" + b.encode())
    put(t, "reuse-unicode", ("\u00c9t\u00e9 " + PASSAGE + " \u4e2d\u6587").encode()
        + b"\xff" + PASSAGE.encode())
    put(t, "repeats", (PASSAGE + " " + PASSAGE).encode() + b"\xff" + PASSAGE.encode())
    put(t, "nul-bytes", b"one two\x00three four five six seven\xffone two three four five six")
    put(t, "bad-utf8", b"abc \xc3 def\xffabc def")
    put(t, "no-cut", PASSAGE.encode())
    put(t, "empty-side", b"\xff" + PASSAGE.encode())


def seeds_shards():
    t = "fuzz_shards"
    put(t, "list", b"\x00tessera-shards 1\nshard-000000\nshard-000001\n")
    put(t, "list-one", b"\x00tessera-shards 1\nshard-000001\n")
    put(t, "list-dot-missing", b"\x00tessera-shards 1\n.\nshard-000000\n")
    put(t, "list-bad-version", b"\x00tessera-shards 2\nshard-000000\n")
    put(t, "list-traversal", b"\x00tessera-shards 1\n../shard-000000\nshard-000000\nshard-000000\n")
    put(t, "list-no-newline", b"\x00tessera-shards 1\nshard-000000")
    put(t, "ranges", b"\x01\x40\x80\xc0" + JSONL.encode())
    put(t, "ranges-same-cuts", b"\x01\x10\x10\x10" + JSONL.encode())
    put(t, "ranges-crlf", b"\x01\x20\x60\xa0" + JSONL.replace("\n", "\r\n").encode())


def seeds_segment(tessera):
    t = "fuzz_segment"
    # made-up headers: refused early
    put(t, "empty", b"")
    put(t, "magic-only", b"TSRSEG\x1a\n" + bytes(56))
    put(t, "short", b"TSRS")
    if not tessera or not os.access(tessera, os.X_OK):
        print("make_seeds: no tessera binary (--tessera): fuzz_segment gets no real segment",
              file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.jsonl")
        with open(src, "w") as f:
            f.write('{"id":"a","text":"%s"}\n{"id":"b","text":"%s"}\n'
                    % (PASSAGE, "flour water salt and a long slow rise"))
        db = os.path.join(tmp, "ix")
        subprocess.run([tessera, "index", "--db", db, src], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        segs = sorted(n for n in os.listdir(db) if n.startswith("seg-") and n.endswith(".tsg"))
        with open(os.path.join(db, segs[0]), "rb") as f:
            seg = f.read()
    # a sound segment is at least 16 KB (its directory has 2^12 + 1
    # entries): one whole, the rest cut (bit flips are the fuzzer's job)
    put(t, "segment", seg)                         # sound: scanned in full
    # "segment-v1" is a sound version 1 file (no chunk table), as builds
    # before 2026-12-05 wrote it: kept in the corpus, not made here
    put(t, "header", seg[:64])                     # the real header, no body
    put(t, "header-and-some", seg[:200])           # cut inside the directory


def seeds_catalog(fuzz_dir):
    t = "fuzz_catalog"
    # mode 1: patches of the real catalog (offset hi, lo, n, bytes)
    put(t, "patch-page-size", b"\x01\x00\x10\x01\x10\x00")        # says 4096, is 512
    put(t, "patch-appid", b"\x01\x00\x44\x03TSRX")               # application_id
    put(t, "patch-pages", b"\x01\x02\x00\x07" + b"\xff" * 8 + b"\x04\x10\x07" + b"\x00" * 8)
    put(t, "patch-none", b"\x01")
    # mode 2: edits (statement, row, value type, value); see fuzz_catalog.c
    put(t, "edit-text-len", b"\x02\x05\x00\x00" + (1 << 40).to_bytes(8, "little"))
    put(t, "edit-meta-docs", b"\x02\x0b\x01\x02\x05" + b"99999")  # meta row 1: docs
    put(t, "edit-seg-checksum", b"\x02\x14\x00\x02\x10" + b"0000000000000000")
    put(t, "edit-delete-doc", b"\x02\x09\x01\x04")
    put(t, "edit-id-null", b"\x02\x00\x00\x04")
    put(t, "edit-seg-file", b"\x02\x0e\x00\x02\x0e../src/catalog")
    put(t, "edit-text-blob", b"\x02\x06\x02\x03\x08" + b"(\xb5/\xfd\x20\x05\x29\x00")
    put(t, "edit-title-bad-utf8", b"\x02\x01\x00\x02\x05\xff\xfe\x00a\"")  # into the JSON
    put(t, "edit-ngram", b"\x02\x0b\x05\x01\x00")                # meta row 5: ngram
    # the table removed (the real index has one document removed): a removed
    # docno that docs still holds, one more removed than the segments know
    put(t, "edit-removed-docno", b"\x02\x17\x00\x01\x00")      # removed row 0 -> docno 0
    put(t, "edit-removed-insert", b"\x02\x19\x00\x01\x01")     # insert docno 1
    # the table dicts (the texts of c and d name its dictionary): a damaged
    # first copy, both copies, the checksum, the id, the row gone
    put(t, "edit-dict-data", b"\x02\x1a\x00\x03\x04abcd")
    put(t, "edit-dict-both", b"\x02\x1a\x00\x03\x04abcd\x1b\x00\x03\x04abcd")
    put(t, "edit-dict-checksum", b"\x02\x1c\x00\x00" + (7).to_bytes(8, "little"))
    put(t, "edit-dict-id", b"\x02\x1d\x00\x01\x07")
    put(t, "edit-dict-delete", b"\x02\x1e\x00\x04")
    # mode 0: whole files
    put(t, "not-a-database", b"\x00" + b"this is not a database " * 40)
    put(t, "empty", b"\x00")
    binary = os.path.join(fuzz_dir, "fuzz_catalog") if fuzz_dir else None
    if not binary or not os.access(binary, os.X_OK):
        print("make_seeds: no fuzz_catalog binary (--fuzz-dir): its mode 0 gets no real"
              " catalog", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "catalog.sqlite")
        env = dict(os.environ, FUZZ_CATALOG_SEED=out)
        subprocess.run([binary, "-runs=1"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out, "rb") as f:
            real = f.read()
    put(t, "whole", b"\x00" + real)
    put(t, "whole-cut", b"\x00" + real[:len(real) // 2])


def seeds_http():
    """fuzz_http: method, path, content type, key bytes, then the body
    (tests/fuzz/fuzz_http.c)."""
    get, head, post = 0, 1, 2
    check, docs, stats, health, page = 0, 1, 2, 3, 4
    plain, jsn, ndjson = 1, 4, 5
    nokey, key = 0, 1
    text = b"the lighthouse keeper climbed the iron stairs every evening at dusk"
    put("fuzz_http", "check-plain", bytes([post, check, plain, nokey]) + text)
    put("fuzz_http", "check-json", bytes([post, check, jsn, 4]) + b'{"text": "' + text + b'"}')
    put("fuzz_http", "add-json", bytes([post, docs, jsn, key]) +
        b'[{"id": "n1", "text": "' + text + b'", "url": "http://x/"}]')
    put("fuzz_http", "add-ndjson", bytes([post, docs, ndjson, key]) +
        b'{"id": 7, "text": "a b c d e f g"}\n\n{"id": "n2", "text": "x"}\n')
    put("fuzz_http", "add-nokey", bytes([post, docs, jsn, nokey]) + b'{"id":"a","text":"b"}')
    put("fuzz_http", "stats", bytes([get, stats, 0, 4]))
    put("fuzz_http", "health", bytes([head, health, 0, 0]))
    put("fuzz_http", "page", bytes([get, page, 0, 0]))
    put("fuzz_http", "doc", bytes([get, 7, 0, 0]))
    put("fuzz_http", "doc-path", bytes([get, 9, 0, 0]) + b"a%2Fb\x00")
    put("fuzz_http", "any-path", bytes([get, 10, 0, 0]) + b"../etc/passwd\x00")


def seeds_json_body():
    """fuzz_json_body: mode byte (0 check, 1 add JSON, 2 add JSON Lines),
    then the body."""
    put("fuzz_json_body", "check", b"\x00" + b'{"text": "every evening at dusk the keeper"}')
    put("fuzz_json_body", "check-escapes", b"\x00" + b'{"text": "caf\\u00e9 \\ud83d\\ude00 \\u0000"}')
    put("fuzz_json_body", "add-array", b"\x01" +
        b'[{"id": "a1", "title": "T", "date": 2024, "series": null, "text": "one two three"}]')
    put("fuzz_json_body", "add-object", b"\x01" + b'{"id": 12, "text": "x y", "k": [1, {"z": 2.5}]}')
    put("fuzz_json_body", "add-lines", b"\x02" +
        b'{"id": "l1", "text": "alpha beta"}\n  \n{"id": "l2", "text": "gamma"}\n')
    put("fuzz_json_body", "many-values", b"\x00" + b'{"text": "a", "v": [' + b"0," * 2000 + b'0]}')


def seeds_jsonl():
    """fuzz_jsonl: option byte (bit 0 short names i/t/h/d/s, bit 1 title =
    text and series = id fields, bit 2 max_doc_bytes 8, bit 3 allow_nul),
    then lines, each parsed by both JSON paths."""
    t = "fuzz_jsonl"
    plain = (
        b'{"id":"a","text":"' + PASSAGE.encode() + b'","title":"Keeper","date":"2024-03-01","series":"coast"}\n'
        b'{"series":null,"date":1890,"text":"q\\" b\\\\ s\\/ \\b\\f\\n\\r\\t","title":null,"id":-0}\n'
        b' \t{ "id" : 123456789012345678 ,\r"text"\t:\r"caf\xc3\xa9 \\u00e9\\u20AC\\ud83d\\ude00 z\\u0000z" } \r\n'
        b'{"id":"\\u007f\\u0080\\u07FF\\u0800\\uffff","text":"\\uDBFF\\uDFFF\xf4\x8f\xbf\xbf"}\n'
        b'{"id":"e","text":""}\n')
    declined = (
        b'{"id":"a","text":"b","k":[1.5,{"x":null}]}\n'
        b'{"id":"a","text":"first","text":"second"}\n'
        b'{"id":"a","te\\u0078t":"b"}\n'
        b'{"id":1234567890123456789,"text":"x"}\n'
        b'{"id":99999999999999999999,"text":"x"}\n'
        b'{"id":1.5e3,"text":"x","title":true}\n'
        b'{"id":01,"text":"x"}\n'
        b'{"id":"1","text":"a\\ud800\\u0041 \\udc00 \\x \\u12G4"}\n'
        b'{"id":"1","text":"\\ud7ff\\ue000 \\ud800\\ue000 \\udbff\\udbff"}\n'
        b'{"id":"1","text":"ab\xc3( \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf"}\n'
        b'{"id":"1","text":"a\x01b\tc"}\n'
        b'{"id":"1","text":"x","title":"t\\u0000"}\n'
        b'{"id":"","text":"x"}\n'
        b'{"id":"a","text":"b"} x\n'
        b'{"id":"a","text":"b",}\n'
        b'{"id":null,"text":nulll}\n'
        b'[1]\n'
        b'\xef\xbb\xbf{"id":"a","text":"b"}\n'
        b'{"id":"a","text":"b\\')
    put(t, "plain", b"\x00" + plain)
    put(t, "declined", b"\x00" + declined)
    put(t, "short-names", b"\x01" + b'{"i":7,"t":"seven\\n","h":"H","d":null,"s":"S"}\n'
        b'{"t":"x","i":"a","k":1}\n{"id":"a","text":"b"}\n')
    put(t, "shared-names", b"\x03" + b'{"i":5,"t":"x\\u0000y"}\n{"i":"a","t":"b","h":"c"}\n')
    put(t, "tiny-limit", b"\x04" + b'{"id":1,"text":"abcdefgh"}\n{"id":1,"text":"abcdefghi"}\n'
        b'{"id":1,"text":"\\u00e9\\u00e9\\u00e9\\u00e9"}\n')
    put(t, "allow-nul", b"\x08" + b'{"id":"1","text":"a\x00b"}\n{"id":"1","text":"a"}\x00\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--fuzz-dir", default=os.path.join(ROOT, "build-fuzz"))
    a = ap.parse_args()
    seeds_reader()
    seeds_wet()
    seeds_align()
    seeds_shards()
    seeds_segment(a.tessera)
    seeds_catalog(a.fuzz_dir)
    seeds_http()
    seeds_json_body()
    seeds_jsonl()
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        print("%-14s %3d seeds, %6d bytes" % (target, len(files), size))


if __name__ == "__main__":
    main()
