#!/usr/bin/env python3
"""PAN 2013 as a discovery task: index every document of pan13-train (the
3,230 sources and 1,827 suspicious documents together), run `tessera
discover`, and score what it finds between the true (suspicious, source)
pairs with plagdet, per obfuscation kind; count everything else it reports.

    python3 eval/discover_pan.py
    python3 eval/discover_pan.py --threads 2 --markdown out.md
    python3 eval/discover_pan.py --save pairs.jsonl      # keep the output
    python3 eval/discover_pan.py --pairs-file pairs.jsonl  # score saved output

How it works.  The documents go to one JSON Lines file in a temporary
folder (id = file name, series = "susp" or "src"; a NUL byte, found in 14
files, becomes a space, which keeps every offset), `tessera index` builds
the index there, and `tessera discover -o PAIRS` lists every passage pair.
Unlike eval/pan.py, nobody tells tessera which pairs to compare: it must
find the 5,185 listed pairs among the 12.8 million possible ones.

Scoring.  A discovered link between a suspicious and a source document is
oriented (suspicious side, source side) and its byte offsets converted to
code points (the truth counts code points).  The links of each listed pair
are scored with eval/plagdet.py exactly as eval/pan.py scores `tessera
align` (same rows, reusing its score()), so the two tables compare directly:
the difference is what candidate generation (shared fingerprints, max_df)
loses.  "pairs found" is the share of listed pairs with a case that got at
least one link.  Links between documents of no listed pair are counted by
kind of pair: suspicious-suspicious (two documents reusing one source: real
reuse, but not in the truth), source-source (the web pages share text:
boilerplate, quotes, mirrors) and suspicious-source not listed.
"""

import argparse
import collections
import json
import os
import shlex
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import pan  # noqa: E402
import plagdet  # noqa: E402


def write_corpus(corpus, path):
    """All documents as JSON Lines; returns (documents, bytes)."""
    n = size = 0
    with open(path, "w", encoding="utf-8") as out:
        for series, folder in (("susp", corpus.susp_dir), ("src", corpus.src_dir)):
            for name in sorted(os.listdir(folder)):
                with open(os.path.join(folder, name), "rb") as f:
                    data = f.read()
                text = data.replace(b"\0", b" ").decode("utf-8")
                out.write(json.dumps({"id": name, "series": series, "text": text},
                                     ensure_ascii=False) + "\n")
                n += 1
                size += len(data)
    return n, size


def kind_of_doc(name):
    return "susp" if name.startswith("suspicious") else "src"


def score_links(corpus, lines):
    """Detections of the listed pairs and counts of all other links."""
    listed = {(pan.strip_txt(a), pan.strip_txt(b)) for a, b in corpus.pairs}
    dets = collections.defaultdict(list)
    other_pairs = collections.defaultdict(set)   # kind -> {(x, y)}
    other_links = collections.Counter()
    families = set()
    nlinks = 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        nlinks += 1
        families.add(obj["family"])
        a, b = obj["a"], obj["b"]
        ka, kb = kind_of_doc(a["id"]), kind_of_doc(b["id"])
        if ka == "src" and kb == "susp":
            a, b, ka, kb = b, a, kb, ka
        key = (pan.strip_txt(a["id"]), pan.strip_txt(b["id"]))
        if ka == "susp" and kb == "src" and key in listed:
            dets[key].append(plagdet.bytes_to_annotation(
                key[0], corpus.text("susp", a["id"]), int(a["begin"]), int(a["end"]),
                key[1], corpus.text("src", b["id"]), int(b["begin"]), int(b["end"])))
            continue
        kind = {("susp", "susp"): "susp-susp", ("src", "src"): "src-src"}.get(
            (ka, kb), "susp-src, not listed")
        other_pairs[kind].add(tuple(sorted(key)))
        other_links[kind] += 1
    return dets, other_pairs, other_links, nlinks, len(families)


HEADER = pan.HEADER + ["pairs found"]


def table(corpus, rows, dets, markdown):
    """pan.py's rows plus the share of pairs with cases that got a link."""
    found = collections.Counter()
    with_cases = collections.Counter()
    for a, b in corpus.pairs:
        key = (pan.strip_txt(a), pan.strip_txt(b))
        kind = corpus.kind_of((a, b))
        if corpus.cases.get(key):
            with_cases[kind] += 1
            with_cases["overall"] += 1
            if dets.get(key):
                found[kind] += 1
                found["overall"] += 1
    body = []
    for kind, npairs, s in rows:
        share = (f"{found[kind]}/{with_cases[kind]}" if with_cases[kind] else "-")
        if s.cases == 0:
            body.append([kind, npairs, 0, "-", "-", "-", "-", s.detections, share])
        else:
            body.append([kind, npairs, s.cases, f"{s.plagdet:.4f}", f"{s.precision:.4f}",
                         f"{s.recall:.4f}", f"{s.granularity:.4f}", s.detections, share])
    return common.table(HEADER, body, markdown)


def other_table(other_pairs, other_links, markdown):
    body = [[k, len(other_pairs.get(k, ())), other_links.get(k, 0)]
            for k in ("susp-susp", "src-src", "susp-src, not listed")]
    return common.table(["other links", "document pairs", "passage pairs"], body, markdown)


def main(argv=None):
    ap = argparse.ArgumentParser(description="PAN 2013 as corpus-wide discovery.")
    ap.add_argument("--data", help="pan13-train folder (default: $TESSERA_DATA/pan13-train)")
    ap.add_argument("--tessera", help="tessera binary (default build/tessera)")
    ap.add_argument("--threads", type=int, default=0,
                    help="discover --threads (default 0: all cores)")
    ap.add_argument("--args", default="", help="extra arguments for `tessera discover`")
    ap.add_argument("--save", help="copy the passage pairs (JSON Lines) here")
    ap.add_argument("--pairs-file", help="score this saved discover output instead")
    ap.add_argument("--markdown", help="write the tables as Markdown here")
    args = ap.parse_args(argv)

    root = args.data or common.require_data("pan13-train")
    corpus = pan.Corpus(root)
    timing = ""
    if args.pairs_file:
        with open(args.pairs_file, encoding="utf-8") as f:
            lines = f.read().splitlines()
        label = f"saved output {args.pairs_file}"
    else:
        binary = common.tessera_bin(args.tessera)
        with tempfile.TemporaryDirectory(prefix="tessera-dpan-") as tmp:
            cj = os.path.join(tmp, "corpus.jsonl")
            ndocs, nbytes = write_corpus(corpus, cj)
            ix = os.path.join(tmp, "ix")
            t_index, _ = common.run_timed([binary, "index", "-q", "--db", ix, cj], "index")
            out = os.path.join(tmp, "pairs.jsonl")
            cmd = [binary, "discover", "--db", ix, "--workdir", os.path.join(tmp, "work"),
                   "-o", out, "--threads", str(args.threads)] + shlex.split(args.args)
            t_disc, summary = common.run_timed(cmd, "discover")
            with open(out, encoding="utf-8") as f:
                lines = f.read().splitlines()
            if args.save:
                with open(args.save, "w", encoding="utf-8") as f:
                    f.writelines(line + "\n" for line in lines)
        shown = os.path.relpath(binary, common.REPO) \
            if binary.startswith(common.REPO + os.sep) else binary
        label = f"{shown} discover --threads {args.threads} {args.args}".strip()
        summary = summary.strip().splitlines()[-1] if summary.strip() else ""
        timing = (f"{ndocs} documents, {nbytes / 1e6:.1f} MB: index {t_index:.1f} s, "
                  f"discover {t_disc:.1f} s wall ({nbytes / 1e6 / t_disc:.2f} MB/s)")
        if summary:
            timing += f"\n\n`{summary}`"

    dets, other_pairs, other_links, nlinks, nfam = score_links(corpus, lines)
    rows = pan.score(corpus, corpus.pairs, dets)
    t1 = table(corpus, rows, dets, False)
    t2 = other_table(other_pairs, other_links, False)
    head = (f"PAN 2013 training corpus as discovery: all documents in one index, "
            f"`{label}`; {nlinks} passage pairs in {nfam} families")
    print(head)
    print(t1)
    print()
    print(t2)
    if timing:
        print(timing)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(head + "\n\n" + table(corpus, rows, dets, True) + "\n\n" +
                    other_table(other_pairs, other_links, True) + "\n")
            if timing:
                f.write("\n" + timing + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
