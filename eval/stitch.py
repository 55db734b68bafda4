#!/usr/bin/env python3
"""The "content-farm article" benchmark: stitched articles against a news
corpus, through `tessera index` and `tessera check`.

    python3 eval/stitch.py                       # 5000 sources, 200 articles
    python3 eval/stitch.py --corpus 1000 --articles 30
    python3 eval/stitch.py --synthetic           # scorer self-check
    python3 eval/stitch.py --out /tmp/stitch     # keep the generated files

How the benchmark is built (all choices from one seeded random.Random, so a
seed gives the same files on every machine):

1. Sources.  news.jsonl (22k real articles) is shuffled; articles are taken
   into the corpus one by one, skipping any whose word 8-grams are more than
   20% already in the corpus (Reuters re-sends, BBC re-filings), until N are
   in.  Articles after that point form the outside pool.
2. Stitched articles.  Each takes 2-5 corpus sources and 1-2 pieces from
   each (1-3 consecutive sentences of prose, 15-120 words).  About half of the
   pieces are reworded: a share of the words (--rate, default 0.15) get one
   edit each: swap with the neighbour, replace by another word, delete, or
   insert a word.  The pieces are shuffled, 1-3 sentences from outside
   articles are mixed in (none of their word 8-grams occurs in the corpus),
   and one of those sentences is repeated later in the article.  Inside a
   piece whitespace is collapsed (like PAN's re-flowed line breaks);
   segments are joined by a blank line or a space.
3. Truth.  Per article: the planted passages (article byte span, source id,
   source byte span of the original sentences, reworded or not), the outside
   sentences, and the repeat.  A planted piece can also occur in another
   corpus article (partial duplicates survive step 1): those ids are kept as
   "alt" sources, and a passage naming one counts as right.

Scoring (tessera's passages: byte offsets into the article and the source
text, the "text" field of the corpus JSONL):
- passage recall: a planted passage is found when a reported passage with
  its source overlaps it by at least half of its length on the article side
  and on the source side (alt source: article side only);
- passage precision: a reported passage is right when the planted passages
  of its source cover at least half of it on both sides;
- character level: plagdet.py on byte offsets (cases = planted passages,
  detections = reported passages; an alt-source detection is scored as the
  planted source with the planted source span);
- false sources: reported passages naming a source that is neither planted
  in the article nor an alt, and outside sentences covered for at least
  half of their bytes by some passage.
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import plagdet  # noqa: E402

GRAM = 8               # words per n-gram in the duplicate checks
DUP_SHARE = 0.2        # corpus sampling: skip articles this much seen
ALT_SHARE = 0.5        # a corpus article holding this share of a piece's
                       # 8-grams is an alt source of the piece

# ---------------------------------------------------------------- text


_WORD = re.compile(r"\w+")
# A sentence ends at . ! or ? (optionally followed by a closing quote or
# bracket) before whitespace and an upper-case letter, digit or quote.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(])")


_ABBREV = re.compile(r"(?:\b[A-Za-z]|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Inc|Corp|Co|"
                     r"Ltd|Rep|Sen|Gov|Gen|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|"
                     r"Nov|Dec|No|vs))\.$")


def words(text):
    return [w.lower() for w in _WORD.findall(text)]


def gram_hashes(text):
    """64-bit hashes of the word 8-grams of text (deterministic)."""
    w = words(text)
    return {int.from_bytes(hashlib.blake2b(" ".join(w[i:i + GRAM]).encode(),
                                           digest_size=8).digest(), "little")
            for i in range(len(w) - GRAM + 1)}


def sentences(text):
    """Sentence spans (char begin, end) of text, whitespace trimmed."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if _ABBREV.search(text, 0, m.start()):
            continue  # "U.S. Officials", "Mr. Smith", "E.F. Hutton"
        closing = len(m.group(0)) - len(m.group(0).lstrip("\"')]"))
        spans.append((start, m.start() + closing))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for b, e in spans:
        seg = text[b:e]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        if e - trail > b + lead:
            out.append((b + lead, e - trail))
    return out


def is_prose(text):
    """At least 80% of the tokens are words: keeps tables of figures
    (Reuters earnings and quote lists) out of the pieces."""
    toks = text.split()
    alpha = sum(1 for t in toks if t.strip(".,;:!?\"'()-").isalpha())
    return bool(toks) and alpha >= 0.8 * len(toks)


def collapse(text):
    return " ".join(text.split())


def byte_offset(text, char_off):
    return len(text[:char_off].encode("utf-8"))


# ---------------------------------------------------------------- building

def load_news(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sample_corpus(news, n, rng):
    """(corpus articles, outside articles, corpus 8-gram set)."""
    order = list(range(len(news)))
    rng.shuffle(order)
    corpus, seen, pos = [], set(), 0
    while pos < len(order) and len(corpus) < n:
        art = news[order[pos]]
        pos += 1
        g = gram_hashes(art["text"])
        if len(g) < 20:
            continue  # too short to be a useful source
        if len(g & seen) > DUP_SHARE * len(g):
            continue  # a near-duplicate of a corpus article: used nowhere
        corpus.append(art)
        seen |= g
    outside = [news[i] for i in order[pos:]]
    return corpus, outside, seen


def pick_piece(text, sents, used, rng):
    """A run of 1-3 consecutive sentences with at least 15 words (and at
    most 120) that does not touch `used` sentence indexes; None if none."""
    for _ in range(20):
        length = rng.randint(1, 3)
        if len(sents) < length:
            continue
        i = rng.randrange(0, len(sents) - length + 1)
        idx = set(range(i, i + length))
        if idx & used:
            continue
        b, e = sents[i][0], sents[i + length - 1][1]
        nw = len(text[b:e].split())
        if 15 <= nw <= 120 and is_prose(text[b:e]):
            used |= idx
            return b, e
    return None


def reword(text, rate, vocab, rng):
    """Apply about rate * words edits: swap neighbours, replace a word by
    another word, delete a word, insert a word."""
    w = text.split()
    edits = max(1, round(rate * len(w)))
    for _ in range(edits):
        op = rng.choice(("swap", "replace", "delete", "insert"))
        i = rng.randrange(len(w))
        if op == "swap" and len(w) > 1:
            j = i + 1 if i + 1 < len(w) else i - 1
            w[i], w[j] = w[j], w[i]
        elif op == "replace":
            w[i] = rng.choice(vocab)
        elif op == "delete" and len(w) > 8:
            del w[i]
        else:
            w.insert(i, rng.choice(vocab))
    return " ".join(w)


def outside_sentences(outside, seen, rng, want):
    """Sentences (10-40 words) of outside articles with no 8-gram in the
    corpus, drawn at random."""
    out = []
    if not outside:
        return out
    for _ in range(want * 50):
        if len(out) >= want:
            break
        art = rng.choice(outside)
        sents = sentences(art["text"])
        if not sents:
            continue
        b, e = rng.choice(sents)
        s = collapse(art["text"][b:e])
        if 10 <= len(s.split()) <= 40 and is_prose(s) \
                and not (gram_hashes(s) & seen):
            out.append(s)
    return out


def build(news, n_corpus, n_articles, seed, rate):
    """The corpus list, the stitched articles {"id","text"} and the truth."""
    rng = random.Random(seed)
    corpus, outside, seen = sample_corpus(news, n_corpus, rng)
    if len(corpus) < n_corpus:
        print(f"stitch.py: warning: only {len(corpus)} distinct sources",
              file=sys.stderr)
    vocab = sorted({w for art in (outside or corpus)[:500]
                    for w in _WORD.findall(art["text"])
                    if w.isalpha() and 3 <= len(w) <= 10}) or ["the"]
    sent_cache = {}
    articles, truth = [], []
    for k in range(n_articles):
        aid = f"stitch-{k + 1:04d}"
        segs = []   # (kind, text, info)
        want, sources = rng.randint(2, 5), set()
        for _ in range(100):
            if len(sources) == want:
                break
            src = rng.choice(corpus)
            if src["id"] in sources:
                continue
            text = src["text"]
            sents = sent_cache.setdefault(src["id"], sentences(text))
            used = set()
            for _ in range(rng.randint(1, 2)):
                span = pick_piece(text, sents, used, rng)
                if span is None:
                    continue
                sources.add(src["id"])
                b, e = span
                piece = collapse(text[b:e])
                reworded = rng.random() < 0.5
                if reworded:
                    piece = reword(piece, rate, vocab, rng)
                segs.append(("planted", piece, {
                    "source": src["id"],
                    "source_begin": byte_offset(text, b),
                    "source_end": byte_offset(text, e),
                    "reworded": reworded}))
        rng.shuffle(segs)
        unrelated = outside_sentences(outside, seen, rng, rng.randint(1, 3))
        for s in unrelated:
            segs.insert(rng.randint(0, len(segs)), ("unrelated", s, {}))
        if unrelated:
            first = next(i for i, s in enumerate(segs)
                         if s[0] == "unrelated")
            segs.insert(rng.randint(first + 1, len(segs)),
                        ("repeat", segs[first][1], {"first": first}))
        # Lay out the text and record byte spans.
        parts, pos, spans = [], 0, []
        for i, (kind, s, info) in enumerate(segs):
            if i:
                sep = "\n\n" if rng.random() < 0.7 else " "
                parts.append(sep)
                pos += len(sep)
            b = pos
            parts.append(s)
            pos += len(s.encode("utf-8"))
            spans.append((b, pos))
        t = {"id": aid, "planted": [], "unrelated": [], "repeats": []}
        for (kind, s, info), (b, e) in zip(segs, spans):
            if kind == "planted":
                t["planted"].append(dict(begin=b, end=e, **info))
            else:
                t["unrelated"].append({"begin": b, "end": e})
            if kind == "repeat":
                fb, fe = spans[info["first"]]
                t["repeats"].append({"begin": b, "end": e,
                                     "first_begin": fb, "first_end": fe})
        articles.append({"id": aid, "text": "".join(parts)})
        truth.append(t)
    add_alt_sources(corpus, articles, truth)
    return corpus, articles, truth


def add_alt_sources(corpus, articles, truth):
    """Fill "alt": other corpus articles holding at least ALT_SHARE of the
    8-grams of a planted piece's source span."""
    by_id = {a["id"]: a for a in corpus}
    piece_grams, wanted = [], set()
    for t in truth:
        for p in t["planted"]:
            src = by_id[p["source"]]["text"].encode("utf-8")
            g = gram_hashes(src[p["source_begin"]:p["source_end"]]
                            .decode("utf-8"))
            piece_grams.append((p, g))
            wanted |= g
    holders = {}
    for a in corpus:
        for h in gram_hashes(a["text"]) & wanted:
            holders.setdefault(h, []).append(a["id"])
    for p, g in piece_grams:
        counts = {}
        for h in g:
            for aid in holders.get(h, ()):
                counts[aid] = counts.get(aid, 0) + 1
        p["alt"] = sorted(aid for aid, c in counts.items()
                          if aid != p["source"] and g
                          and c >= ALT_SHARE * len(g))


def write_files(out, corpus, articles, truth):
    os.makedirs(os.path.join(out, "articles"), exist_ok=True)
    with open(os.path.join(out, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for a in corpus:
            f.write(json.dumps({"id": a["id"], "text": a["text"]},
                               ensure_ascii=False) + "\n")
    for a in articles:
        with open(os.path.join(out, "articles", a["id"] + ".txt"), "w",
                  encoding="utf-8") as f:
            f.write(a["text"])
    with open(os.path.join(out, "truth.jsonl"), "w", encoding="utf-8") as f:
        for t in truth:
            f.write(json.dumps(t) + "\n")


# ---------------------------------------------------------------- running

def run(cmd):
    p = subprocess.run(cmd, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def synthetic_report(t):
    """A check result that reports exactly the planted passages."""
    return {"passages": [{"begin": p["begin"], "end": p["end"],
                          "source": {"id": p["source"],
                                     "begin": p["source_begin"],
                                     "end": p["source_end"]},
                          "similarity": 1.0} for p in t["planted"]],
            "coverage": true_coverage(t, None)}


# ---------------------------------------------------------------- scoring

def ov(b1, e1, b2, e2):
    return max(0, min(e1, e2) - max(b1, b2))


def union_len(spans):
    return plagdet._union_len(spans)


def true_coverage(t, text_len):
    covered = union_len([(p["begin"], p["end"]) for p in t["planted"]])
    if text_len is None:
        text_len = max([p["end"] for p in t["planted"]] +
                       [u["end"] for u in t["unrelated"]] + [1])
    return covered / text_len if text_len else 0.0


def sentence_bytes(text):
    """Sentence spans of text in byte offsets."""
    return [(byte_offset(text, b), byte_offset(text, e)) for b, e in sentences(text)]


def score_article(t, report, text_len, acc, text=None):
    """Add one article's counts to the accumulator dict `acc`."""
    passages = []
    for p in report.get("passages", []):
        src = p.get("source") or {}
        passages.append((int(p["begin"]), int(p["end"]), src.get("id"),
                         int(src.get("begin", 0)), int(src.get("end", 0))))
    planted = t["planted"]
    allowed = {p["source"] for p in planted} | {
        a for p in planted for a in p.get("alt", ())}

    # Passage recall, split verbatim / reworded.
    for pl in planted:
        alen = pl["end"] - pl["begin"]
        slen = pl["source_end"] - pl["source_begin"]
        found = False
        for b, e, sid, sb, se in passages:
            a_ov = ov(b, e, pl["begin"], pl["end"])
            if sid == pl["source"]:
                s_ov = ov(sb, se, pl["source_begin"], pl["source_end"])
                found = a_ov >= alen / 2 and s_ov >= slen / 2
            elif sid in pl.get("alt", ()):
                found = a_ov >= alen / 2
            if found:
                break
        key = "reworded" if pl["reworded"] else "verbatim"
        acc[key + "_planted"] += 1
        acc[key + "_found"] += found

    # Passage precision.
    for b, e, sid, sb, se in passages:
        acc["reported"] += 1
        same = [pl for pl in planted if pl["source"] == sid]
        alt = [pl for pl in planted if sid in pl.get("alt", ())]
        a_cov = union_len([(max(b, pl["begin"]), min(e, pl["end"]))
                           for pl in same + alt])
        s_cov = union_len([(max(sb, pl["source_begin"]),
                            min(se, pl["source_end"])) for pl in same])
        right = a_cov >= (e - b) / 2 and (s_cov >= (se - sb) / 2 or
                                          bool(alt and not same))
        acc["reported_right"] += right
        if sid not in allowed:
            acc["false_passages"] += 1
            acc["false_sources"].add((t["id"], sid))

    # Sentence attribution: each sentence of the article that a passage
    # covers (half of its bytes) is attributed to the passage's source; it
    # is right when a planted piece of that source (or an alt) holds it.
    if text is not None:
        sents = sentence_bytes(text)
        for b, e, sid, sb, se in passages:
            for s0, s1 in sents:
                if ov(b, e, s0, s1) * 2 < s1 - s0:
                    continue
                acc["attr_total"] += 1
                acc["attr_held"] += any(
                    (pl["source"] == sid or sid in pl.get("alt", ())) and
                    ov(pl["begin"], pl["end"], s0, s1) * 2 >= s1 - s0 for pl in planted)

    # Outside sentences (and the repeat) flagged as reused.
    for u in t["unrelated"]:
        acc["unrelated"] += 1
        c = union_len([(max(b, u["begin"]), min(e, u["end"]))
                       for b, e, _, _, _ in passages])
        acc["unrelated_flagged"] += c >= (u["end"] - u["begin"]) / 2

    # Repeats, when the check output lists them.
    if "repeats" in report:
        acc["repeat_reports"] = True
        for r in t["repeats"]:
            acc["repeats"] += 1
            acc["repeats_found"] += any(
                ov(int(x.get("begin", 0)), int(x.get("end", 0)),
                   r["begin"], r["end"]) >= (r["end"] - r["begin"]) / 2
                for x in report["repeats"])

    # Character level, in bytes.
    for pl in planted:
        acc["cases"].append(plagdet.Annotation(
            t["id"], pl["begin"], pl["end"] - pl["begin"], pl["source"],
            pl["source_begin"], pl["source_end"] - pl["source_begin"]))
    for b, e, sid, sb, se in passages:
        alt_of = [pl for pl in planted if sid in pl.get("alt", ())
                  and ov(b, e, pl["begin"], pl["end"]) > 0]
        if alt_of and sid not in {pl["source"] for pl in planted}:
            pl = alt_of[0]
            sid, sb, se = pl["source"], pl["source_begin"], pl["source_end"]
        acc["dets"].append(plagdet.Annotation(t["id"], b, e - b, sid or "",
                                              sb, se - sb))
    if "coverage" in report:
        acc["coverage_err"].append(abs(float(report["coverage"]) -
                                       true_coverage(t, text_len)))


def new_acc():
    acc = {k: 0 for k in (
        "verbatim_planted", "verbatim_found", "reworded_planted",
        "reworded_found", "reported", "reported_right", "false_passages",
        "unrelated", "unrelated_flagged", "repeats", "repeats_found",
        "attr_total", "attr_held")}
    acc.update(false_sources=set(), cases=[], dets=[], coverage_err=[],
               repeat_reports=False)
    return acc


def ratio(a, b):
    return f"{a / b:.4f}" if b else "-"


def summary_rows(acc):
    s = plagdet.evaluate(acc["cases"], acc["dets"])
    planted = acc["verbatim_planted"] + acc["reworded_planted"]
    found = acc["verbatim_found"] + acc["reworded_found"]
    rows = [
        ["passage recall (all planted)", f"{found}/{planted}",
         ratio(found, planted)],
        ["passage recall, verbatim",
         f"{acc['verbatim_found']}/{acc['verbatim_planted']}",
         ratio(acc["verbatim_found"], acc["verbatim_planted"])],
        ["passage recall, reworded",
         f"{acc['reworded_found']}/{acc['reworded_planted']}",
         ratio(acc["reworded_found"], acc["reworded_planted"])],
        ["passage precision", f"{acc['reported_right']}/{acc['reported']}",
         ratio(acc["reported_right"], acc["reported"])],
        ["char precision (bytes)", "", f"{s.precision:.4f}"],
        ["char recall (bytes)", "", f"{s.recall:.4f}"],
        ["granularity", "", f"{s.granularity:.4f}"],
        ["plagdet", "", f"{s.plagdet:.4f}"],
        ["passages with a false source", f"{acc['false_passages']}",
         f"{len(acc['false_sources'])} (article, source) pairs"],
        ["sentences attributed to a source holding them",
         f"{acc['attr_held']}/{acc['attr_total']}", ratio(acc["attr_held"], acc["attr_total"])],
        ["outside sentences flagged",
         f"{acc['unrelated_flagged']}/{acc['unrelated']}",
         ratio(acc["unrelated_flagged"], acc["unrelated"])],
    ]
    if acc["repeat_reports"]:
        rows.append(["repeated sentence reported as repeat",
                     f"{acc['repeats_found']}/{acc['repeats']}",
                     ratio(acc["repeats_found"], acc["repeats"])])
    if acc["coverage_err"]:
        err = sum(acc["coverage_err"]) / len(acc["coverage_err"])
        rows.append(["coverage, mean abs. error", "", f"{err:.4f}"])
    return rows


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Stitched-article benchmark of tessera index + check.")
    ap.add_argument("--news", help="news.jsonl (default: the data folder)")
    ap.add_argument("--tessera", help="tessera binary (default build/tessera)")
    ap.add_argument("--corpus", type=int, default=5000,
                    help="source articles indexed (default 5000)")
    ap.add_argument("--articles", type=int, default=200,
                    help="stitched articles checked (default 200)")
    ap.add_argument("--seed", type=int, default=20130901)
    ap.add_argument("--rate", type=float, default=0.15,
                    help="share of words edited in reworded pieces")
    ap.add_argument("--check-args", default="",
                    help="extra arguments for `tessera check` (one string)")
    ap.add_argument("--index-args", default="",
                    help="extra arguments for `tessera index` (one string)")
    ap.add_argument("--out", help="keep the generated files in this folder "
                    "(outside the repository); default: a temporary folder")
    ap.add_argument("--synthetic", action="store_true",
                    help="report the truth itself instead of running tessera")
    ap.add_argument("--markdown", help="write the table as Markdown here")
    args = ap.parse_args(argv)

    news_path = args.news or common.require_data("news.jsonl")
    binary = None if args.synthetic else common.tessera_bin(args.tessera)
    if args.out and os.path.abspath(args.out).startswith(common.REPO + os.sep):
        sys.exit("stitch.py: --out must be outside the repository "
                 "(the benchmark files hold research data)")
    out = args.out or tempfile.mkdtemp(prefix="tessera-stitch-")

    try:
        t0 = time.monotonic()
        corpus, articles, truth = build(load_news(news_path), args.corpus,
                                        args.articles, args.seed, args.rate)
        write_files(out, corpus, articles, truth)
        t_build = time.monotonic() - t0
        corpus_bytes = sum(len(a["text"].encode("utf-8")) for a in corpus)

        acc = new_acc()
        problems, t_index, t_check = [], None, None
        if binary:
            db = os.path.join(out, "db")
            shutil.rmtree(db, ignore_errors=True)
            t0 = time.monotonic()
            rc, so, se = run([binary, "index", "--db", db] +
                             args.index_args.split() +
                             [os.path.join(out, "corpus.jsonl")])
            t_index = time.monotonic() - t0
            if rc != 0:
                sys.exit(f"stitch.py: tessera index failed ({rc}): "
                         f"{se.strip()[-2000:]}")
        t0 = time.monotonic()
        for art, t in zip(articles, truth):
            if binary:
                path = os.path.join(out, "articles", art["id"] + ".txt")
                rc, so, se = run([binary, "check", "--db", db, "--json"] +
                                 args.check_args.split() + [path])
                try:
                    report = json.loads(so)
                except ValueError:
                    last = (se.strip().splitlines() or [""])[-1]
                    problems.append(f"{art['id']}: check exited {rc} without "
                                    f"JSON: {last[:300]}")
                    report = {"passages": []}
            else:
                report = synthetic_report(t)
            score_article(t, report, len(art["text"].encode("utf-8")), acc, art["text"])
        if binary:
            t_check = time.monotonic() - t0

        planted = acc["verbatim_planted"] + acc["reworded_planted"]
        head = (f"Stitched articles: {len(articles)} articles "
                f"({planted} planted passages from {len(corpus)} indexed news "
                f"articles, {corpus_bytes / 1e6:.1f} MB), seed {args.seed}, "
                f"rate {args.rate}"
                + (", synthetic report" if args.synthetic else ""))
        rows = summary_rows(acc)
        print(head)
        print(common.table(["measure", "count", "value"], rows))
        timing = f"build {t_build:.1f} s"
        if t_index is not None:
            timing += (f"; index {t_index:.2f} s "
                       f"({len(corpus) / t_index:.0f} docs/s, "
                       f"{corpus_bytes / t_index / 1e6:.2f} MB/s)")
        if t_check is not None:
            timing += (f"; check {t_check:.2f} s "
                       f"({len(articles) / t_check:.1f} articles/s, one "
                       f"process per article)")
        print("time: " + timing)
        for p in problems[:10]:
            print(f"stitch.py: warning: {p}", file=sys.stderr)
        if problems:
            print(f"stitch.py: warning: {len(problems)} of {len(articles)} "
                  f"checks failed (scored as reporting nothing)",
                  file=sys.stderr)
        if args.markdown:
            with open(args.markdown, "w", encoding="utf-8") as f:
                f.write(head + "\n\n")
                f.write(common.table(["measure", "count", "value"], rows,
                                     markdown=True) + "\n\n")
                f.write("time: " + timing + "\n")
        return 1 if problems and len(problems) == len(articles) else 0
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
