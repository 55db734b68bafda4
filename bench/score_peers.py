#!/usr/bin/env python3
"""score_peers.py - what each tool found for the benchmark queries.

The queries of bench/gen_corpus.py come in two kinds: "reuse" (stitched from
corpus documents) and "fresh" (from held-out articles; the source data has
real near-duplicates and formulaic wire text, so some reuse is genuine).
For each tool this counts the queries of each kind for which it reported
any corpus document, and for tessera the mean share of the query's bytes
covered by reuse.  Prints one JSON object.

    score_peers.py --queries Q.jsonl [--tessera FOUND.tsv] [--sim SIM.txt]
                   [--ssdeep SSDEEP.txt]

FOUND.tsv is `bench_check -o`: "query<TAB>source<TAB>bytes" lines, with
source "*" for the total.  SIM.txt is `sim_text -p` output ("Q consists for
N % of S material"); SSDEEP.txt is `ssdeep -m` output ("Q matches H:S (N)").
"""
import argparse
import json
import os
import re


def qid(s):
    return os.path.splitext(os.path.basename(s.strip()))[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--queries', required=True)
    ap.add_argument('--tessera')
    ap.add_argument('--sim')
    ap.add_argument('--ssdeep')
    a = ap.parse_args()

    kind, size = {}, {}
    with open(a.queries, encoding='utf-8') as f:
        for line in f:
            q = json.loads(line)
            kind[q['id']] = q['kind']
            size[q['id']] = len(q['text'].encode('utf-8'))
    n = {k: sum(1 for v in kind.values() if v == k) for k in ('reuse', 'fresh')}
    out = {'queries': n}

    def flagged(ids):
        return {k: sum(1 for i in set(ids) if kind.get(i) == k) for k in ('reuse', 'fresh')}

    if a.tessera:
        hit, cov = [], {}
        with open(a.tessera, encoding='utf-8') as f:
            for line in f:
                q, src, b = line.rstrip('\n').split('\t')
                q = qid(q)
                if src == '*':
                    cov[q] = int(b) / max(1, size.get(q, 1))
                else:
                    hit.append(q)
        r = flagged(hit)
        for k in ('reuse', 'fresh'):
            ids = [i for i in kind if kind[i] == k]
            r['coverage_' + k] = sum(cov.get(i, 0.0) for i in ids) / max(1, len(ids))
        out['tessera'] = r
    def matched(path, pattern):
        """Queries named by group 1 of the lines of `path` that match."""
        pat = re.compile(pattern)
        with open(path, encoding='utf-8', errors='replace') as f:
            return [qid(m.group(1)) for m in map(pat.match, f) if m]

    if a.sim:
        out['sim_text'] = flagged(matched(a.sim, r'^(\S+) consists for (\d+) % of (\S+) material'))
    if a.ssdeep:
        out['ssdeep'] = flagged(matched(a.ssdeep, r'^(\S+) matches '))
    print(json.dumps(out))


if __name__ == '__main__':
    main()
