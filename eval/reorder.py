#!/usr/bin/env python3
"""Reordered text mapped faithfully: `tessera align` of real articles
against the same articles with their paragraphs or sentences reordered.

    python3 eval/reorder.py                     # 300 BBC articles, 5 reorderings each
    python3 eval/reorder.py --articles 50 --show 3

How it is built (one seeded random.Random).  BBC articles of news.jsonl
with at least five paragraphs (blank-line separated) are taken; their
paragraphs are joined by blank lines into the original B.  Each article is
reordered five ways into A, with nothing between the blocks:
- reversed: the paragraphs in reverse order;
- rotated: paragraphs 4 5 1 2 3 (the last two first);
- swapped: two neighbouring paragraphs exchanged;
- sentences: the sentences of one long paragraph rotated by one;
- mixed: a reordered block (two paragraphs swapped) next to verbatim ones.
Every byte of every block of A knows its byte in B.

Scoring (`tessera align --json A B`, bytes):
- faithful: of the bytes of A that reported passages cover, the share mapped
  to the same text: a byte x of a passage (a0, a1) ~ (b0, b1) is faithful
  when its true counterpart in B lies within TOL bytes of where the passage
  puts it, b0 + (x - a0) * (b1 - b0) / (a1 - a0).  A passage that pairs
  paragraph 4 with paragraph 1 maps nothing faithfully.
- coverage: the share of A's block bytes that some passage covers.
Targets (issue 9): faithful >= 0.99, coverage >= 0.95.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import stitch  # noqa: E402

TOL = 32
KINDS = ("reversed", "rotated", "swapped", "sentences", "mixed")


def blocks_of(kind, paras, rng):
    """The blocks of A as (text, byte offset of that text in B)."""
    sep = "\n\n"
    offs, o = [], 0
    for p in paras:
        offs.append(o)
        o += len(p.encode()) + len(sep)
    items = list(zip(paras, offs))
    if kind == "reversed":
        return items[::-1]
    if kind == "rotated":
        return items[-2:] + items[:-2]
    if kind in ("swapped", "mixed"):
        i = rng.randrange(len(items) - 1) if kind == "swapped" else len(items) // 2
        items[i], items[i + 1] = items[i + 1], items[i]
        return items
    # sentences: rotate the sentences of the longest paragraph by one
    k = max(range(len(paras)), key=lambda j: len(paras[j]))
    p, base = items[k]
    sents = stitch.sentences(p)
    if len(sents) < 3:
        return None
    pieces = [(p[b:e], base + len(p[:b].encode())) for b, e in sents]
    return items[:k] + pieces[1:] + pieces[:1] + items[k + 1:]


def build_a(blocks):
    """A's text and, per byte of A, the byte of B it came from (-1: separator)."""
    out, truth = [], []
    for n, (t, boff) in enumerate(blocks):
        if n:
            out.append("\n\n")
            truth.extend([-1, -1])
        out.append(t)
        truth.extend(range(boff, boff + len(t.encode())))
    return "".join(out), truth


def score(passages, truth):
    covered, faithful = set(), 0
    for p in passages:
        a0, a1 = p["begin"], p["end"]
        b0, b1 = p["source"]["begin"], p["source"]["end"]
        ratio = (b1 - b0) / (a1 - a0) if a1 > a0 else 1.0
        for x in range(a0, a1):
            if x in covered or truth[x] < 0:
                continue
            covered.add(x)
            faithful += abs(truth[x] - (b0 + (x - a0) * ratio)) <= TOL
    total = sum(1 for t in truth if t >= 0)
    return len(covered), faithful, total


def main(argv=None):
    ap = argparse.ArgumentParser(description="faithfulness of passages on reordered text")
    ap.add_argument("--news", help="news.jsonl (default: the data folder)")
    ap.add_argument("--tessera", help="tessera binary (default build/tessera)")
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--show", type=int, default=0, help="print this many unfaithful passages")
    ap.add_argument("--markdown")
    a = ap.parse_args(argv)
    binary = common.tessera_bin(a.tessera)
    news = stitch.load_news(a.news or common.require_data("news.jsonl"))
    rng = random.Random(a.seed)
    arts = [n for n in news if n["id"].startswith("bbc/")]
    rng.shuffle(arts)
    acc = {k: [0, 0, 0, 0] for k in KINDS}   # covered, faithful, total, cases
    shown = 0
    with tempfile.TemporaryDirectory(prefix="tessera-reorder.") as tmp:
        pb, pa = os.path.join(tmp, "b.txt"), os.path.join(tmp, "a.txt")
        used = 0
        for art in arts:
            if used >= a.articles:
                break
            paras = [" ".join(p.split()) for p in art["text"].split("\n\n") if p.strip()]
            paras = [p for p in paras if len(p.split()) >= 15]
            if len(paras) < 5:
                continue
            paras = paras[:8]
            used += 1
            with open(pb, "w", encoding="utf-8") as f:
                f.write("\n\n".join(paras))
            for kind in KINDS:
                blocks = blocks_of(kind, list(paras), rng)
                if not blocks:
                    continue
                text, truth = build_a(blocks)
                with open(pa, "w", encoding="utf-8") as f:
                    f.write(text)
                p = subprocess.run([binary, "align", "--json", pa, pb], capture_output=True)
                if p.returncode != 0:
                    sys.exit(f"reorder.py: tessera align failed: {p.stderr.decode()[-500:]}")
                res = json.loads(p.stdout)
                c, fa, tot = score(res["passages"], truth)
                s = acc[kind]
                s[0] += c; s[1] += fa; s[2] += tot; s[3] += 1
                if shown < a.show and fa < c:
                    shown += 1
                    print(f"  unfaithful ({kind}, {art['id']}): " + ", ".join(
                        f"{q['begin']}-{q['end']} ~ {q['source']['begin']}-{q['source']['end']}"
                        for q in res["passages"]))
    rows, tc, tf, tt, tn = [], 0, 0, 0, 0
    for k in KINDS:
        c, fa, tot, n = acc[k]
        tc += c; tf += fa; tt += tot; tn += n
        rows.append([k, f"{n}", f"{fa / c:.4f}" if c else "-", f"{c / tot:.4f}" if tot else "-"])
    rows.append(["all", f"{tn}", f"{tf / tc:.4f}" if tc else "-", f"{tc / tt:.4f}" if tt else "-"])
    head = (f"{used} BBC articles of news.jsonl (5-8 paragraphs), 5 reorderings each, "
            f"`tessera align --json`; faithful within {TOL} bytes")
    print(head)
    print(common.table(["reordering", "cases", "faithful", "coverage"], rows))
    if a.markdown:
        with open(a.markdown, "w", encoding="utf-8") as f:
            f.write(head + "\n\n" + common.table(["reordering", "cases", "faithful", "coverage"],
                                                 rows, markdown=True) + "\n")


if __name__ == "__main__":
    main()
