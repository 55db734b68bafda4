#!/usr/bin/env python3
"""dedup_peer.py - a faithful small re-implementation of datasketch's
MinHash + MinHashLSH near-duplicate dedup, the baseline of `make bench`.

Why a re-implementation: datasketch (and text-dedup, NeMo Curator) cannot be
installed here (no PyPI access), and no Debian package ships a MinHash-LSH
dedup tool for text (`apt-cache search minhash`: mash, for genomes; Go
libraries without a command).  This follows datasketch 1.5 exactly where it
matters for speed and results, in the standard library only (datasketch
uses numpy for the per-shingle permutations; without numpy this is slower
than datasketch, by a factor we do not know here: say so when quoting it):

  MinHash(num_perm=128): permutations (a, b) drawn from a seeded generator
    in [1, p) and [0, p) with p = 2^61 - 1; each shingle hashed by
    sha1_hash32 (first 4 bytes of SHA-1, little endian); value
    ((a * h + b) mod p) & (2^32 - 1); the minimum per permutation.
  MinHashLSH(threshold, num_perm): bands and rows by datasketch's
    _optimal_param (false-positive and false-negative areas, weights 0.5;
    integrals by Simpson's rule here, scipy.quad there): 9 x 13 for 0.8.
  Dedup, as datasketch users write it: for each document in input order,
    query the LSH; if a candidate's estimated Jaccard is >= threshold the
    document is a duplicate (dropped), else it is inserted.

Shingles: word 5-grams of lower-cased words (runs of letters and digits),
joined by a space; a text of fewer words is one shingle.

    python3 bench/dedup_peer.py IN.jsonl OUT.jsonl [--threshold 0.8]

Prints "docs N dropped D seconds S" on stderr.
"""
import argparse
import hashlib
import json
import random
import re
import struct
import sys
import time

MERSENNE = (1 << 61) - 1
MAX_HASH = (1 << 32) - 1
WORD = re.compile(r'[^\W_]+')


def optimal_param(threshold, num_perm):
    def area(a, b, bb, r, fp):
        steps = 200
        h = (b - a) / steps
        s = 0.0
        for i in range(steps + 1):
            x = a + i * h
            p = 1 - (1 - x ** r) ** bb
            f = p if fp else 1 - p
            s += f * (1 if i in (0, steps) else (4 if i % 2 else 2))
        return s * h / 3
    best, opt = float('inf'), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            e = 0.5 * area(0, threshold, b, r, True) + 0.5 * area(threshold, 1, b, r, False)
            if e < best:
                best, opt = e, (b, r)
    return opt


class MinHash:
    def __init__(self, perms):
        self.perms = perms
        self.hv = [MAX_HASH] * len(perms)

    def update_all(self, shingles):
        hv = self.hv
        perms = self.perms
        for s in shingles:
            h = struct.unpack('<I', hashlib.sha1(s).digest()[:4])[0]
            for i, (a, b) in enumerate(perms):
                v = ((a * h + b) % MERSENNE) & MAX_HASH
                if v < hv[i]:
                    hv[i] = v

    def jaccard(self, other):
        return sum(1 for x, y in zip(self.hv, other.hv) if x == y) / len(self.hv)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('input')
    ap.add_argument('output')
    ap.add_argument('--threshold', type=float, default=0.8)
    ap.add_argument('--perm', type=int, default=128)
    ap.add_argument('--shingle', type=int, default=5)
    a = ap.parse_args()
    t0 = time.time()
    rng = random.Random(1)
    perms = [(rng.randrange(1, MERSENNE), rng.randrange(0, MERSENNE)) for _ in range(a.perm)]
    bands, rows = optimal_param(a.threshold, a.perm)
    tables = [dict() for _ in range(bands)]
    sigs = {}
    n = dropped = 0
    with open(a.input, encoding='utf-8') as f, open(a.output, 'w', encoding='utf-8') as out:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            n += 1
            ws = WORD.findall(rec['text'].lower())
            k = a.shingle
            if not ws:
                out.write(line)
                continue
            sh = [' '.join(ws[i:i + k]).encode() for i in range(max(1, len(ws) - k + 1))]
            m = MinHash(perms)
            m.update_all(sh)
            keys = [bytes(struct.pack('<%dI' % rows, *m.hv[i * rows:(i + 1) * rows]))
                    for i in range(bands)]
            cand = set()
            for t, key in zip(tables, keys):
                cand.update(t.get(key, ()))
            if any(sigs[c].jaccard(m) >= a.threshold for c in cand):
                dropped += 1
                continue
            sigs[n] = m
            for t, key in zip(tables, keys):
                t.setdefault(key, []).append(n)
            out.write(line)
    print(f'docs {n} dropped {dropped} seconds {time.time() - t0:.2f} bands {bands} rows {rows}',
          file=sys.stderr)


if __name__ == '__main__':
    main()
