#!/usr/bin/env python3
"""Self-checks of the evaluation scorers; exits non-zero on any failure.

    python3 eval/test_plagdet.py

The hand examples need nothing; the PAN checks (truth scored as detections
must give plagdet exactly 1, halves granularity exactly 2) and the stitched
benchmark check run when the data folder is present and are skipped with a
note otherwise.
"""

import io
import math
import os
import sys
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import pan  # noqa: E402
import plagdet  # noqa: E402
import stitch  # noqa: E402
from plagdet import Annotation as A  # noqa: E402


class HandExamples(unittest.TestCase):
    case = A("s1", 0, 100, "r1", 0, 100)

    def test_identity(self):
        s = plagdet.evaluate([self.case], [self.case])
        self.assertEqual((s.plagdet, s.precision, s.recall, s.granularity),
                         (1.0, 1.0, 1.0, 1.0))

    def test_partial_overlap(self):
        # Half of each side detected: recall 0.5; precision 1.
        self.assertEqual(plagdet.case_recall(
            A("s2", 0, 100, "r2", 0, 100), [A("s2", 50, 100, "r2", 50, 100)]),
            0.5)
        self.assertEqual(plagdet.case_recall(
            A("s2", 0, 100, "r2", 0, 100), [A("s2", 25, 75, "r2", 25, 75)]),
            0.75)

    def test_two_sided_example(self):
        # Case: susp [10,30) (20 chars), source [100,140) (40 chars).
        # Detection: susp [20,40), source [120,130).
        # Recall = (10 + 10) / 60 = 1/3; precision = (10 + 10) / 30 = 2/3;
        # F1 = 4/9; one detection per detected case, so plagdet = 4/9.
        case = A("s", 10, 20, "r", 100, 40)
        det = A("s", 20, 20, "r", 120, 10)
        s = plagdet.evaluate([case], [det])
        self.assertAlmostEqual(s.recall, 1 / 3, places=15)
        self.assertAlmostEqual(s.precision, 2 / 3, places=15)
        self.assertEqual(s.granularity, 1.0)
        self.assertAlmostEqual(s.plagdet, 4 / 9, places=15)

    def test_both_sides_required(self):
        # Right suspicious span, source span elsewhere: nothing counts.
        wrong_side = A("s1", 0, 100, "r1", 500, 100)
        s = plagdet.evaluate([self.case], [wrong_side])
        self.assertEqual((s.recall, s.precision, s.plagdet), (0.0, 0.0, 0.0))
        # Right spans, other source document: nothing counts.
        wrong_doc = A("s1", 0, 100, "r9", 0, 100)
        s = plagdet.evaluate([self.case], [wrong_doc])
        self.assertEqual((s.recall, s.precision, s.plagdet), (0.0, 0.0, 0.0))

    def test_halves_granularity(self):
        halves = [A("s1", 0, 50, "r1", 0, 50), A("s1", 50, 50, "r1", 50, 50)]
        s = plagdet.evaluate([self.case], halves)
        self.assertEqual((s.recall, s.precision, s.granularity),
                         (1.0, 1.0, 2.0))
        self.assertAlmostEqual(s.plagdet, 1 / math.log2(3), places=15)

    def test_overlapping_detections_count_once(self):
        dets = [A("s1", 0, 80, "r1", 0, 80), A("s1", 20, 80, "r1", 20, 80)]
        self.assertEqual(plagdet.case_recall(self.case, dets), 1.0)
        # Identical detections are one detection (the reference reads a set).
        s = plagdet.evaluate([self.case], [self.case, self.case])
        self.assertEqual((s.detections, s.granularity), (1, 1.0))

    def test_macro_average(self):
        # Cases of 100 and 1000 chars, only the short one found: macro
        # recall is 0.5 (micro would be 200/2200).
        cases = [self.case, A("s2", 0, 1000, "r2", 0, 1000)]
        self.assertEqual(plagdet.macro_recall(cases, [self.case]), 0.5)
        # A false detection halves the precision.
        dets = [self.case, A("s3", 0, 10, "r3", 0, 10)]
        self.assertEqual(plagdet.macro_precision([self.case], dets), 0.5)

    def test_empty_rules(self):
        self.assertEqual(plagdet.macro_recall([], []), 1.0)
        self.assertEqual(plagdet.macro_recall([self.case], []), 0.0)
        self.assertEqual(plagdet.macro_precision([], [self.case]), 0.0)
        self.assertEqual(plagdet.granularity([self.case], []), 1.0)
        self.assertEqual(plagdet.plagdet_score(0, 0, 1), 0.0)

    def test_byte_to_cp(self):
        text = "a\u00e9b\u20acc\U0001F600d"        # 1, 2, 1, 3, 1, 4, 1 bytes
        data = text.encode("utf-8")
        for cp in range(len(text) + 1):
            b = len(text[:cp].encode("utf-8"))
            self.assertEqual(plagdet.byte_to_cp(data, b), cp)
            self.assertEqual(plagdet.byte_to_cp(data, b, True), cp)
        # Inside the euro sign (bytes 4..6): begin rounds down, end up.
        self.assertEqual(plagdet.byte_to_cp(data, 5), 3)
        self.assertEqual(plagdet.byte_to_cp(data, 5, True), 4)
        ann = plagdet.bytes_to_annotation("s", data, 1, 7, "r", b"xyz", 0, 3)
        self.assertEqual(ann, A("s", 1, 3, "r", 0, 3))

    def test_pan_xml_name(self):
        self.assertEqual(plagdet.pair_of_xml(
            "suspicious-document00005-source-document01090.xml"),
            ("suspicious-document00005", "source-document01090"))


def naive_scores(cases, dets):
    """The definitions again, with sets of character positions: an
    independent implementation to compare with on random input."""
    cases, dets = list(dict.fromkeys(cases)), list(dict.fromkeys(dets))

    def chars(a):
        return ({(a.susp, i) for i in range(a.susp_off,
                                            a.susp_off + a.susp_len)},
                {(a.src, i) for i in range(a.src_off, a.src_off + a.src_len)})

    def hit(x, y):
        cx, cy = chars(x), chars(y)
        return x.susp == y.susp and x.src == y.src and cx[0] & cy[0] \
            and cx[1] & cy[1]

    def mean_cover(xs, ys):
        if not xs and not ys:
            return 1.0
        if not xs or not ys:
            return 0.0
        total = 0.0
        for x in xs:
            cx = chars(x)
            hs = [chars(y) for y in ys if hit(x, y)]
            got = len(cx[0] & set().union(*[h[0] for h in hs])) + \
                len(cx[1] & set().union(*[h[1] for h in hs]))
            total += got / (x.susp_len + x.src_len)
        return total / len(xs)

    rec, prec = mean_cover(cases, dets), mean_cover(dets, cases)
    per_case = [sum(1 for d in dets if hit(c, d)) for c in cases]
    found = [k for k in per_case if k]
    gran = sum(found) / len(found) if found and dets else 1.0
    return rec, prec, gran


class Differential(unittest.TestCase):
    def test_random(self):
        import random
        rng = random.Random(42)
        for _ in range(300):
            def ann():
                return A(rng.choice("st"), rng.randrange(60),
                         rng.randrange(1, 40), rng.choice("xy"),
                         rng.randrange(60), rng.randrange(1, 40))
            cases = [ann() for _ in range(rng.randrange(0, 4))]
            dets = [ann() for _ in range(rng.randrange(0, 6))]
            s = plagdet.evaluate(cases, dets)
            rec, prec, gran = naive_scores(cases, dets)
            self.assertAlmostEqual(s.recall, rec, places=12)
            self.assertAlmostEqual(s.precision, prec, places=12)
            self.assertAlmostEqual(s.granularity, gran, places=12)


class StitchScoring(unittest.TestCase):
    """The stitched-article scorer on a hand-made truth."""

    truth = {"id": "x", "planted": [
        {"begin": 0, "end": 100, "source": "d1", "source_begin": 0,
         "source_end": 100, "reworded": False, "alt": []},
        {"begin": 102, "end": 202, "source": "d2", "source_begin": 50,
         "source_end": 150, "reworded": True, "alt": ["d3"]}],
        "unrelated": [{"begin": 204, "end": 250}], "repeats": []}

    def run_report(self, passages):
        acc = stitch.new_acc()
        stitch.score_article(self.truth, {"passages": passages}, 250, acc)
        return acc

    def test_synthetic_is_perfect(self):
        acc = stitch.new_acc()
        stitch.score_article(self.truth, stitch.synthetic_report(self.truth),
                             250, acc)
        s = plagdet.evaluate(acc["cases"], acc["dets"])
        self.assertEqual(s.plagdet, 1.0)
        self.assertEqual(acc["verbatim_found"] + acc["reworded_found"], 2)
        self.assertEqual(acc["reported_right"], 2)

    def test_half_rule_and_false_source(self):
        def p(b, e, sid, sb, se):
            return {"begin": b, "end": e,
                    "source": {"id": sid, "begin": sb, "end": se}}
        acc = self.run_report([
            p(0, 40, "d1", 0, 40),        # under half of planted 1: not found
            p(102, 202, "d3", 0, 100),    # alt source of planted 2: found
            p(204, 250, "d9", 0, 46)])    # false source, outside sentence
        self.assertEqual(acc["verbatim_found"], 0)
        self.assertEqual(acc["reworded_found"], 1)
        self.assertEqual(acc["reported_right"], 2)
        self.assertEqual(acc["false_passages"], 1)
        self.assertEqual(acc["unrelated_flagged"], 1)


class Layout(unittest.TestCase):
    """Stitched articles from a made-up news list: every verbatim piece's
    article span equals its source span with whitespace collapsed."""

    def test_spans(self):
        import random
        rng = random.Random(1)
        words = ["".join(rng.choice("abcdefghijklmnoprstuvw")
                         for _ in range(rng.randint(3, 9)))
                 for _ in range(400)]
        news = []
        for i in range(60):
            sents = []
            for j in range(8):
                w = [rng.choice(words) for k in range(18)]
                sents.append(f"Doc{i} part{j} " + " ".join(w) + ".")
            news.append({"id": f"n/{i}", "title": "",
                         "text": "\n    ".join(sents)})
        corpus, articles, truth = stitch.build(news, 40, 10, 7, 0.15)
        by_id = {a["id"]: a["text"].encode() for a in corpus}
        checked = 0
        for art, t in zip(articles, truth):
            data = art["text"].encode()
            self.assertTrue(t["planted"])
            for p in t["planted"]:
                piece = data[p["begin"]:p["end"]].decode()
                src = by_id[p["source"]][p["source_begin"]:p["source_end"]]
                if not p["reworded"]:
                    self.assertEqual(piece, " ".join(src.decode().split()))
                    checked += 1
            for r in t["repeats"]:
                self.assertEqual(data[r["begin"]:r["end"]],
                                 data[r["first_begin"]:r["first_end"]])
        self.assertGreater(checked, 0)
        # Same seed, same benchmark.
        _, articles2, truth2 = stitch.build(news, 40, 10, 7, 0.15)
        self.assertEqual(articles, articles2)
        self.assertEqual(truth, truth2)


def have_data(*parts):
    return os.path.exists(os.path.join(common.data_dir(), *parts))


@unittest.skipUnless(have_data("pan13-train", "pairs"),
                     "PAN data not found (set TESSERA_DATA)")
class PanTruth(unittest.TestCase):
    """Truth written as byte-offset align output, converted back to code
    points and scored: plagdet exactly 1 for every kind; halves give
    granularity exactly 2."""

    @classmethod
    def setUpClass(cls):
        cls.corpus = pan.Corpus(os.path.join(common.data_dir(), "pan13-train"))

    def score(self, mode, pairs):
        lines = pan.synthetic_lines(self.corpus, pairs, mode)
        dets, problems = pan.detections_of(self.corpus, lines)
        self.assertEqual(problems, [])
        return pan.score(self.corpus, pairs, dets)

    def test_truth_is_perfect(self):
        rows = self.score("truth", self.corpus.pairs)
        self.assertEqual(rows[-1][0], "overall")
        self.assertEqual(rows[-1][2].cases, 4007)
        for kind, _, s in rows:
            self.assertEqual(s.plagdet, 1.0, kind)
            self.assertEqual((s.precision, s.recall, s.granularity),
                             (1.0, 1.0, 1.0), kind)

    def test_halves(self):
        pairs = [p for p in self.corpus.pairs
                 if self.corpus.kind_of(p) == "03-random-obfuscation"][:100]
        s = self.score("halves", pairs)[-1][2]
        self.assertEqual(s.granularity, 2.0)
        self.assertEqual((s.precision, s.recall), (1.0, 1.0))


@unittest.skipUnless(have_data("news.jsonl"),
                     "news.jsonl not found (set TESSERA_DATA)")
class StitchSynthetic(unittest.TestCase):
    def test_small_run(self):
        buf = io.StringIO()
        with redirect_stdout(buf):
            rc = stitch.main(["--synthetic", "--corpus", "300",
                              "--articles", "15"])
        self.assertEqual(rc, 0)
        out = buf.getvalue()
        self.assertIn("plagdet", out)
        line = [x for x in out.splitlines() if x.startswith("plagdet")][0]
        self.assertTrue(line.endswith("1.0000"), line)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    sys.exit(0 if result.wasSuccessful() else 1)
