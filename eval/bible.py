#!/usr/bin/env python3
"""Real human rewriting: the World English Bible against the King James
Version, chapter by chapter, aligned with `tessera align`.

    python3 eval/bible.py                       # 150 chapters, seed 10
    python3 eval/bible.py --chapters 300 --seed 3 --examples 5
    python3 eval/bible.py --markdown out.md
    python3 eval/bible.py --check-deps          # exit 2 when diatheke or a module is missing

Task.  The World English Bible (WEB, 2000-2020) is a modern-English
revision of the American Standard Version, itself a revision of the King
James Version (KJV, 1611, the 1769 standard text): the same verses said
again by people, with words modernised ("thou art" -> "you are"), reordered,
dropped and added, sentences split and joined.  It is not a plagiarism
corpus: nobody obfuscated anything to fool a detector.  The truth is the
verse reference: verse X of a WEB chapter rewrites verse X of the KJV one.

Corpus.  Both texts come from Debian 12's packages sword-text-kjv (module
engKJV2006eb) and sword-text-web (engWEB2015eb), read with diatheke
(package diatheke); nothing is downloaded.  The 1,189 chapters of the 66
books of the Protestant canon, in canonical order, are cut into --chapters
strata of consecutive chapters, and one chapter is drawn from each stratum
(one seeded random.Random), so the selection spreads over the books as the
chapters do.  A chapter whose two versions do not have the same numbered,
non-empty verses (the modules use the KJV and NRSVA versifications, which
differ in a few chapters) is replaced by another of its stratum.  Each
chapter of each version becomes one text file: `diatheke -b MODULE -k
"Gen.1; Ps.23; ..."` in its default (OSIS) output, one line per verse
after its reference; Psalm titles and headings are dropped, every other
tag is removed (Strong's numbers, added-word and divine-name markup; line
and paragraph tags become spaces), the verses are joined by a space, or
by a blank line where the module ends a paragraph, and the byte span of
every verse in the file is kept.  (The WEB module itself lacks a few
spaces between words, e.g. "Godcreated" in Genesis 1:1; they are kept.)

Runs.  Each WEB chapter (A) is aligned with its KJV chapter (B) by one
`tessera align --pairs LIST --dir-a WEB --dir-b KJV --jsonl` run, once with
the default options and once with --no-paraphrase (no sentence stage).
Two controls pair each WEB chapter with the KJV text of another chapter,
so every passage reported there is a false positive:
- far: the chapter selected half the selection further on (chapter i with
  chapter i + n/2, modulo n), a text from far away in the Bible;
- near: the next selected chapter (the last with the first), most often
  of the same book: same story, names and formulas, the case that tests
  how a rewrite is told from a text on the same topic.  Some of what it
  reports is real reuse inside the Bible (Numbers 2 and 10 list the same
  tribes, leaders and order of march; "the rest of the acts of ..., are
  they not written in the book of the chronicles of the kings of Israel?"
  closes many chapters of Kings), so it bounds false positives from above.

Measures (bytes are UTF-8 bytes of A; "verse bytes" are the bytes of the
verses' texts, not the separators between them):
- verse recall: of the WEB verses of at least 8 words, the share for which
  the passages whose source span overlaps the same-numbered KJV verse
  cover, together, at least half of the verse's bytes in A.
- byte recall: the share of A's verse bytes covered by some passage.
- wrong-source share: of the verse bytes of A inside reported passages
  (counted once per passage that holds them), the share mapped to a wrong
  verse.  A byte x of a passage (a0, a1) ~ (b0, b1) maps to
  y = b0 + (x - a0) * (b1 - b0) / (a1 - a0), linearly inside the passage;
  it is wrong when y lies in a KJV verse (or, between verses, after one)
  whose number differs from the number of x's WEB verse by more than 1.
  Neighbours count as right: translations move words across verse
  boundaries, and a passage mapped linearly drifts by a few words.
- far / near passages: passages reported on the pairs of each control.
- far / near coverage: the share of A's verse bytes (all pairs of the
  control) that those passages cover.
- seconds: wall time of the align run over the true pairs.

--examples N prints N verses that the default run found and the
--no-paraphrase run did not, and N verses that the default run missed
(WEB text, then KJV text), to stdout only.
"""

import argparse
import bisect
import html
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

KJV_MODULE = "engKJV2006eb"     # sword-text-kjv
WEB_MODULE = "engWEB2015eb"     # sword-text-web
MIN_WORDS = 8                   # verses counted in verse recall
PACKAGES = "sword-text-kjv sword-text-web diatheke"

# The 66 books (OSIS ids) and their chapters, KJV versification.
BOOKS = [
    ("Gen", 50), ("Exod", 40), ("Lev", 27), ("Num", 36), ("Deut", 34),
    ("Josh", 24), ("Judg", 21), ("Ruth", 4), ("1Sam", 31), ("2Sam", 24),
    ("1Kgs", 22), ("2Kgs", 25), ("1Chr", 29), ("2Chr", 36), ("Ezra", 10),
    ("Neh", 13), ("Esth", 10), ("Job", 42), ("Ps", 150), ("Prov", 31),
    ("Eccl", 12), ("Song", 8), ("Isa", 66), ("Jer", 52), ("Lam", 5),
    ("Ezek", 48), ("Dan", 12), ("Hos", 14), ("Joel", 3), ("Amos", 9),
    ("Obad", 1), ("Jonah", 4), ("Mic", 7), ("Nah", 3), ("Hab", 3),
    ("Zeph", 3), ("Hag", 2), ("Zech", 14), ("Mal", 4),
    ("Matt", 28), ("Mark", 16), ("Luke", 24), ("John", 21), ("Acts", 28),
    ("Rom", 16), ("1Cor", 16), ("2Cor", 13), ("Gal", 6), ("Eph", 6),
    ("Phil", 4), ("Col", 4), ("1Thess", 5), ("2Thess", 3), ("1Tim", 6),
    ("2Tim", 4), ("Titus", 3), ("Phlm", 1), ("Heb", 13), ("Jas", 5),
    ("1Pet", 5), ("2Pet", 3), ("1John", 5), ("2John", 1), ("3John", 1),
    ("Jude", 1), ("Rev", 22),
]
CHAPTERS = [f"{b}.{c}" for b, n in BOOKS for c in range(1, n + 1)]
assert len(CHAPTERS) == 1189

# ---------------------------------------------------------------- export

# "Genesis 1:1: ", "III John 1:14: ", "Song of Solomon 2:3: " (diatheke's
# English book names), possibly after a Psalm title on the same line.
REF = re.compile(r"((?:I{1,3} )?[A-Z][a-z]+(?: (?:of )?[A-Z][a-z]+)*) "
                 r"(\d+):(\d+): ")
DROP = re.compile(r"<title\b[^>]*>.*?</title>|<note\b[^>]*>.*?</note>", re.S)
SPACE_TAG = re.compile(r"</?(?:l|lg|div|p|lb|milestone|q)\b[^>]*>")
TAG = re.compile(r"<[^>]*>")
PARA_END = re.compile(r"<div\b[^>]*\beID=[^>]*type=\"x-p\"|"
                      r"<div\b[^>]*type=\"x-p\"[^>]*\beID=")


def check_deps(kjv=KJV_MODULE, web=WEB_MODULE):
    """None when diatheke and both modules are there, else what is missing
    and what to install."""
    if not shutil.which("diatheke"):
        return f"diatheke not found; install the Debian packages: apt-get install {PACKAGES}"
    p = subprocess.run(["diatheke", "-b", "system", "-k", "modulelist"],
                       capture_output=True, text=True)
    missing = [m for m in (kjv, web) if m not in p.stdout]
    if missing:
        return (f"SWORD module(s) {', '.join(missing)} not found by diatheke; "
                f"install the Debian packages: apt-get install {PACKAGES}")
    return None


def clean(raw):
    """Plain text of one verse's OSIS markup."""
    t = DROP.sub(" ", raw)
    t = SPACE_TAG.sub(" ", t)
    t = TAG.sub("", t)
    return " ".join(html.unescape(t).split())


def export(module, keys):
    """{key: [(verse number, text, paragraph ends after it)]} for the
    chapter keys ("Gen.1") of `module`, in one diatheke run.  A key with no
    verses in the output maps to []."""
    p = subprocess.run(["diatheke", "-b", module, "-k", "; ".join(keys)],
                       capture_output=True)
    if p.returncode != 0:
        sys.exit(f"bible.py: diatheke -b {module} failed: "
                 f"{p.stderr.decode(errors='replace')[-500:]}")
    groups, cur, last = [], None, None      # [(book, chapter, [verse raw])]
    for line in p.stdout.decode("utf-8", errors="replace").splitlines():
        m = REF.search(line)
        if m is None:
            if cur is not None and line.strip() and line.strip() != f"({module})":
                cur[-1][1] += " " + line
            continue
        book, ch, v = m.group(1), int(m.group(2)), int(m.group(3))
        if (book, ch) != last:
            cur = []
            groups.append(cur)
            last = (book, ch)
        cur.append([v, line[m.end():]])
    if len(groups) != len(keys):
        sys.exit(f"bible.py: diatheke -b {module} gave {len(groups)} chapters "
                 f"for {len(keys)} keys")
    out = {}
    for key, verses in zip(keys, groups):
        out[key] = [(v, clean(raw), bool(PARA_END.search(raw)))
                    for v, raw in verses]
    return out


def layout(verses):
    """(text, {verse number: (begin, end)} in UTF-8 bytes, verses) of a
    chapter: non-empty verses joined by a space, or a blank line after a
    paragraph."""
    parts, spans, pos = [], {}, 0
    for v, text, para in verses:
        if not text:
            continue
        if parts:
            sep = "\n\n" if parts[-1][1] else " "
            parts.append((sep, False))
            pos += len(sep)
        b = text.encode()
        spans[v] = (pos, pos + len(b))
        parts.append((text, para))
        pos += len(b)
    return "".join(t for t, _ in parts) + "\n", spans, verses


def select(n, seed, kjv, web):
    """The chapters: one per stratum, replaced while the two versions do
    not have the same non-empty verses.  Returns [(key, kjv layout, web
    layout)] in canonical order and the number of chapters replaced."""
    rng = random.Random(seed)
    n = max(2, min(n, len(CHAPTERS)))
    strata = []
    for i in range(n):
        s = CHAPTERS[i * len(CHAPTERS) // n:(i + 1) * len(CHAPTERS) // n]
        s = list(s)
        rng.shuffle(s)
        strata.append(s)
    chosen, replaced = [None] * n, 0
    todo = list(range(n))
    while todo:
        keys = [strata[i][0] for i in todo]
        k_text, w_text = export(kjv, keys), export(web, keys)
        nxt = []
        for i, key in zip(todo, keys):
            kl, wl = layout(k_text[key]), layout(w_text[key])
            if kl[1] and set(kl[1]) == set(wl[1]):
                chosen[i] = (key, kl, wl)
                continue
            replaced += 1
            strata[i].pop(0)
            if strata[i]:
                nxt.append(i)
        todo = nxt
    return [c for c in chosen if c is not None], replaced


# ---------------------------------------------------------------- running

def align(binary, pairs, dir_a, dir_b, extra, tmp, tag):
    """{(a, b): passages} and seconds of one `align --pairs` run."""
    plist = os.path.join(tmp, f"pairs.{tag}")
    with open(plist, "w", encoding="utf-8") as f:
        f.writelines(f"{a} {b}\n" for a, b in pairs)
    cmd = [binary, "align", "--pairs", plist, "--dir-a", dir_a,
           "--dir-b", dir_b, "--jsonl"] + extra
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"bible.py: `{' '.join(cmd)}` exited with {p.returncode}: "
                 f"{p.stderr.decode(errors='replace')[-2000:]}")
    out = {}
    for line in p.stdout.decode().splitlines():
        o = json.loads(line)
        if "error" in o:
            sys.exit(f"bible.py: align of {o.get('a')} {o.get('b')}: {o['error']}")
        out[(o["a"], o["b"])] = o["passages"]
    missing = [pr for pr in pairs if tuple(pr) not in out]
    if missing:
        sys.exit(f"bible.py: no output for {len(missing)} pairs, e.g. {missing[0]}")
    return out, dt


# ---------------------------------------------------------------- scoring

def covered(intervals, lo, hi):
    """Bytes of [lo, hi) inside the union of `intervals` [(b, e)]."""
    pts = sorted((max(b, lo), min(e, hi)) for b, e in intervals
                 if b < hi and e > lo)
    n, cur_b, cur_e = 0, None, None
    for b, e in pts:
        if cur_e is None or b > cur_e:
            if cur_e is not None:
                n += cur_e - cur_b
            cur_b, cur_e = b, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        n += cur_e - cur_b
    return n


def overlaps(b, e, span):
    return b < span[1] and e > span[0]


class Verses:
    """Verse spans of one file, in order, for bisect."""

    def __init__(self, spans):
        items = sorted((s[0], s[1], v) for v, s in spans.items())
        self.begins = [b for b, _, _ in items]
        self.items = items

    def at(self, x):
        """(verse number, inside) of byte x: the verse holding x, or the
        one before it when x is between verses (the first when before)."""
        i = bisect.bisect_right(self.begins, x) - 1
        if i < 0:
            return self.items[0][2], False
        b, e, v = self.items[i]
        return v, x < e


def score_pair(passages, wspans, kspans):
    """Byte counts of one WEB/KJV pair: (verse bytes of A, those covered,
    verse bytes inside passages counted per passage, those mapped to a
    wrong verse)."""
    texts_a = [(p["begin"], p["end"]) for p in passages]
    total = sum(e - b for b, e in wspans.values())
    cov = sum(covered(texts_a, b, e) for b, e in wspans.values())
    kv = Verses(kspans)
    wv = Verses(wspans)
    rep = wrong = 0
    for p in passages:
        a0, a1 = p["begin"], p["end"]
        b0, b1 = p["source"]["begin"], p["source"]["end"]
        if a1 <= a0:
            continue
        scale = (b1 - b0) / (a1 - a0)
        for x in range(a0, a1):
            va, inside = wv.at(x)
            if not inside:
                continue
            rep += 1
            vb, _ = kv.at(int(b0 + (x - a0) * scale))
            if abs(va - vb) > 1:
                wrong += 1
    return total, cov, rep, wrong


def verse_hits(passages, wspans, kspans, words):
    """The WEB verses of >= MIN_WORDS words and which of them were found."""
    counted, found = [], set()
    for v, span in wspans.items():
        if words[v] < MIN_WORDS:
            continue
        counted.append(v)
        ks = kspans.get(v)
        if ks is None:
            continue
        good = [(p["begin"], p["end"]) for p in passages
                if overlaps(p["source"]["begin"], p["source"]["end"], ks)]
        if covered(good, *span) * 2 >= span[1] - span[0]:
            found.add(v)
    return counted, found


def control_figures(control, chapters):
    """(passages, share of A's verse bytes covered) of a control run."""
    by_key = {c[0]: c for c in chapters}
    npass = total = cov = 0
    for (a, _), passages in control.items():
        spans = by_key[a][2][1]
        npass += len(passages)
        cut = [(p["begin"], p["end"]) for p in passages]
        total += sum(e - s for s, e in spans.values())
        cov += sum(covered(cut, s, e) for s, e in spans.values())
    return npass, cov / total if total else 0.0


def measure(results, chapters):
    """The row's figures of one option set (controls apart)."""
    nverses = nfound = total = cov = rep = wrong = 0
    found, kept = {}, {}
    for key, kl, wl in chapters:
        passages = results[(key, key)]
        words = {v: len(t.split()) for v, t, _ in wl[2]}
        counted, hit = verse_hits(passages, wl[1], kl[1], words)
        kept[key] = passages
        nverses += len(counted)
        nfound += len(hit)
        found[key] = (counted, hit)
        t, c, r, w = score_pair(passages, wl[1], kl[1])
        total += t; cov += c; rep += r; wrong += w
    return {
        "verses": nverses, "found": nfound,
        "verse_recall": nfound / nverses if nverses else 0.0,
        "byte_recall": cov / total if total else 0.0,
        "wrong": wrong / rep if rep else 0.0, "reported": rep,
        "hits": found, "passages": kept,
    }


HEADER = ["options", "verse recall", "byte recall", "wrong-source share",
          "far passages", "far coverage", "near passages", "near coverage",
          "seconds"]


def rows_of(runs):
    return [[name, f"{m['verse_recall']:.4f} ({m['found']}/{m['verses']})",
             f"{m['byte_recall']:.4f}", f"{m['wrong']:.4f}",
             f"{m['far'][0]}", f"{m['far'][1]:.4f}",
             f"{m['near'][0]}", f"{m['near'][1]:.4f}",
             f"{m['seconds']:.2f}"] for name, m in runs]


def show_examples(n, runs, chapters, kjv_name):
    """Verses found by the default run and not without the sentence stage,
    and verses the default run missed."""
    by_key = {c[0]: c for c in chapters}
    dflt, nopp = runs[0][1]["hits"], runs[1][1]["hits"]
    gained, missed, elsewhere = [], [], 0
    for key in sorted(dflt, key=CHAPTERS.index):
        counted, hit = dflt[key]
        for v in counted:
            if v in hit and v not in nopp[key][1]:
                gained.append((key, v))
            elif v not in hit:
                missed.append((key, v))
                span = by_key[key][2][1][v]
                spans = [(p["begin"], p["end"]) for p in runs[0][1]["passages"][key]]
                if covered(spans, *span) * 2 >= span[1] - span[0]:
                    elsewhere += 1

    def text(layout_, v):
        return next(t for vv, t, _ in layout_[2] if vv == v)

    rng = random.Random(0)
    for title, items in (("found with the sentence stage only", gained),
                         ("missed by the default run", missed)):
        extra = ""
        if items is missed:
            extra = (f" ({elsewhere} covered by passages whose source is "
                     f"another verse, {len(missed) - elsewhere} not covered)")
        print(f"\n{title}: {len(items)} verses{extra}" + (", e.g.:" if items and n else ""))
        for key, v in rng.sample(items, min(n, len(items))):
            _, kl, wl = by_key[key]
            print(f"  {key}:{v}\n    WEB: {text(wl, v)}\n    {kjv_name}: {text(kl, v)}")


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="WEB against KJV chapters: verse recall, byte recall and "
        "wrong-source share of tessera align, with and without its sentence stage.")
    ap.add_argument("--tessera", help="tessera binary (default build/tessera)")
    ap.add_argument("--chapters", type=int, default=150,
                    help="chapters, one per stratum of the 1,189 (default 150)")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--kjv", default=KJV_MODULE, help=f"KJV module (default {KJV_MODULE})")
    ap.add_argument("--web", default=WEB_MODULE, help=f"WEB module (default {WEB_MODULE})")
    ap.add_argument("--examples", type=int, default=3,
                    help="print this many verses gained and missed (default 3)")
    ap.add_argument("--keep", help="write the chapter files into this folder")
    ap.add_argument("--check-deps", action="store_true",
                    help="only check for diatheke and the modules (exit 2 if missing)")
    ap.add_argument("--markdown", help="write the table as Markdown here")
    a = ap.parse_args(argv)

    problem = check_deps(a.kjv, a.web)
    if problem:
        print(f"bible.py: {problem}", file=sys.stderr)
        return 2
    if a.check_deps:
        return 0
    binary = common.tessera_bin(a.tessera)
    chapters, replaced = select(a.chapters, a.seed, a.kjv, a.web)
    keys = [c[0] for c in chapters]
    half = len(keys) // 2
    controls = {
        "far": [(keys[i], keys[(i + half) % len(keys)]) for i in range(len(keys))],
        "near": [(keys[i], keys[(i + 1) % len(keys)]) for i in range(len(keys))],
    }

    with tempfile.TemporaryDirectory(prefix="tessera-bible.") as tmp:
        root = a.keep or tmp
        dir_a, dir_b = os.path.join(root, "web"), os.path.join(root, "kjv")
        os.makedirs(dir_a, exist_ok=True)
        os.makedirs(dir_b, exist_ok=True)
        abytes = 0
        for key, kl, wl in chapters:
            for d, lay in ((dir_a, wl), (dir_b, kl)):
                with open(os.path.join(d, key), "w", encoding="utf-8") as f:
                    f.write(lay[0])
            abytes += len(wl[0].encode())
        runs = []
        for name, extra in (("default", []), ("--no-paraphrase", ["--no-paraphrase"])):
            res, dt = align(binary, [(k, k) for k in keys], dir_a, dir_b, extra, tmp, "t")
            m = measure(res, chapters)
            for cname, cpairs in controls.items():
                ctl, _ = align(binary, cpairs, dir_a, dir_b, extra, tmp, cname)
                m[cname] = control_figures(ctl, chapters)
            m["seconds"] = dt
            runs.append((name, m))

    kb = sum(len(c[1][0].encode()) for c in chapters)
    head = (f"{len(chapters)} Bible chapters (seed {a.seed}, {replaced} drawn again "
            f"for differing versification), WEB ({a.web}, {abytes:,} bytes) as A "
            f"against KJV ({a.kjv}, {kb:,} bytes) as B, `tessera align --pairs`; "
            f"verse recall over WEB verses of >= {MIN_WORDS} words, wrong source: "
            f"mapped more than one verse away; controls (every passage false): each "
            f"WEB chapter against the KJV of the chapter half the selection away "
            f"(far) and of the next selected chapter (near)")
    print(head)
    print(common.table(HEADER, rows_of(runs)))
    if a.examples:
        show_examples(a.examples, runs, chapters, "KJV")
    if a.markdown:
        with open(a.markdown, "w", encoding="utf-8") as f:
            f.write(head + "\n\n" + common.table(HEADER, rows_of(runs), markdown=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
