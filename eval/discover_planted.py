#!/usr/bin/env python3
"""Discovery with planted reuse in real news: pair recall and precision of
`tessera discover` over 18,000 documents built from news.jsonl.

    python3 eval/discover_planted.py
    python3 eval/discover_planted.py --docs 4000 --plants 300 --out /tmp/dp
    python3 eval/discover_planted.py --args "--min-significance 0"

How the corpus is built (one seeded random.Random: the same files on every
machine):

1. Documents.  news.jsonl (22,004 real articles: BBC 2004-05, Reuters 1987)
   is shuffled and the first --docs (18,000) are the corpus, as they are.
   Real news holds real reuse (Reuters re-sends and corrections, BBC
   re-filings, wire formulas): it stays in, which is the point.
2. Planted reuse.  --plants times, a source document and another target
   document are drawn; 1-3 consecutive prose sentences (15-120 words) of the
   source (eval/stitch.py's pick_piece) are inserted into the target at a
   sentence boundary; half of the pieces are reworded first (stitch.py's
   reword: about 15% of the words swapped, replaced, deleted or inserted).
   Each (source, target) pair is a planted pair.

Scoring.  Every pair of documents named by a reported passage is one
reported pair (unordered).
- recall: planted pairs reported / planted pairs;
- precision: reported pairs that are right / reported pairs, where a pair is
  right when it was planted, when the two documents share a run of 10 words
  verbatim (the test of the issue: real reuse already in the news, which a
  careful reader would sign), or when one of them holds a planted piece whose
  source text (half of its 8-grams) the other holds (the piece's source
  re-sent under another id).
The pairs that are not right are the false claims: template look-alikes
("said its February load factor slipped to ... from ... a year earlier"),
shared formulas, chance.  Their count by similarity is printed, and a few
with their ids on standard output (the Markdown holds figures only).
"""

import argparse
import collections
import hashlib
import json
import os
import random
import shlex
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import stitch  # noqa: E402

RUN = 10        # words of a verbatim run that make a non-planted pair right
ALT_SHARE = 0.5


def ngram_set(text, n):
    w = stitch.words(text)
    return {int.from_bytes(hashlib.blake2b(" ".join(w[i:i + n]).encode(),
                                           digest_size=8).digest(), "little")
            for i in range(len(w) - n + 1)}


def build(news, n_docs, n_plants, seed, rate):
    """(docs as dicts with id/text, planted pairs, pieces as (target index,
    source text))."""
    rng = random.Random(seed)
    order = list(range(len(news)))
    rng.shuffle(order)
    docs = [{"id": news[i]["id"], "text": news[i]["text"]} for i in order[:n_docs]]
    vocab = sorted({w for d in docs[:2000] for w in d["text"].split()
                    if w.isalpha() and 3 <= len(w) <= 12})
    planted, pieces = set(), []
    tries = 0
    while len(planted) < n_plants and tries < 50 * n_plants:
        tries += 1
        s, t = rng.randrange(n_docs), rng.randrange(n_docs)
        if s == t or (min(s, t), max(s, t)) in planted:
            continue
        src = docs[s]["text"]
        piece = stitch.pick_piece(src, stitch.sentences(src), set(), rng)
        if piece is None:
            continue
        text = stitch.collapse(src[piece[0]:piece[1]])
        if rng.random() < 0.5:
            text = stitch.reword(text, rate, vocab, rng)
        tgt = docs[t]["text"]
        cuts = [0] + [e for _, e in stitch.sentences(tgt)]
        at = rng.choice(cuts)
        sep_a = "" if at == 0 else " "
        sep_b = " " if at < len(tgt) else ""
        docs[t]["text"] = tgt[:at] + sep_a + text + sep_b + tgt[at:]
        planted.add((min(s, t), max(s, t)))
        pieces.append((t, src[piece[0]:piece[1]]))
    return docs, planted, pieces


def main(argv=None):
    ap = argparse.ArgumentParser(description="discover over news with planted reuse")
    ap.add_argument("--news", help="news.jsonl (default: the data folder)")
    ap.add_argument("--tessera", help="tessera binary (default build/tessera)")
    ap.add_argument("--docs", type=int, default=18000)
    ap.add_argument("--plants", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--rate", type=float, default=0.15)
    ap.add_argument("--args", default="", help="extra arguments for `tessera discover`")
    ap.add_argument("--out", help="keep the files in this folder")
    ap.add_argument("--examples", type=int, default=8)
    ap.add_argument("--markdown", help="write the table as Markdown here")
    a = ap.parse_args(argv)
    binary = common.tessera_bin(a.tessera)
    news = stitch.load_news(a.news or common.require_data("news.jsonl"))
    docs, planted, pieces = build(news, a.docs, a.plants, a.seed, a.rate)

    tmp = a.out or tempfile.mkdtemp(prefix="tessera-dplant.")
    os.makedirs(tmp, exist_ok=True)
    cj = os.path.join(tmp, "corpus.jsonl")
    with open(cj, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    ix, pairs = os.path.join(tmp, "db"), os.path.join(tmp, "pairs.jsonl")
    if os.path.exists(ix):
        import shutil
        shutil.rmtree(ix)
    t_index, _ = common.run_timed([binary, "index", "-q", "--db", ix, cj], "index")
    cmd = [binary, "discover", "-q", "--db", ix, "--workdir",
           os.path.join(tmp, "work"), "-o", pairs] + shlex.split(a.args)
    t_disc, _ = common.run_timed(cmd, "discover")

    pos = {d["id"]: i for i, d in enumerate(docs)}
    reported = collections.defaultdict(list)
    with open(pairs, encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            x, y = pos[p["a"]["id"]], pos[p["b"]["id"]]
            reported[(min(x, y), max(x, y))].append(p)

    runs = {}

    def run_set(i):
        if i not in runs:
            runs[i] = ngram_set(docs[i]["text"], RUN)
        return runs[i]

    piece_grams = collections.defaultdict(list)
    for t, text in pieces:
        piece_grams[t].append(ngram_set(text, 8))

    def holds_piece_of(t, o):
        og = None
        for g in piece_grams.get(t, ()):
            if not g:
                continue
            og = og if og is not None else ngram_set(docs[o]["text"], 8)
            if len(g & og) >= ALT_SHARE * len(g):
                return True
        return False

    found = sum(1 for pr in planted if pr in reported)
    right, wrong = 0, []
    for pr, ps in reported.items():
        x, y = pr
        ok = pr in planted or bool(run_set(x) & run_set(y)) or \
            holds_piece_of(x, y) or holds_piece_of(y, x)
        if ok:
            right += 1
        else:
            wrong.append((max(p["similarity"] for p in ps), pr, ps))
    n_rep = len(reported)
    recall = found / len(planted) if planted else 0.0
    precision = right / n_rep if n_rep else 0.0
    buckets = collections.Counter()
    for s, _, _ in wrong:
        buckets[min(9, int(s * 10))] += 1

    rows = [["documents", f"{len(docs):,}", ""],
            ["planted pairs", f"{len(planted):,}", ""],
            ["pair recall", f"{found:,}/{len(planted):,}", f"{recall:.4f}"],
            ["reported pairs", f"{n_rep:,}", ""],
            ["pair precision", f"{right:,}/{n_rep:,}", f"{precision:.4f}"],
            ["false pairs", f"{len(wrong):,}", ""]]
    for b in sorted(buckets):
        rows.append([f"  false, best similarity {b / 10:.1f}-{(b + 1) / 10:.1f}",
                     f"{buckets[b]:,}", ""])
    head = (f"news.jsonl, {len(docs):,} documents, {len(planted):,} planted pairs "
            f"(seed {a.seed}, rate {a.rate}); `tessera discover {a.args}`".rstrip()
            + f"; index {t_index:.1f} s, discover {t_disc:.1f} s")
    print(head)
    print(common.table(["measure", "count", "value"], rows))
    wrong.sort(key=lambda w: -w[0])
    for s, (x, y), ps in wrong[:a.examples]:
        p = ps[0]
        print(f"  false: {docs[x]['id']} ~ {docs[y]['id']} sim {s:.2f} "
              f"words {p.get('words')} evalue {p.get('evalue')}")
    if a.markdown:
        with open(a.markdown, "w", encoding="utf-8") as f:
            f.write(head + "\n\n" + common.table(["measure", "count", "value"], rows,
                                                 markdown=True) + "\n")
    if not a.out:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
