#!/usr/bin/env python3
"""gen_corpus.py - a seeded benchmark corpus resampled from real news text.

Reads the research articles in news.jsonl (kept outside the repository;
nothing of it is written inside the repository) and writes, outside the
repository:

  corpus JSONL   N documents {"id", "title", "text"}.  Each document is built
                 from paragraphs and runs of sentences drawn from random
                 articles, so the text is real prose and sentences recur
                 across documents the way wire copy does.  The length of
                 each document is the length of a random source article,
                 so the length distribution follows news.jsonl (~1 KB).
                 A share of the drawn pieces get one small word edit
                 (a word dropped, doubled or two words swapped), so that
                 reused text is not always verbatim.
  queries        Q articles of exactly 1,000 words for `check` latency:
                 half stitched from corpus documents (real reuse: runs
                 of paragraphs of about 10 documents among the first
                 --subset ones), half
                 from held-out articles that the corpus never draws from.
                 Written as JSONL ({"id", "kind", "text", "sources"}) and,
                 with --queries-dir, as one .txt file per query.
  subset files   with --subset-dir, the first --subset documents as one
                 .txt file each, for peers that need files on disk
                 (sim_text, ssdeep).

Everything derives from --seed: the same arguments give the same bytes.
Python standard library only.

    python3 bench/gen_corpus.py --docs 100000 --out /tmp/b/corpus.jsonl \\
        --queries-out /tmp/b/queries.jsonl --queries-dir /tmp/b/queries \\
        --subset 10000 --subset-dir /tmp/b/subset
"""
import argparse
import json
import os
import random
import re
import sys
import time

HELD_OUT_SHARE = 0.05    # articles reserved for the "fresh" queries
EDIT_SHARE = 0.2         # drawn pieces that get one word edit
QUERY_WORDS = 1000

# A sentence ends at . ! ? (optionally closed by a quote or bracket) that is
# followed by white space and an upper-case letter, digit or quote.
SENT_SPLIT = re.compile(r'(?<=[.!?])(?<!\b[A-Z][a-z]\.)(?<!\b[A-Z]\.)\s+(?=["\'A-Z0-9])')
SPACE = re.compile(r'\s+')


def default_data():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    data = os.environ.get('TESSERA_DATA') or os.path.join(os.path.dirname(repo), 'shared', 'data')
    return os.path.join(data, 'news.jsonl')


def paragraphs_of(art_id, text):
    """Paragraphs of one article as lists of sentences (white space folded).
    BBC separates paragraphs with blank lines; Reuters hard-wraps lines and
    indents each paragraph, and ends with a "Reuter" sign-off."""
    if art_id.startswith('reuters'):
        text = re.sub(r'\s*\bReuter\s*$', '', text)
        raw = re.split(r'\n\s*\n|\n(?=[ \t]{2,}\S)', text)
    else:
        raw = re.split(r'\n\s*\n', text)
    paras = []
    for p in raw:
        p = SPACE.sub(' ', p).strip()
        if len(p) < 2:
            continue
        sents = [s for s in SENT_SPLIT.split(p) if s]
        if sents:
            paras.append(sents)
    return paras


def load(path, rng):
    """(pool, held, lengths, titles): pool and held are lists of paragraphs
    (each a list of sentences); lengths are the source articles' byte
    lengths; titles their titles."""
    arts = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            a = json.loads(line)
            arts.append((a.get('id', ''), a.get('title') or '', a.get('text') or ''))
    order = list(range(len(arts)))
    rng.shuffle(order)
    n_held = max(1, int(len(arts) * HELD_OUT_SHARE))
    held_set = set(order[:n_held])
    pool, held, lengths, titles = [], [], [], []
    for i, (aid, title, text) in enumerate(arts):
        paras = paragraphs_of(aid, text)
        if not paras:
            continue
        if i in held_set:
            held.append(paras)
        else:
            pool.extend(paras)
            lengths.append(len(text.encode('utf-8')))
            if title:
                titles.append(title)
    return pool, held, lengths, titles


def edit(sentence, rng):
    """One small word edit: drop, double or swap words."""
    w = sentence.split(' ')
    if len(w) < 4:
        return sentence
    i = rng.randrange(1, len(w) - 1)
    k = rng.randrange(3)
    if k == 0:
        del w[i]
    elif k == 1:
        w.insert(i, w[i])
    else:
        w[i], w[i + 1] = w[i + 1], w[i]
    return ' '.join(w)


def piece(pool, rng):
    """A paragraph's worth of text: a whole paragraph half the time, else a
    run of 1-3 consecutive sentences of it."""
    p = pool[rng.randrange(len(pool))]
    if len(p) > 1 and rng.random() < 0.5:
        n = rng.randint(1, min(3, len(p)))
        s = rng.randrange(len(p) - n + 1)
        p = p[s:s + n]
    if rng.random() < EDIT_SHARE:
        j = rng.randrange(len(p))
        p = p[:j] + [edit(p[j], rng)] + p[j + 1:]
    return ' '.join(p)


def make_doc(pool, lengths, rng):
    target = lengths[rng.randrange(len(lengths))]
    parts, size = [], 0
    while size < target:
        t = piece(pool, rng)
        parts.append(t)
        size += len(t) + 2       # bytes are close enough to characters here
    return '\n\n'.join(parts)


def take_words(paras, n):
    """Paragraphs cut so that they hold exactly n words in all."""
    out, have = [], 0
    for p in paras:
        w = p.split()
        if have + len(w) >= n:
            out.append(' '.join(w[:n - have]))
            have = n
            break
        out.append(p)
        have += len(w)
    return '\n\n'.join(out), have


def reuse_query(docs, rng):
    """~1,000 words: runs of 1-3 paragraphs of as many corpus documents as
    it takes (about 10)."""
    paras, sources, words = [], [], 0
    while words < QUERY_WORDS:
        did, text = docs[rng.randrange(len(docs))]
        ps = text.split('\n\n')
        n = rng.randint(1, min(3, len(ps)))
        s = rng.randrange(len(ps) - n + 1)
        paras.extend(ps[s:s + n])
        words += sum(len(p.split()) for p in ps[s:s + n])
        sources.append(did)
    text, _ = take_words(paras, QUERY_WORDS)
    return text, sources


def fresh_query(held, rng):
    paras = []
    while sum(len(p.split()) for p in paras) < QUERY_WORDS:
        art = held[rng.randrange(len(held))]
        paras.extend(' '.join(p) for p in art)
    text, _ = take_words(paras, QUERY_WORDS)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--data', default=default_data(), help='news.jsonl (read only)')
    ap.add_argument('--docs', type=int, default=1000000, help='documents to write (1,000,000)')
    ap.add_argument('--seed', type=int, default=20240611)
    base = os.environ.get('TESSERA_BENCH_DIR') or '/tmp/tessera-bench'
    ap.add_argument('--out', default=None, help='corpus JSONL (default $TESSERA_BENCH_DIR'
                    ' or /tmp/tessera-bench, corpus-N.jsonl)')
    ap.add_argument('--queries', type=int, default=200, help='query articles (200)')
    ap.add_argument('--queries-out', default=None, help='queries JSONL')
    ap.add_argument('--queries-dir', default=None, help='also one .txt per query here')
    ap.add_argument('--subset', type=int, default=10000,
                    help='the first documents: reuse queries draw from them (10,000)')
    ap.add_argument('--subset-dir', default=None, help='write the subset as .txt files here')
    a = ap.parse_args()
    if a.docs < 1 or a.subset < 1 or a.queries < 0:
        ap.error('--docs and --subset must be positive')
    a.subset = min(a.subset, a.docs)
    out = a.out or os.path.join(base, 'corpus-%d.jsonl' % a.docs)
    qout = a.queries_out or os.path.join(os.path.dirname(out) or '.', 'queries.jsonl')
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for p in (out, qout, a.queries_dir, a.subset_dir):
        if p and os.path.abspath(p).startswith(here + os.sep):
            sys.exit('gen_corpus: %s is inside the repository; write outside it' % p)

    t0 = time.time()
    rng = random.Random(a.seed)
    pool, held, lengths, titles = load(a.data, rng)
    print('gen_corpus: %d paragraphs to draw from, %d held-out articles (%.1f s)'
          % (len(pool), len(held), time.time() - t0), file=sys.stderr)

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    subset = []
    total = 0
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with open(out, 'w', encoding='utf-8', buffering=1 << 22) as f:
        buf = []
        for i in range(a.docs):
            did = 'gen/%07d' % i
            text = make_doc(pool, lengths, rng)
            title = titles[rng.randrange(len(titles))]
            buf.append(dumps({'id': did, 'title': title, 'text': text}))
            total += len(text)
            if i < a.subset:
                subset.append((did, text))
            if len(buf) >= 4096:
                buf.append('')
                f.write('\n'.join(buf))
                buf = []
        if buf:
            buf.append('')
            f.write('\n'.join(buf))
    el = time.time() - t0
    print('gen_corpus: %s: %d documents, %.1f MB of text, %.1f s'
          % (out, a.docs, total / 1e6, el), file=sys.stderr)

    if a.subset_dir:
        os.makedirs(a.subset_dir, exist_ok=True)
        for did, text in subset:
            with open(os.path.join(a.subset_dir, did.replace('/', '-') + '.txt'), 'w',
                      encoding='utf-8') as f:
                f.write(text + '\n')

    qrng = random.Random(a.seed + 1)
    qs = []
    for q in range(a.queries):
        if q % 2 == 0:
            text, sources = reuse_query(subset, qrng)
            qs.append({'id': 'q%04d' % q, 'kind': 'reuse', 'text': text, 'sources': sources})
        else:
            qs.append({'id': 'q%04d' % q, 'kind': 'fresh', 'text': fresh_query(held, qrng),
                       'sources': []})
    os.makedirs(os.path.dirname(os.path.abspath(qout)), exist_ok=True)
    with open(qout, 'w', encoding='utf-8') as f:
        for r in qs:
            f.write(dumps(r) + '\n')
    if a.queries_dir:
        os.makedirs(a.queries_dir, exist_ok=True)
        for r in qs:
            with open(os.path.join(a.queries_dir, r['id'] + '.txt'), 'w', encoding='utf-8') as f:
                f.write(r['text'] + '\n')
    print('gen_corpus: %s: %d queries of %d words; done in %.1f s'
          % (qout, len(qs), QUERY_WORDS, time.time() - t0), file=sys.stderr)


if __name__ == '__main__':
    main()
