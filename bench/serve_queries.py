#!/usr/bin/env python3
"""serve_queries.py - request bodies for bench/serve.sh.

Writes one JSON object {"text": ...} per line: first the bench queries
(QUERIES, JSONL with a "text" field: half stitched from corpus documents,
half fresh articles), then --extra more texts of 1,000 words, each stitched
from runs of paragraphs of random documents of the whole corpus (CORPUS,
JSONL), every one different.  With thousands of distinct texts the
documents that checks align with spread over most of the index, so a
server's document cache cannot get by on a few hundred repeated queries.

Seeded: the same arguments give the same bytes.  Python standard library.

    python3 bench/serve_queries.py CORPUS QUERIES OUT [--extra 4800] [--seed 7]
"""
import argparse
import json
import random

WORDS = 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("queries")
    ap.add_argument("out")
    ap.add_argument("--extra", type=int, default=4800)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    docs = []
    with open(a.corpus, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                paras = [p for p in json.loads(line)["text"].split("\n\n") if p.strip()]
                if paras:
                    docs.append(paras)
    with open(a.out, "w", encoding="utf-8") as out:
        n = 0
        with open(a.queries, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    out.write(json.dumps({"text": json.loads(line)["text"]}) + "\n")
                    n += 1
        for _ in range(a.extra):
            parts, words = [], 0
            while words < WORDS:
                paras = docs[rnd.randrange(len(docs))]
                i = rnd.randrange(len(paras))
                for p in paras[i:i + rnd.randint(1, 4)]:
                    w = p.split()
                    take = w[:WORDS - words]
                    parts.append(" ".join(take))
                    words += len(take)
                    if words >= WORDS:
                        break
            out.write(json.dumps({"text": "\n\n".join(parts)}) + "\n")
            n += 1
    print(n)


if __name__ == "__main__":
    main()
