#!/usr/bin/env python3
"""PAN 2013 text alignment: run `tessera align` over the training pairs and
score the passages with plagdet, per obfuscation kind and overall.

    python3 eval/pan.py                      # all 5,185 pairs
    python3 eval/pan.py --kind 03 --limit 200
    python3 eval/pan.py --markdown out.md --save dets.jsonl
    python3 eval/pan.py --detections dets.jsonl   # score saved output
    python3 eval/pan.py --synthetic truth     # scorer self-check, no tessera

How it works: the selected pairs go to one `tessera align --pairs FILE
--dir-a susp --dir-b src --jsonl` run (or --jobs runs over slices); every
output line is {"a", "b", "passages": [{"begin", "end", "source": {"id",
"begin", "end"}, "similarity"}], "coverage"} with UTF-8 byte offsets, end
exclusive, a = suspicious, b = source.  Offsets are converted to code points
with the document texts (the PAN truth counts code points) and scored with
plagdet.py against the truth XML of the pairs that ran.  A kind's row uses
that kind's pairs only; 01-no-plagiarism has no cases, so its row shows only
the number of (false) detections; "overall" pools every pair that ran, as
PAN scores a whole corpus, so false detections there lower its precision.

--synthetic writes detections from the truth in bytes instead of running
tessera (truth: plagdet must be exactly 1; halves: every case split in two,
granularity 2) and sends them through the same conversion and scoring.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import plagdet  # noqa: E402

KINDS = ["01-no-plagiarism", "02-no-obfuscation", "03-random-obfuscation",
         "04-translation-obfuscation", "05-summary-obfuscation"]


def strip_txt(name):
    return name[:-4] if name.endswith(".txt") else name


# ---------------------------------------------------------------- corpus

class Corpus:
    """The PAN folder: pairs in order, their kind and their truth cases."""

    def __init__(self, root):
        self.root = root
        self.susp_dir = os.path.join(root, "susp")
        self.src_dir = os.path.join(root, "src")
        self.pairs = []        # (susp file, src file) in `pairs` order
        self.kind = {}         # (susp, src) stems -> kind folder
        self.cases = {}        # (susp, src) stems -> [Annotation]
        with open(os.path.join(root, "pairs"), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    self.pairs.append((parts[0], parts[1]))
        for kind in KINDS:
            kdir = os.path.join(root, kind)
            with open(os.path.join(kdir, "pairs"), encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 2:
                        self.kind[(strip_txt(parts[0]),
                                   strip_txt(parts[1]))] = kind
            for name in sorted(os.listdir(kdir)):
                if name.endswith(".xml"):
                    key = plagdet.pair_of_xml(name)
                    self.cases.setdefault(key, []).extend(
                        plagdet.read_pan_xml(os.path.join(kdir, name)))
        self._texts = {}

    def kind_of(self, pair):
        return self.kind.get((strip_txt(pair[0]), strip_txt(pair[1])), "?")

    def text(self, folder, name):
        """Bytes of a document as a plagdet.CodePoints (cached)."""
        key = (folder, name)
        t = self._texts.get(key)
        if t is None:
            d = self.susp_dir if folder == "susp" else self.src_dir
            with open(os.path.join(d, name), "rb") as f:
                t = plagdet.CodePoints(f.read())
            self._texts[key] = t
        return t


def select_pairs(corpus, kinds, limit):
    pairs = corpus.pairs
    if kinds:
        pairs = [p for p in pairs if corpus.kind_of(p) in kinds]
    if limit:
        pairs = pairs[:limit]
    return pairs


def parse_kinds(values):
    out = []
    for v in values or []:
        hits = [k for k in KINDS if k == v or k.startswith(v + "-")
                or k.split("-", 1)[1] == v or k.split("-", 1)[1].startswith(v)]
        if len(hits) != 1:
            sys.exit(f"pan.py: unknown kind {v!r}; one of {', '.join(KINDS)}")
        out.append(hits[0])
    return out


# ---------------------------------------------------------------- running

def run_tessera(binary, corpus, pairs, jobs, extra, tmp):
    """Run align over the pairs in `jobs` slices at once; returns (output
    lines, stderr texts, seconds)."""
    jobs = max(1, min(jobs, len(pairs)))
    size = (len(pairs) + jobs - 1) // jobs
    procs = []
    start = time.monotonic()
    for j in range(jobs):
        part = pairs[j * size:(j + 1) * size]
        pfile = os.path.join(tmp, f"pairs.{j}")
        with open(pfile, "w", encoding="utf-8") as f:
            f.writelines(f"{a} {b}\n" for a, b in part)
        cmd = [binary, "align", "--pairs", pfile, "--dir-a", corpus.susp_dir,
               "--dir-b", corpus.src_dir, "--jsonl", "--allow-nul"] + extra
        out = open(os.path.join(tmp, f"out.{j}"), "wb")
        err = open(os.path.join(tmp, f"err.{j}"), "wb")
        procs.append((subprocess.Popen(cmd, stdout=out, stderr=err), out, err,
                      cmd))
    lines, errors = [], []
    for j, (p, out, err, cmd) in enumerate(procs):
        rc = p.wait()
        out.close()
        err.close()
        with open(os.path.join(tmp, f"out.{j}"), encoding="utf-8",
                  errors="replace") as f:
            lines.extend(f.read().splitlines())
        with open(os.path.join(tmp, f"err.{j}"), encoding="utf-8",
                  errors="replace") as f:
            etext = f.read().strip()
        if rc != 0:
            errors.append(f"`{shlex.join(cmd)}` exited with {rc}: "
                          f"{etext[-2000:]}")
        elif etext:
            errors.append(etext[-2000:])
    return lines, errors, time.monotonic() - start


def synthetic_lines(corpus, pairs, mode):
    """align-format JSONL lines from the truth, in bytes (see module doc)."""
    lines = []
    for a, b in pairs:
        sa = corpus.text("susp", a).data.decode("utf-8")
        sb = corpus.text("src", b).data.decode("utf-8")

        def tob(text, cp):
            return len(text[:cp].encode("utf-8"))

        passages = []
        for c in corpus.cases.get((strip_txt(a), strip_txt(b)), []):
            spans = [(c.susp_off, c.susp_off + c.susp_len,
                      c.src_off, c.src_off + c.src_len)]
            if mode == "halves":
                hm = c.susp_off + c.susp_len // 2
                sm = c.src_off + c.src_len // 2
                spans = [(c.susp_off, hm, c.src_off, sm),
                         (hm, c.susp_off + c.susp_len,
                          sm, c.src_off + c.src_len)]
            for x, y, sx, sy in spans:
                passages.append({"begin": tob(sa, x), "end": tob(sa, y),
                                 "source": {"id": b, "begin": tob(sb, sx),
                                            "end": tob(sb, sy)},
                                 "similarity": 1.0})
        lines.append(json.dumps({"a": a, "b": b, "passages": passages,
                                 "coverage": 0.0}))
    return lines


# ---------------------------------------------------------------- scoring

def detections_of(corpus, lines):
    """Parse output lines: {(susp stem, src stem): [Annotation]}, problems."""
    dets, problems = {}, []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
            a, b = obj["a"], obj["b"]
            passages = obj.get("passages", [])
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"output line {n}: {e!r}: {line[:200]}")
            continue
        if not isinstance(passages, list):
            problems.append(f"output line {n}: \"passages\" is not a list")
            continue
        key = (strip_txt(a), strip_txt(b))
        dets.setdefault(key, [])
        ta, tb = corpus.text("susp", a), corpus.text("src", b)
        for p in passages:
            src = p.get("source") or {}
            sid = src.get("id") or b
            if strip_txt(os.path.basename(sid)) != key[1]:
                problems.append(f"output line {n}: passage source {sid!r} is "
                                f"not the pair's source {b!r}")
            # A pair has one source: score against it even if the id is
            # spelled differently (the warning above says so).
            dets[key].append(plagdet.bytes_to_annotation(
                key[0], ta, int(p["begin"]), int(p["end"]),
                key[1], tb, int(src["begin"]), int(src["end"])))
    return dets, problems


def score(corpus, pairs, dets):
    """Rows of (kind, pairs, Scores) per kind present, then overall."""
    groups = {}
    for a, b in pairs:
        key = (strip_txt(a), strip_txt(b))
        g = groups.setdefault(corpus.kind_of((a, b)), ([], [], []))
        g[0].append(key)
        g[1].extend(corpus.cases.get(key, []))
        g[2].extend(dets.get(key, []))
    rows = []
    for kind in KINDS + ["?"]:
        if kind in groups:
            keys, cases, ds = groups[kind]
            rows.append((kind, len(keys), plagdet.evaluate(cases, ds)))
    all_cases = [c for g in groups.values() for c in g[1]]
    all_dets = [d for g in groups.values() for d in g[2]]
    rows.append(("overall", len(pairs), plagdet.evaluate(all_cases, all_dets)))
    return rows


HEADER = ["kind", "pairs", "cases", "plagdet", "precision", "recall",
          "granularity", "detections"]


def format_rows(rows, markdown=False):
    body = []
    for kind, npairs, s in rows:
        if s.cases == 0:
            # Nothing to find: only the (false) detections mean anything.
            body.append([kind, npairs, 0, "-", "-", "-", "-", s.detections])
            continue
        body.append([kind, npairs, s.cases, f"{s.plagdet:.4f}",
                     f"{s.precision:.4f}", f"{s.recall:.4f}",
                     f"{s.granularity:.4f}", s.detections])
    return common.table(HEADER, body, markdown)


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="PAN 2013 text alignment accuracy of tessera (plagdet).")
    ap.add_argument("--data", help="pan13-train folder (default: "
                    "$TESSERA_DATA/pan13-train or ../shared/data/pan13-train)")
    ap.add_argument("--tessera", help="tessera binary (default build/tessera)")
    ap.add_argument("--kind", action="append",
                    help="only this kind: 01..05 or its name (repeatable)")
    ap.add_argument("--limit", type=int, default=0,
                    help="only the first N selected pairs")
    ap.add_argument("--jobs", type=int, default=1,
                    help="tessera processes at once over slices (default 1)")
    ap.add_argument("--args", default="",
                    help="extra arguments for `tessera align` (one string)")
    ap.add_argument("--save", help="write the raw JSONL output here")
    ap.add_argument("--detections", help="score this saved JSONL output "
                    "instead of running tessera")
    ap.add_argument("--synthetic", choices=["truth", "halves"],
                    help="score detections made from the truth (self-check)")
    ap.add_argument("--markdown", help="write the table as Markdown here")
    args = ap.parse_args(argv)

    root = args.data or common.require_data("pan13-train")
    if not os.path.isdir(root):
        sys.exit(f"pan.py: {root}: no such folder")
    corpus = Corpus(root)
    pairs = select_pairs(corpus, parse_kinds(args.kind), args.limit)
    if not pairs:
        sys.exit("pan.py: no pairs selected")

    errors, seconds = [], None
    if args.synthetic:
        lines = synthetic_lines(corpus, pairs, args.synthetic)
        label = f"synthetic detections ({args.synthetic})"
    elif args.detections:
        with open(args.detections, encoding="utf-8") as f:
            lines = f.read().splitlines()
        label = f"saved output {args.detections}"
    else:
        binary = common.tessera_bin(args.tessera)
        with tempfile.TemporaryDirectory(prefix="tessera-pan-") as tmp:
            lines, errors, seconds = run_tessera(
                binary, corpus, pairs, args.jobs, shlex.split(args.args), tmp)
        shown = os.path.relpath(binary, common.REPO) \
            if binary.startswith(common.REPO + os.sep) else binary
        label = f"{shown} align {args.args}".strip()
    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)

    dets, problems = detections_of(corpus, lines)
    wanted = {(strip_txt(a), strip_txt(b)) for a, b in pairs}
    missing = len(wanted - set(dets))
    extra = len(set(dets) - wanted)
    rows = score(corpus, pairs, {k: v for k, v in dets.items()
                                 if k in wanted})

    print(f"PAN 2013 text alignment training corpus: {len(pairs)} pairs, "
          f"{label}")
    print(format_rows(rows))
    in_bytes = sum(len(corpus.text("susp", a).data) +
                   len(corpus.text("src", b).data) for a, b in pairs)
    timing = ""
    if seconds is not None:
        timing = (f"time: {seconds:.2f} s wall for {len(pairs)} pairs, "
                  f"{len(pairs) / seconds:.1f} pairs/s, "
                  f"{in_bytes / seconds / 1e6:.2f} MB/s of input "
                  f"({args.jobs} process{'es' if args.jobs > 1 else ''})")
        print(timing)
    for msg in errors + problems[:20]:
        print(f"pan.py: warning: {msg}", file=sys.stderr)
    if len(problems) > 20:
        print(f"pan.py: warning: {len(problems) - 20} more problems",
              file=sys.stderr)
    if missing:
        print(f"pan.py: warning: {missing} pairs have no output line "
              f"(scored as no detections)", file=sys.stderr)
    if extra:
        print(f"pan.py: warning: {extra} output lines name pairs that were "
              f"not asked for (ignored)", file=sys.stderr)

    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(f"PAN 2013 text alignment training corpus, {len(pairs)} "
                    f"pairs, `{label}`\n\n")
            f.write(format_rows(rows, markdown=True) + "\n")
            if timing:
                f.write(f"\n{timing}\n")
    failed = bool(errors and seconds is not None and
                  any("exited with" in e for e in errors))
    return 1 if failed or missing == len(wanted) else 0


if __name__ == "__main__":
    sys.exit(main())
