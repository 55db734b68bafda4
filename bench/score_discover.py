#!/usr/bin/env python3
"""score_discover.py - pair precision and recall of discovery on planted reuse.

The truth is bench/gen_discover's TSV, one planted passage a line:
target_id, t_begin, t_end, source_id, s_begin, s_end, reworded, words
(byte offsets, end exclusive).  A planted PAIR is the unordered pair
{target, source}.

Definitions (the same for every tool):

  recall      planted pairs found / planted pairs.  For tessera a pair is
              found when some reported passage between the two documents
              overlaps the planted span in BOTH documents (span-checked);
              for sim_text, which reports only file pairs, when the pair is
              reported at all (pair-level).  Also given per kind: pairs
              whose passages are all verbatim, and pairs with a reworded one.
  precision   correct reported pairs / reported pairs, where a reported
              (unordered, distinct) document pair is correct when it is
                planted    a planted pair, or
                sibling    both documents copied overlapping spans (at least
                           SIBLING_BYTES in common) of one source, so they
                           truly share that text, or
                chance     neither, but the two reported spans (whole texts
                           for sim_text) share a run of at least CHANCE_WORDS
                           identical words (lower-cased, punctuation
                           stripped): real shared text that nobody planted.
              Pairs that are none of these are false.  Unexplained pairs are
              checked against the texts; beyond --max-verify of them a
              seeded sample is checked and the shares extrapolated.

Prints one JSON object.

    score_discover.py --truth T.tsv --corpus C.jsonl [--tessera LINKS.jsonl]
                      [--sim SIM.txt] [--files-limit N]

LINKS.jsonl is `tessera discover -o` output; SIM.txt is `sim_text -p` output
("F1 consists for N % of F2 material"); with --files-limit N only planted
pairs whose two documents are among the first N count (sim_text runs on a
prefix of the corpus).
"""
import argparse
import json
import os
import random
import re
import sys
from collections import defaultdict

SIBLING_BYTES = 60       # about 10 words
CHANCE_WORDS = 8
WORD = re.compile(r'\w+')


def docno(did):
    return int(did[1:])


def load_truth(path, limit):
    by_pair = defaultdict(list)      # (lo, hi) -> [(lo_span, hi_span, reworded)]
    by_target = defaultdict(list)    # target -> [(source, s_begin, s_end)]
    with open(path, encoding='utf-8') as f:
        for line in f:
            t, tb, te, s, sb, se, rw, _ = line.rstrip('\n').split('\t')
            t, s = docno(t), docno(s)
            if limit is not None and (t >= limit or s >= limit):
                continue
            tspan, sspan = (int(tb), int(te)), (int(sb), int(se))
            if t < s:
                by_pair[(t, s)].append((tspan, sspan, rw == '1'))
            else:
                by_pair[(s, t)].append((sspan, tspan, rw == '1'))
            by_target[t].append((s, int(sb), int(se)))
    return by_pair, by_target


def overlaps(x, y):
    return x[0] < y[1] and y[0] < x[1]


def is_sibling(a, b, by_target):
    for s1, b1, e1 in by_target.get(a, ()):
        for s2, b2, e2 in by_target.get(b, ()):
            if s1 == s2 and min(e1, e2) - max(b1, b2) >= SIBLING_BYTES:
                return True
    return False


def words_of(text):
    return WORD.findall(text.lower())


def share_run(t1, t2, k=CHANCE_WORDS):
    w1, w2 = words_of(t1), words_of(t2)
    grams = {tuple(w1[i:i + k]) for i in range(len(w1) - k + 1)}
    return any(tuple(w2[i:i + k]) in grams for i in range(len(w2) - k + 1))


def load_texts(corpus, ids):
    """Texts of the documents numbered in `ids`, in one pass over the corpus."""
    want = {'d%08d' % i for i in ids}
    out = {}
    if not want:
        return out
    with open(corpus, encoding='utf-8') as f:
        for line in f:
            # lines start with {"id": "dNNNNNNNN" (gen_discover writes them so)
            if line[8:17] in want:
                out[docno(line[8:17])] = json.loads(line)['text']
                if len(out) == len(want):
                    break
    return out


def score(reported, spans, by_pair, by_target, corpus, max_verify, whole_text):
    """reported: set of (lo, hi); spans: (lo, hi) -> [(lo_span, hi_span)] or None."""
    n = len(by_pair)
    found = set()
    if spans is None:
        found = {p for p in by_pair if p in reported}
    else:
        for p, plist in by_pair.items():
            got = spans.get(p)
            if got and any(overlaps(ls, pl) and overlaps(hs, ph)
                           for ls, hs in got for pl, ph, _ in plist):
                found.add(p)
    rw = {p for p, plist in by_pair.items() if any(r for _, _, r in plist)}
    verb = set(by_pair) - rw
    kinds = {'planted': 0, 'sibling': 0, 'chance': 0, 'false': 0}
    unexplained = []
    for p in reported:
        if p in by_pair:
            kinds['planted'] += 1
        elif is_sibling(p[0], p[1], by_target):
            kinds['sibling'] += 1
        else:
            unexplained.append(p)
    unexplained.sort()
    sample = unexplained
    if len(sample) > max_verify:
        sample = random.Random(7).sample(unexplained, max_verify)
    texts = load_texts(corpus, {d for p in sample for d in p})
    chance = false = 0
    false_examples = []
    for p in sample:
        t1, t2 = texts.get(p[0], ''), texts.get(p[1], '')
        if whole_text:
            ok = share_run(t1, t2)
        else:
            ok = any(share_run(t1[ls[0]:ls[1]], t2[hs[0]:hs[1]]) for ls, hs in spans[p])
        if ok:
            chance += 1
        else:
            false += 1
            if len(false_examples) < 5:
                false_examples.append(['d%08d' % p[0], 'd%08d' % p[1]])
    if sample:
        scale = len(unexplained) / len(sample)
        kinds['chance'] = round(chance * scale)
        kinds['false'] = len(unexplained) - kinds['chance']
    nrep = len(reported)
    correct = kinds['planted'] + kinds['sibling'] + kinds['chance']
    return {
        'planted_pairs': n,
        'found': len(found),
        'recall': round(len(found) / n, 4) if n else None,
        'recall_verbatim': round(len(found & verb) / len(verb), 4) if verb else None,
        'recall_reworded': round(len(found & rw) / len(rw), 4) if rw else None,
        'reported_pairs': nrep,
        'pairs': kinds,
        'verified': len(sample),
        'precision': round(correct / nrep, 4) if nrep else None,
        'precision_planted_or_sibling': round((kinds['planted'] + kinds['sibling']) / nrep, 4)
        if nrep else None,
        'false_examples': false_examples,
        'span_checked': spans is not None,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--truth', required=True)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--tessera')
    ap.add_argument('--sim')
    ap.add_argument('--files-limit', type=int)
    ap.add_argument('--max-verify', type=int, default=5000)
    a = ap.parse_args()
    by_pair, by_target = load_truth(a.truth, a.files_limit)
    out = {}
    if a.tessera:
        reported, spans = set(), defaultdict(list)
        with open(a.tessera, encoding='utf-8') as f:
            for line in f:
                r = json.loads(line)
                x, y = docno(r['a']['id']), docno(r['b']['id'])
                xs, ys = (r['a']['begin'], r['a']['end']), (r['b']['begin'], r['b']['end'])
                if x == y:
                    continue
                if x > y:
                    x, y, xs, ys = y, x, ys, xs
                reported.add((x, y))
                spans[(x, y)].append((xs, ys))
        out['tessera'] = score(reported, spans, by_pair, by_target, a.corpus, a.max_verify, False)
    if a.sim:
        reported = set()
        pat = re.compile(r'^(\S+) consists for \d+ % of (\S+) material')
        with open(a.sim, encoding='utf-8', errors='replace') as f:
            for line in f:
                m = pat.match(line)
                if not m:
                    continue
                x = docno(os.path.splitext(os.path.basename(m.group(1)))[0])
                y = docno(os.path.splitext(os.path.basename(m.group(2)))[0])
                if x != y:
                    reported.add((min(x, y), max(x, y)))
        out['sim_text'] = score(reported, None, by_pair, by_target, a.corpus, a.max_verify, True)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == '__main__':
    main()
