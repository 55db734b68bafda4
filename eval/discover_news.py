#!/usr/bin/env python3
"""Discovery over the news corpus: run `tessera discover` on all 22,004
articles of news.jsonl (BBC News 2004-05, Reuters-21578) and report the
families it finds, and whether the corpus's exact re-filings come out
together.

    python3 eval/discover_news.py
    python3 eval/discover_news.py --threads 2 --markdown out.md --examples 8

How it works.  The articles are copied to a JSON Lines file in a temporary
folder with a "series" field added ("bbc" or "reuters21578", the id's first
part), indexed with `tessera index`, and `tessera discover -o PAIRS
--families FAMILIES` runs over the index.

Exact re-filings are found independently of tessera: articles whose text is
identical after normalization (case folded, every run of non-alphanumeric
characters made one space) form a group.  A group is "together" when one
discovered family holds all of its articles; "split" when each of them is in
some family but no family holds them all; "missed" otherwise.  Groups whose
text has fewer words than the shortest passage (15) cannot be found at all
and are counted apart.

The example families are printed with a short excerpt of their origin's
text on standard output only; the Markdown (which may end up in the
repository) holds ids and sizes, never text of the corpus.
"""

import argparse
import collections
import json
import os
import re
import shlex
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

MIN_WORDS = 15
NONWORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize(text):
    return NONWORD.sub(" ", text.casefold()).strip()


def source_of(doc_id):
    return doc_id.split("/", 1)[0]


def size_bucket(n):
    for lo, hi, label in ((2, 2, "2"), (3, 3, "3"), (4, 5, "4-5"), (6, 10, "6-10"),
                          (11, 50, "11-50"), (51, 10**9, ">50")):
        if lo <= n <= hi:
            return label
    return "?"


BUCKETS = ["2", "3", "4-5", "6-10", "11-50", ">50"]


def main(argv=None):
    ap = argparse.ArgumentParser(description="tessera discover over news.jsonl.")
    ap.add_argument("--data", help="news.jsonl (default: $TESSERA_DATA/news.jsonl)")
    ap.add_argument("--tessera", help="tessera binary (default build/tessera)")
    ap.add_argument("--threads", type=int, default=0,
                    help="discover --threads (default 0: all cores)")
    ap.add_argument("--args", default="", help="extra arguments for `tessera discover`")
    ap.add_argument("--examples", type=int, default=6, help="example families to show")
    ap.add_argument("--markdown", help="write the tables as Markdown here")
    args = ap.parse_args(argv)

    path = args.data or common.require_data("news.jsonl")
    binary = common.tessera_bin(args.tessera)
    docs = {}
    order = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                docs[obj["id"]] = obj
                order.append(obj["id"])

    with tempfile.TemporaryDirectory(prefix="tessera-dnews-") as tmp:
        cj = os.path.join(tmp, "news.jsonl")
        with open(cj, "w", encoding="utf-8") as out:
            for i in order:
                o = dict(docs[i])
                o["series"] = source_of(i)
                out.write(json.dumps(o, ensure_ascii=False) + "\n")
        ix = os.path.join(tmp, "ix")
        t_index, _ = common.run_timed([binary, "index", "-q", "--db", ix, cj], "index")
        pairs = os.path.join(tmp, "pairs.jsonl")
        fams = os.path.join(tmp, "families.jsonl")
        cmd = [binary, "discover", "--db", ix, "--workdir", os.path.join(tmp, "work"),
               "-o", pairs, "--families", fams, "--threads", str(args.threads)] + \
            shlex.split(args.args)
        t_disc, summary = common.run_timed(cmd, "discover")
        with open(fams, encoding="utf-8") as f:
            families = [json.loads(x) for x in f if x.strip()]
        with open(pairs, encoding="utf-8") as f:
            nlinks = sum(1 for x in f if x.strip())

    # families: sizes (documents, not spans), composition
    fam_docs = []
    of_doc = collections.defaultdict(set)
    for fm in families:
        ids = []
        for m in fm["members"]:
            if not ids or ids[-1] != m["id"]:
                ids.append(m["id"])
        ids = sorted(set(ids))
        fam_docs.append(ids)
        for i in ids:
            of_doc[i].add(fm["family"])
    sizes = collections.Counter(size_bucket(len(d)) for d in fam_docs)
    comp = collections.Counter(
        "+".join(sorted({source_of(i) for i in d})) for d in fam_docs)

    # exact re-filings
    groups = collections.defaultdict(list)
    for i in order:
        groups[(source_of(i), normalize(docs[i]["text"]))].append(i)
    res = collections.defaultdict(collections.Counter)
    missed_examples = []
    for (src, text), ids in groups.items():
        if len(ids) < 2:
            continue
        r = res[src]
        r["groups"] += 1
        r["articles"] += len(ids)
        r["copies"] += len(ids) - 1
        if len(text.split()) < MIN_WORDS:
            r["too short"] += 1
            continue
        common_f = set.intersection(*(of_doc.get(i, set()) for i in ids))
        if common_f:
            r["together"] += 1
            if len(common_f) == 1 and all(
                    len(fam_docs[f]) == len(ids) for f in common_f):
                r["alone"] += 1
        elif all(of_doc.get(i) for i in ids):
            r["split"] += 1
            missed_examples.append(("split", ids))
        else:
            r["missed"] += 1
            missed_examples.append(("missed", ids))

    extra = f" {args.args}" if args.args else ""
    head = (f"news.jsonl: {len(order)} articles, `tessera discover --threads "
            f"{args.threads}{extra}`; {nlinks} passage pairs")
    t_fam = common.table(
        ["families", "count"],
        [["all", len(families)]] + [[f"{b} documents", sizes.get(b, 0)] for b in BUCKETS] +
        [[f"sources: {k}", v] for k, v in sorted(comp.items())] +
        [["passage pairs", nlinks]], False)
    rows = []
    for src in sorted(res):
        r = res[src]
        findable = r["groups"] - r["too short"]
        rows.append([src, r["groups"], r["copies"], r["too short"], r["together"],
                     r["alone"], r["split"], r["missed"],
                     f"{r['together'] / findable:.4f}" if findable else "-"])
    eheader = ["exact re-filings", "groups", "extra copies", "too short", "together",
               "alone", "split", "missed", "together share"]
    t_exact = common.table(eheader, rows, False)
    timing = (f"index {t_index:.1f} s, discover {t_disc:.1f} s wall; "
              f"`{summary.splitlines()[-1] if summary else ''}`")

    # example families: the first three (real reuse first, doc/json.md), and a few of sizes 3-5
    picks = list(range(min(3, len(families))))
    picks += [k for k in range(len(families)) if 3 <= len(fam_docs[k]) <= 5][:max(
        0, args.examples - len(picks))]
    ex_rows = []
    print(head)
    print(t_fam)
    print()
    print(t_exact)
    print(timing)
    print()
    print("example families (origin excerpt on stdout only):")
    for k in picks:
        fm = families[k]
        o = fm["origin"]
        ids = fam_docs[k]
        shown = ", ".join(ids[:6]) + (f", ... ({len(ids)} in all)" if len(ids) > 6 else "")
        ex_rows.append([k, len(ids), fm["links"], o["id"], shown])
        text = docs[o["id"]]["text"].encode("utf-8")
        excerpt = " ".join(text[o["begin"]:o["end"]].decode("utf-8", "replace").split())
        print(f"  family {k}: {len(ids)} documents, {fm['links']} links, origin {o['id']}")
        print(f"    members: {shown}")
        print(f"    excerpt: {excerpt[:160]}{'...' if len(excerpt) > 160 else ''}")
    for why, ids in missed_examples[:10]:
        print(f"  exact group {why}: {', '.join(ids[:6])}")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(head + "\n\n")
            f.write(common.table(["families", "count"],
                                 [["all", len(families)]] +
                                 [[f"{b} documents", sizes.get(b, 0)] for b in BUCKETS] +
                                 [[f"sources: {k}", v] for k, v in sorted(comp.items())] +
                                 [["passage pairs", nlinks]], True) + "\n\n")
            f.write(common.table(eheader, rows, True) + "\n\n")
            f.write(common.table(["family", "documents", "links", "origin", "members"],
                                 ex_rows, True) + "\n\n")
            f.write(timing + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
