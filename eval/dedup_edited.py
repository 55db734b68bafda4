#!/usr/bin/env python3
"""dedup_edited.py - does `tessera dedup` find edited copies, and only them?

    python3 eval/dedup_edited.py
    python3 eval/dedup_edited.py --args "--measure jaccard"   # the old rule
    python3 eval/dedup_edited.py --docs 4000 --exact 200 --edited 400 --keep DIR

How the corpus is built (one seeded random.Random: the same file on every
machine).  news.jsonl (22,004 real articles: BBC 2004-05, Reuters 1987) is
shuffled; the first --docs minus (--exact + --edited) articles are the
corpus as they are, real re-sends and wire templates included.  Then:

- exact copies (--exact, 800): an article of the corpus, copied unchanged;
- edited copies (--edited, 1,600): an article of at least 30 words, with
  - word edits always: a rate drawn uniformly in [0, 10%] of its words,
    each edit one of: two neighbours swapped (two words touched), a word
    replaced by another word of the corpus, a word deleted, until the
    words touched reach the rate (at least one edit);
  - with probability 1/2, one paragraph dropped (paragraphs: blocks after
    a blank line or an indented line; only when there are at least three
    and the paragraph holds at most a third of the words);
  - with probability 1/2, a byline added at the top ("By NAME, STAFF") or
    a boilerplate line at the end (a copyright, a follow-us or a
    reporting-by line).
  Word edits fall on any word, figures included (a figure replaced by a
  word or deleted is gone from the copy).
Each source is copied once; copies and articles are shuffled together and
renamed d00000, d00001, ... so that nothing in an id tells a copy.

Scoring.  `tessera dedup CORPUS -o OUT --clusters CL [--args]`.  Every two
documents of one cluster are a reported pair (all pairs of the cluster,
not only those with its kept document: a chain that joins two unrelated
documents counts against precision).
- recall: planted pairs (source, copy) in one cluster / planted pairs, for
  exact and edited copies, and for the edited ones by kind of edit;
- precision: reported pairs that are right / reported pairs.  A pair is
  right when it was planted, or when the script's own judge, computed here
  from the texts and not by tessera's code, says that the two are near
  copies.  Two things make a near copy:
  - the words: R = the share of the shorter document's words that lie in
    blocks of at least 3 words matched in order with the other document
    (difflib.SequenceMatcher on the normalized word lists, no autojunk) is
    at least --right (0.75).  The planted edited copies, which touch at
    most 10% of the words, have R >= 0.79 in 99 cases in 100 (the script
    prints their spread);
  - the figures: a template instance ("The Federal Reserve entered the
    U.S. Government securities market to arrange 1.5 billion dlrs of
    customer repurchase agreements ... at 6-3/8 pct") holds the template's
    words, in long blocks, and other figures: so of the shorter document's
    figures (numbers as written, "1.5", "6-3/8", "51,000", counted as a
    multiset), f' of f must be in the other with (f' + 1) / (f + 1) >=
    --right too (a text without figures passes; one figure of one
    differing fails; between two documents of one length, the smaller of
    the two ways).
  The judge shares one idea with tessera's default measure, that figures
  tell template instances apart; it computes it on its own (Python,
  difflib, its own words), and every pair it calls wrong is counted.
  Reported pairs that are not right are the false claims: template
  look-alikes, and also stories rewritten with their paragraphs in another
  order, which R (in order) does not count; they are listed on standard
  output with their R, highest first.

Prints a report and, with --markdown FILE, tables for EVAL.md.  Exits 1
when an exact copy is missed.  Python standard library only; reads the data
from outside the repository and writes only to a temporary folder (or
--keep DIR).
"""

import argparse
import collections
import difflib
import json
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

WORD = re.compile(r'[^\W_]+')
PARA = re.compile(r'\n[ \t]*\n\s*|\n(?=[ \t])')
FIRST = ["Anna", "John", "Maria", "Peter", "Li", "Fatima", "James", "Sofia",
         "Ahmed", "Claire", "David", "Elena", "Tom", "Yuki", "Carlos", "Nadia"]
LAST = ["Smith", "Brown", "Garcia", "Mueller", "Chen", "Rossi", "Novak",
        "Okafor", "Dubois", "Tanaka", "Silva", "Kowalski", "Jensen", "Haddad"]
STAFF = ["Staff Reporter", "Business Correspondent", "Political Editor",
         "Reuters", "in London", "in New York", "Wire Desk"]
TAILS = ["Copyright {y} The {p} Courier. All rights reserved.",
         "Follow us for the latest {p} news and analysis.",
         "(Reporting by {n}; Editing by {m})",
         "This story was first published by the {p} Herald on {d} March {y}.",
         "Additional reporting by {n}."]
PLACES = ["Daily", "Evening", "Northern", "Metro", "Global", "City"]


def words(text):
    """Normalized words as tessera makes them: NFKD, case folded, marks
    stripped, runs of letters and digits."""
    t = unicodedata.normalize('NFKD', text).casefold()
    t = ''.join(c for c in t if not unicodedata.combining(c))
    return WORD.findall(t)


FIGURE = re.compile(r'\d+(?:[.,/:-]\d+)*')


def figures(text):
    """The numbers of a text as written ("1.5", "6-3/8", "51,000")."""
    return collections.Counter(FIGURE.findall(unicodedata.normalize('NFKC', text)))


def figure_share(a, b, na, nb):
    """(f' + 1) / (f + 1): f figures (Counter) of the shorter text (na, nb:
    word counts), f' of them in the other (as a multiset); for two texts of
    one length, the smaller of the two ways."""
    def one(x, y):
        found = sum(min(c, y[t]) for t, c in x.items())
        return (found + 1) / (sum(x.values()) + 1)
    if na == nb:
        return min(one(a, b), one(b, a))
    return one(a, b) if na < nb else one(b, a)


def ref_share(a, b, block=3):
    """R: share of the shorter word list lying in in-order matched blocks
    of at least `block` words with the other."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hit = sum(m.size for m in sm.get_matching_blocks() if m.size >= block)
    if len(a) < block:
        hit = len(a) if a == b else 0
    return hit / len(a)


# ---------------------------------------------------------------- building

def edit_words(text, rate, vocab, rng):
    """Word edits touching about rate * words (at least one edit); the
    text's white space (line breaks, paragraphs) is kept."""
    parts = re.split(r'(\s+)', text)
    idx = [i for i, p in enumerate(parts) if p and not p.isspace()]
    want = max(1, round(rate * len(idx)))
    touched, kinds = 0, collections.Counter()
    while touched < want and len(idx) > 2:
        op = rng.choice(("swap", "replace", "delete"))
        k = rng.randrange(len(idx))
        i = idx[k]
        if op == "swap" and k + 1 < len(idx):
            j = idx[k + 1]
            parts[i], parts[j] = parts[j], parts[i]
            touched += 2
        elif op == "replace":
            w = rng.choice(vocab)
            if w.lower() == parts[i].lower():
                continue
            parts[i] = w
            touched += 1
        else:
            op = "delete"
            parts[i] = ''
            if i + 1 < len(parts) and parts[i + 1].isspace() and ' ' in parts[i + 1]:
                parts[i + 1] = parts[i + 1].replace(' ', '', 1)
            del idx[k]
            touched += 1
        kinds[op] += 1
    return ''.join(parts), touched, kinds


def drop_paragraph(text, rng):
    """Text without one of its paragraphs, or None."""
    cuts = [0] + [m.start() for m in PARA.finditer(text)] + [len(text)]
    paras = [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)]
    if len(paras) < 3:
        return None
    total = len(text.split())
    ok = [i for i, (b, e) in enumerate(paras)
          if 0 < len(text[b:e].split()) <= total / 3]
    if not ok:
        return None
    i = rng.choice(ok)
    b, e = paras[i]
    return text[:b] + text[e:] if i else text[e:].lstrip()


def add_line(text, rng):
    if rng.random() < 0.5:
        by = f"By {rng.choice(FIRST)} {rng.choice(LAST)}, {rng.choice(STAFF)}"
        return by + "\n\n" + text, "byline"
    tail = rng.choice(TAILS).format(
        y=rng.randint(1987, 2024), p=rng.choice(PLACES), d=rng.randint(1, 28),
        n=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        m=f"{rng.choice(FIRST)} {rng.choice(LAST)}")
    return text.rstrip() + "\n\n" + tail, "boilerplate line"


def build(news, n_docs, n_exact, n_edited, seed):
    """(documents [(id, text)], planted [(source index, copy index, kind,
    features)])."""
    rng = random.Random(seed)
    order = list(range(len(news)))
    rng.shuffle(order)
    n_base = n_docs - n_exact - n_edited
    if n_base <= 0 or n_base > len(news):
        sys.exit("dedup_edited.py: --docs must exceed --exact + --edited, "
                 f"and the corpus part must fit in {len(news)} articles")
    base = [news[i]["text"] for i in order[:n_base]]
    vocab = sorted({w for t in base[:3000] for w in t.split()
                    if w.isalpha() and 3 <= len(w) <= 12})
    long_enough = [i for i, t in enumerate(base) if len(words(t)) >= 30]
    if len(long_enough) < n_edited + n_exact:
        sys.exit("dedup_edited.py: not enough articles of 30 words for the copies")
    sources = rng.sample(long_enough, n_edited)
    rest = sorted(set(range(n_base)) - set(sources))
    sources_exact = rng.sample(rest, n_exact)
    texts = list(base)
    planted = []
    for s in sources_exact:
        texts.append(base[s])
        planted.append((s, len(texts) - 1, "exact", {}))
    for s in sources:
        t = base[s]
        feat = {}
        rate = rng.uniform(0.0, 0.10)
        t, touched, kinds = edit_words(t, rate, vocab, rng)
        feat["rate"] = touched / max(1, len(t.split()) + kinds["delete"])
        if rng.random() < 0.5:
            d = drop_paragraph(t, rng)
            if d is not None:
                t = d
                feat["dropped paragraph"] = True
        if rng.random() < 0.5:
            t, what = add_line(t, rng)
            feat[what] = True
        texts.append(t)
        planted.append((s, len(texts) - 1, "edited", feat))
    perm = list(range(len(texts)))
    rng.shuffle(perm)
    pos = {old: new for new, old in enumerate(perm)}
    docs = [(f"d{new:05d}", texts[old]) for new, old in enumerate(perm)]
    planted = [(pos[s], pos[c], k, f) for s, c, k, f in planted]
    return docs, planted


# ---------------------------------------------------------------- scoring

def edited_kind(f):
    ks = []
    if f.get("dropped paragraph"):
        ks.append("paragraph dropped")
    if f.get("byline"):
        ks.append("byline added")
    if f.get("boilerplate line"):
        ks.append("boilerplate line added")
    return ks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None, help="news.jsonl (default: the data folder)")
    ap.add_argument("--tessera", default=None)
    ap.add_argument("--args", default="", help="extra options for tessera dedup")
    ap.add_argument("--docs", type=int, default=16000)
    ap.add_argument("--exact", type=int, default=800)
    ap.add_argument("--edited", type=int, default=1600)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--right", type=float, default=0.75,
                    help="R and figure share at which an unplanted reported pair is right")
    ap.add_argument("--keep", help="write the corpus and outputs here")
    ap.add_argument("--examples", type=int, default=8, help="wrong pairs printed")
    ap.add_argument("--markdown")
    a = ap.parse_args()
    data = a.data or common.require_data("news.jsonl")
    tessera = common.tessera_bin(a.tessera)
    with open(data, encoding="utf-8") as f:
        news = [json.loads(line) for line in f if line.strip()]
    docs, planted = build(news, a.docs, a.exact, a.edited, a.seed)

    tmpd = None
    if a.keep:
        out_dir = a.keep
        os.makedirs(out_dir, exist_ok=True)
    else:
        tmpd = tempfile.TemporaryDirectory(prefix="tsr-dedup-edited-")
        out_dir = tmpd.name
    corpus = os.path.join(out_dir, "corpus.jsonl")
    with open(corpus, "w", encoding="utf-8") as f:
        for i, t in docs:
            f.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
    with open(os.path.join(out_dir, "truth.jsonl"), "w") as f:
        for s, c, k, feat in planted:
            f.write(json.dumps({"source": docs[s][0], "copy": docs[c][0], "kind": k,
                                **feat}) + "\n")
    out = os.path.join(out_dir, "out.jsonl")
    cl = os.path.join(out_dir, "clusters.jsonl")
    cmd = [tessera, "dedup", corpus, "-o", out, "--clusters", cl] + shlex.split(a.args)
    wall, err = common.run_timed(cmd, "dedup")
    summary = [ln for ln in err.splitlines() if "dedup:" in ln]
    clusters = [json.loads(ln) for ln in open(cl)]
    kept = sum(1 for _ in open(out))
    if tmpd:
        tmpd.cleanup()

    index = {d[0]: i for i, d in enumerate(docs)}
    cluster_of = {}
    for c in clusters:
        for d in c["ids"]:
            cluster_of[index[d]] = c["cluster"]

    def together(x, y):
        return x in cluster_of and cluster_of.get(x) == cluster_of.get(y)

    ws, fs = {}, {}

    def w(i):
        if i not in ws:
            ws[i] = words(docs[i][1])
        return ws[i]

    def fig(i):
        if i not in fs:
            fs[i] = figures(docs[i][1])
        return fs[i]

    # recall
    rows = collections.OrderedDict()

    def tally(label, hit):
        n, f = rows.get(label, (0, 0))
        rows[label] = (n + 1, f + hit)

    planted_set = set()
    r_planted = []
    for s, c, k, feat in planted:
        planted_set.add((min(s, c), max(s, c)))
        hit = together(s, c)
        tally("all planted pairs", hit)
        tally(f"{k} copies", hit)
        if k == "edited":
            r_planted.append((ref_share(w(s), w(c)), s, c))
            rate = feat["rate"]
            band = "0-5%" if rate < 0.05 else "5-10%"
            tally(f"edited: word edits {band}", hit)
            for kind in edited_kind(feat):
                tally(f"edited: {kind}", hit)
            if not edited_kind(feat):
                tally("edited: word edits only", hit)

    # precision: every pair of a cluster
    reported = 0
    right = 0
    wrong = []
    unplanted_right = 0
    for c in clusters:
        m = [index[d] for d in c["ids"]]
        for x in range(len(m)):
            for y in range(x + 1, len(m)):
                p, q = min(m[x], m[y]), max(m[x], m[y])
                reported += 1
                if (p, q) in planted_set:
                    right += 1
                    continue
                r = ref_share(w(p), w(q))
                f = figure_share(fig(p), fig(q), len(w(p)), len(w(q)))
                if r >= a.right and f >= a.right:
                    right += 1
                    unplanted_right += 1
                else:
                    wrong.append((r, f, p, q))
    n_planted = len(planted)
    found = rows["all planted pairs"][1]
    recall = found / max(1, n_planted)
    precision = right / max(1, reported)

    def pct(n, f):
        return f"{f}/{n} = {f / max(1, n):.3f}"

    lines = []
    lines.append("| measure | value |")
    lines.append("|---|---|")
    lines.append(f"| documents (articles + exact + edited copies) | {len(docs):,} "
                 f"({len(docs) - n_planted:,} + {a.exact:,} + {a.edited:,}) |")
    lines.append(f"| command | `tessera dedup CORPUS -o OUT --clusters CL"
                 f"{(' ' + a.args) if a.args else ''}` |")
    lines.append(f"| wall time | {wall:.1f} s |")
    lines.append(f"| clusters / documents kept | {len(clusters):,} / {kept:,} |")
    lines.append(f"| **pair recall**, all planted pairs | **{pct(n_planted, found)}** |")
    lines.append(f"| exact copies in one cluster with their source | {pct(*rows['exact copies'])} |")
    lines.append(f"| edited copies in one cluster with their source | {pct(*rows['edited copies'])} |")
    lines.append(f"| reported pairs (every two documents of a cluster) | {reported:,} |")
    lines.append(f"| of them planted / unplanted but near copies (R and figures >= {a.right}) / wrong | "
                 f"{right - unplanted_right:,} / {unplanted_right:,} / {len(wrong):,} |")
    lines.append(f"| **precision** | **{right}/{reported} = {precision:.3f}** |")
    lines.append("")
    lines.append("| edited copies | planted | in one cluster | recall |")
    lines.append("|---|---|---|---|")
    for label, (n, f) in rows.items():
        if label.startswith("edited: "):
            lines.append(f"| {label[8:]} | {n} | {f} | {f / max(1, n):.3f} |")
    table = "\n".join(lines)
    print(table)
    print()
    for s in summary:
        print("  " + s)
    rp = sorted(r for r, _, _ in r_planted)
    if rp:
        print(f"R of the planted edited copies: min {rp[0]:.3f}, 1st percentile "
              f"{rp[len(rp) // 100]:.3f}, median {rp[len(rp) // 2]:.3f}")
    missed = [(r, s, c) for r, s, c in r_planted if not together(s, c)]
    if missed:
        print(f"missed edited copies ({len(missed)}), lowest R first:")
        for r, s, c in sorted(missed)[:a.examples]:
            print(f"  {docs[s][0]} ~ {docs[c][0]}: R {r:.3f}, {len(w(s))} / {len(w(c))} words")
    if wrong:
        print(f"wrong pairs ({len(wrong)}), highest R first:")
        for r, f, p, q in sorted(wrong, reverse=True)[:a.examples]:
            print(f"  {docs[p][0]} ~ {docs[q][0]}: R {r:.3f}, figures {f:.3f}, "
                  f"{len(w(p))} / {len(w(q))} words: "
                  f"{' '.join(w(p)[:10])!r} / {' '.join(w(q)[:10])!r}")
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(table + "\n")
    if rows["exact copies"][1] != rows["exact copies"][0]:
        print("exact copies NOT all found")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
