#!/usr/bin/env python3
"""PAN plagdet: character-level precision, recall, granularity and plagdet.

The measures of Potthast, Stein, Barron-Cedeno and Rosso, "An Evaluation
Framework for Plagiarism Detection" (COLING 2010), computed the way PAN's
reference script (perfmeasures.py, pan09-plagiarism-detection-performance-
measures.py) computes them.  Written from the definitions, standard library
only, with intervals instead of bit arrays.

How it works
------------
A case (truth) and a detection are both an Annotation: a span of the
suspicious document and a span of one source document.  A detection
*overlaps* a case when it names the same suspicious document and the same
source document and its spans intersect the case's spans on BOTH sides.

  recall(case)     = chars of the case covered by the overlapping detections,
                     counted on the suspicious side plus the source side,
                     divided by case.susp_len + case.src_len
  precision(det)   = the same with the roles swapped (recall of the cases in
                     "detecting" the detection)
  macro recall     = mean of recall(case) over all cases
  macro precision  = mean of precision(det) over all detections
  granularity      = mean number of overlapping detections per detected case
                     (1 when nothing is detected)
  plagdet          = F1(precision, recall) / log2(1 + granularity)

Edge rules, as in the reference script: no cases and no detections gives
recall = precision = 1; either one empty gives 0 for both macro averages.
Identical detections count once (the reference script reads them into a
set), and so do identical cases.

Units: the measures count whatever unit the offsets are in.  PAN truth is
in Unicode code points; tessera reports UTF-8 byte offsets, so the callers
convert with byte_to_cp() before scoring PAN.  The stitched-article
benchmark has truth and detections both in bytes and scores bytes directly.

Command line: score PAN-format detection XML files against PAN truth XML,
    python3 eval/plagdet.py --truth DIR [--truth DIR ...] --det DIR
"""

import argparse
import math
import os
import sys
import xml.etree.ElementTree as ET
from collections import namedtuple

# ---------------------------------------------------------------- types

Annotation = namedtuple(
    "Annotation", "susp susp_off susp_len src src_off src_len")
Annotation.__doc__ = """A span of a suspicious document and a span of a
source document: (susp, susp_off, susp_len, src, src_off, src_len)."""

Scores = namedtuple(
    "Scores",
    "plagdet precision recall granularity cases detections detected_cases")


# ---------------------------------------------------------------- helpers

def _span_overlap(off1, len1, off2, len2):
    """The reference script's overlap test on one side: span 2 intersects
    span 1 (end-exclusive)."""
    return off2 + len2 > off1 and off2 < off1 + len1


def is_overlapping(case, det):
    """True when det names the same pair and intersects case on both sides."""
    return (case.susp == det.susp and case.src == det.src
            and _span_overlap(case.susp_off, case.susp_len,
                              det.susp_off, det.susp_len)
            and _span_overlap(case.src_off, case.src_len,
                              det.src_off, det.src_len))


def _union_len(intervals):
    """Length of the union of [begin, end) intervals."""
    total, cur_b, cur_e = 0, None, None
    for b, e in sorted(intervals):
        if e <= b:
            continue
        if cur_e is None or b > cur_e:
            if cur_e is not None:
                total += cur_e - cur_b
            cur_b, cur_e = b, e
        elif e > cur_e:
            cur_e = e
    if cur_e is not None:
        total += cur_e - cur_b
    return total


def _clip(off, length, other_off, other_len):
    """The part of [other_off, other_off + other_len) inside
    [off, off + length)."""
    return (max(off, other_off), min(off + length, other_off + other_len))


def covered_chars(ann, others):
    """Chars of ann (suspicious side plus source side) covered by the members
    of others that overlap it on both sides."""
    hits = [o for o in others if is_overlapping(ann, o)]
    if not hits:
        return 0
    susp = [_clip(ann.susp_off, ann.susp_len, o.susp_off, o.susp_len)
            for o in hits]
    src = [_clip(ann.src_off, ann.src_len, o.src_off, o.src_len)
           for o in hits]
    return _union_len(susp) + _union_len(src)


def _by_pair(anns):
    index = {}
    for a in anns:
        index.setdefault((a.susp, a.src), []).append(a)
    return index


# ---------------------------------------------------------------- measures

def case_recall(case, dets):
    """Share of the case's chars (both sides) that the detections cover."""
    total = case.susp_len + case.src_len
    if total == 0:
        return 0.0
    return covered_chars(case, dets) / total


def macro_recall(cases, dets):
    """Mean case_recall over the cases (reference edge rules)."""
    cases, dets = _unique(cases), _unique(dets)
    if not cases and not dets:
        return 1.0
    if not cases or not dets:
        return 0.0
    det_index = _by_pair(dets)
    total = 0.0
    for c in cases:
        pair_dets = det_index.get((c.susp, c.src))
        if pair_dets:
            total += case_recall(c, pair_dets)
    return total / len(cases)


def macro_precision(cases, dets):
    """Mean precision over the detections: recall with the roles swapped."""
    return macro_recall(dets, cases)


def granularity(cases, dets):
    """Mean number of overlapping detections per detected case; 1 when no
    case is detected."""
    cases, dets = _unique(cases), _unique(dets)
    if not dets:
        return 1.0
    det_index = _by_pair(dets)
    n_dets, n_detected = 0, 0
    for c in cases:
        k = sum(1 for d in det_index.get((c.susp, c.src), ())
                if is_overlapping(c, d))
        if k:
            n_dets += k
            n_detected += 1
    return n_dets / n_detected if n_detected else 1.0


def plagdet_score(rec, prec, gran):
    """F1 of precision and recall divided by log2(1 + granularity)."""
    if (rec == 0 and prec == 0) or rec < 0 or prec < 0 or gran < 1:
        return 0.0
    return (2 * rec * prec / (rec + prec)) / math.log2(1 + gran)


def _unique(anns):
    return list(dict.fromkeys(anns))


def detected_cases(cases, dets):
    """Number of cases overlapped by at least one detection."""
    det_index = _by_pair(dets)
    return sum(1 for c in _unique(cases)
               if any(is_overlapping(c, d)
                      for d in det_index.get((c.susp, c.src), ())))


def evaluate(cases, dets):
    """All measures at once, as a Scores tuple."""
    cases, dets = _unique(cases), _unique(dets)
    rec = macro_recall(cases, dets)
    prec = macro_precision(cases, dets)
    gran = granularity(cases, dets)
    return Scores(plagdet=plagdet_score(rec, prec, gran), precision=prec,
                  recall=rec, granularity=gran, cases=len(cases),
                  detections=len(dets),
                  detected_cases=detected_cases(cases, dets))


# ---------------------------------------------------------------- offsets

_CONTINUATION = bytes(range(0x80, 0xC0))


def byte_to_cp(data, offset, round_up=False):
    """Code point index of byte `offset` in the UTF-8 bytes `data`.

    An offset inside a multi-byte character maps to the start of that
    character, or past its end with round_up (use it for end offsets), so a
    span never loses a character it touches.  Offsets past the end clamp."""
    offset = max(0, min(offset, len(data)))
    cp = len(data[:offset].translate(None, _CONTINUATION))
    inside = offset < len(data) and 0x80 <= data[offset] < 0xC0
    if inside and not round_up:
        cp -= 1
    return cp


class CodePoints:
    """Converts byte offsets of one document to code points (identity for
    pure ASCII documents, the common case)."""

    def __init__(self, data):
        self.data = data
        self.ascii = data.isascii()

    def begin(self, offset):
        return offset if self.ascii else byte_to_cp(self.data, offset)

    def end(self, offset):
        return offset if self.ascii else byte_to_cp(self.data, offset, True)


def bytes_to_annotation(susp, susp_text, b, e, src, src_text, sb, se):
    """An Annotation in code points from byte spans [b, e) of the suspicious
    text and [sb, se) of the source text (CodePoints or bytes objects)."""
    if not isinstance(susp_text, CodePoints):
        susp_text = CodePoints(susp_text)
    if not isinstance(src_text, CodePoints):
        src_text = CodePoints(src_text)
    cb, ce = susp_text.begin(b), susp_text.end(e)
    csb, cse = src_text.begin(sb), src_text.end(se)
    return Annotation(susp, cb, max(0, ce - cb), src, csb, max(0, cse - csb))


# ---------------------------------------------------------------- PAN XML

def _strip_txt(name):
    return name[:-4] if name.endswith(".txt") else name


def read_pan_xml(path, feature="plagiarism"):
    """Annotations of one PAN XML file (document names without ".txt").
    `feature` matches the end of the name attribute, as in the reference
    script ("plagiarism" for truth, "detected-plagiarism" for detections)."""
    root = ET.parse(path).getroot()
    ref = _strip_txt(root.get("reference", ""))
    out = []
    for f in root:
        if not f.get("name", "").endswith(feature):
            continue
        if f.get("source_reference") is None:
            continue  # intrinsic annotation: not part of text alignment
        out.append(Annotation(ref, int(f.get("this_offset")),
                              int(f.get("this_length")),
                              _strip_txt(f.get("source_reference")),
                              int(f.get("source_offset")),
                              int(f.get("source_length"))))
    return out


def read_pan_dir(path, feature="plagiarism"):
    """All annotations of the *.xml files directly in path."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path}: no such directory")
    out = []
    for name in sorted(os.listdir(path)):
        if name.endswith(".xml"):
            out.extend(read_pan_xml(os.path.join(path, name), feature))
    return out


def pair_of_xml(name):
    """('suspicious-documentNNNNN', 'source-documentNNNNN') from a PAN XML
    file name 'suspicious-documentNNNNN-source-documentNNNNN.xml'."""
    stem = name[:-4] if name.endswith(".xml") else name
    i = stem.index("-source-")
    return stem[:i], stem[i + 1:]


# ---------------------------------------------------------------- CLI

def format_scores(s):
    return (f"plagdet {s.plagdet:.4f}  precision {s.precision:.4f}  "
            f"recall {s.recall:.4f}  granularity {s.granularity:.4f}  "
            f"cases {s.cases}  detections {s.detections}  "
            f"detected cases {s.detected_cases}")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Score PAN-format detections (XML, code points) against "
                    "PAN truth XML with plagdet.")
    ap.add_argument("--truth", action="append", required=True,
                    help="folder of truth XML files (repeatable)")
    ap.add_argument("--det", required=True,
                    help="folder of detection XML files "
                         "(feature name ending in 'plagiarism')")
    args = ap.parse_args(argv)
    cases = []
    for d in args.truth:
        cases.extend(read_pan_dir(d))
    dets = read_pan_dir(args.det)
    print(format_scores(evaluate(cases, dets)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
