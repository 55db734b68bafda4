"""pytest suite of the tessera package (run by `make test` through
tests/python.sh, which installs the package into a scratch directory and
points TESSERA_BIN at the command and TSR_CORPUS at a generated corpus).

Equality with the command: the same index, the same texts, the JSON of
`tessera check --jsonl` against Index.check, passage for passage."""
import json
import os
import subprocess
import threading

import pytest

import tessera

BIN = os.environ.get("TESSERA_BIN", "tessera")
CORPUS = os.environ.get("TSR_CORPUS")


def run(*args, **kw):
    return subprocess.run([BIN, *args], check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def corpus():
    if not CORPUS:
        pytest.skip("TSR_CORPUS not set (tests/python.sh sets it)")
    with open(CORPUS, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory, corpus):
    db = str(tmp_path_factory.mktemp("cli") / "db.tsr")
    run("index", "-q", "--db", db, CORPUS)
    return db


def queries(corpus, n=40):
    """Texts made of pieces of corpus documents, some unrelated words."""
    out = []
    for i in range(n):
        a = corpus[(i * 37) % len(corpus)]["text"]
        b = corpus[(i * 53 + 11) % len(corpus)]["text"]
        out.append({"id": f"q{i}", "text": a[: 400 + 13 * i] + "\n\nnothing of this is reused. "
                    + b[100: 900]})
    return out


def test_check_equals_cli(tmp_path, corpus, cli_index):
    qs = queries(corpus)
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("".join(json.dumps(q) + "\n" for q in qs), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run("check", "--db", cli_index, "--jsonl", str(qfile), "-o", str(out))
    cli = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(cli) == 40
    with tessera.Index(cli_index, readonly=True) as ix:
        found = 0
        for q, c in zip(qs, cli):
            r = ix.check(q["text"])
            assert c.pop("id") == q["id"]
            assert r.data == c
            assert r.passages == c["passages"] and r.coverage == c["coverage"]
            found += len(r.passages) > 0
        assert found >= 35


def test_check_timeout(corpus, cli_index):
    q = queries(corpus)[0]["text"]
    with tessera.Index(cli_index, readonly=True) as ix:
        full = ix.check(q)
        assert ix.check(q, timeout=60).data == full.data
        with pytest.raises(tessera.TimeLimitError) as ei:
            ix.check(q, timeout=1e-9)
        assert ei.value.status == 19 and "time" in str(ei.value)


def test_discover_same_pairs(tmp_path, cli_index):
    out = tmp_path / "pairs.jsonl"
    run("discover", "-q", "--db", cli_index, "--workdir", str(tmp_path / "w"), "-o", str(out))
    cli = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    with tessera.Index(cli_index, readonly=True) as ix:
        py = list(ix.discover())
        fams = ix.families()
    assert len(py) == len(cli) > 100
    assert py == cli                  # the same lines, key for key, value for value
    assert {p["family"] for p in py} == set(range(len(fams)))


def test_discover_scratch(tmp_path, corpus, cli_index):
    """A scratch index (nothing synced, texts raw) built from the corpus
    gives the pairs of the CLI's index of it, and stores the texts
    uncompressed; a scratch open of an existing index raises."""
    db = str(tmp_path / "scratch.tsr")
    with tessera.Index(db, scratch=True) as ix:
        assert ix.add(corpus) == len(corpus)
        s = ix.stats()
        assert s["stored_bytes"] >= s["text_bytes"]
        py = list(ix.discover(workdir=str(tmp_path / "w1")))
    with tessera.Index(cli_index, readonly=True) as ix:
        assert py == list(ix.discover(workdir=str(tmp_path / "w2"))) and len(py) > 100
    with pytest.raises(tessera.Error):
        tessera.Index(db, scratch=True)


def test_add_and_stats(tmp_path, corpus):
    db = str(tmp_path / "py.tsr")
    with tessera.Index(db) as ix:
        n = ix.add(dict(d, url=f"http://x/{i}") for i, d in enumerate(corpus[:500]))
        assert n == 500
        assert ix.add(corpus[:3]) == 0          # duplicate ids: skipped
        s = ix.stats()
        assert s["documents"] == 500 and s["shards"] == 1
        doc = ix.get(corpus[7]["id"])
        assert doc["text"] == corpus[7]["text"] and json.loads(doc["meta"])["url"] == "http://x/7"
        assert ix.get(7)["id"] == corpus[7]["id"]
    stats = json.loads(run("stats", "--db", db, "--json").stdout)
    assert stats["documents"] == 500
    # a reader sees another writer's commits after refresh()
    with tessera.Index(db, readonly=True) as rd, tessera.Index(db) as wr:
        assert wr.add(corpus[500:510]) == 10
        assert rd.stats()["documents"] == 500
        rd.refresh()
        assert rd.stats()["documents"] == 510


def test_remove(tmp_path, corpus):
    """Index.remove: the documents leave check, get and stats at once, a
    reader sees it after refresh(), the command agrees."""
    db = str(tmp_path / "rm.tsr")
    docs = corpus[:50]
    with tessera.Index(db) as ix:
        ix.add(docs)
        text = docs[3]["text"]
        assert any(s["id"] == docs[3]["id"] for s in ix.check(text).data["sources"])
        with tessera.Index(db, readonly=True) as rd:
            assert ix.remove([docs[3]["id"], "no-such-id", docs[4]["id"]]) == 2
            assert ix.stats()["documents"] == 48
            with pytest.raises(tessera.NotFoundError):
                ix.get(docs[3]["id"])
            assert all(s["id"] != docs[3]["id"] for s in ix.check(text).data["sources"])
            assert rd.stats()["documents"] == 50
            rd.refresh()
            assert rd.stats()["documents"] == 48
    assert json.loads(run("stats", "--db", db, "--json").stdout)["documents"] == 48
    run("verify", "--db", db)


def test_roundtrip_10k(tmp_path):
    db = str(tmp_path / "rt.tsr")
    import random
    rnd = random.Random(7)
    docs = [{"id": f"d{i}", "text": " ".join(f"w{rnd.randrange(50000)}" for _ in range(40))}
            for i in range(10000)]
    with tessera.Index(db) as ix:
        assert ix.add(docs) == 10000
        assert ix.stats()["documents"] == 10000
        for i in (0, 4999, 9999):
            assert ix.get(f"d{i}")["text"] == docs[i]["text"]
        r = ix.check(docs[1234]["text"])
        assert any(p["source"]["id"] == "d1234" for p in r.passages)


def test_threads(corpus, cli_index):
    qs = queries(corpus, 16)
    with tessera.Index(cli_index, readonly=True, cache=64 << 20) as ix:
        want = [ix.check(q["text"]).data for q in qs]
        got = [None] * len(qs)

        def work(k):
            for i in range(k, len(qs), 2):
                got[i] = ix.check(qs[i]["text"]).data

        th = [threading.Thread(target=work, args=(k,)) for k in range(2)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        assert got == want


def test_align_and_params():
    a = ("for forty years the keeper climbed the iron stairs every evening at dusk, "
         "trimmed the wick, polished the great lens and wound the clockwork")
    b = ("on gull point, for forty years the keeper climbed the iron stairs every evening at "
         "dusk, trimmed the wick, polished the great lens and wound the clockwork; then slept")
    r = tessera.align(a, b)
    assert r.passages and r.passages[0]["similarity"] > 0.9
    assert tessera.align(a, b, min_words=1000).passages == []
    with pytest.raises(tessera.InvalidError):
        tessera.align(a, b, min_wordz=3)
    with pytest.raises(tessera.InvalidError):
        tessera.align(a, b, min_similarity=2.0)


def test_check_paraphrase(tmp_path):
    """paraphrase=2 runs the sentence stage on a check's candidates, as
    `tessera check --paraphrase` (tests/cli/cases/check_paraphrase.sh):
    without it, only the one sentence the texts share verbatim (13 words, a
    brief passage), with it the rewritten paragraph too."""
    data = os.environ.get("TSR_TESTDATA")
    if not data:
        pytest.skip("TSR_TESTDATA not set (tests/python.sh sets it)")
    with open(os.path.join(data, "rewrite_b.txt"), encoding="utf-8") as f:
        src = f.read()
    with open(os.path.join(data, "rewrite_q.txt"), encoding="utf-8") as f:
        query = f.read()
    with tessera.Index(str(tmp_path / "pp.tsr")) as ix:
        ix.add([{"id": "b", "text": src}])
        plain = ix.check(query).passages
        assert [(p["kind"], p["words"]) for p in plain] == [("verbatim", 13)]
        kinds = [p["kind"] for p in ix.check(query, paraphrase=2).passages]
        assert kinds == ["verbatim", "paraphrase"]
        with pytest.raises(tessera.InvalidError):
            ix.check(query, paraphrase=3)


def test_errors(tmp_path):
    with pytest.raises(tessera.NotFoundError):
        tessera.Index(str(tmp_path / "missing"), readonly=True)
    with pytest.raises(tessera.UTF8Error) as e:
        tessera.align(b"good text \xc3\x28 bad", "x")
    assert e.value.offset == 10 and e.value.status == 3
    with pytest.raises(tessera.NulError):
        tessera.align(b"a\x00b", "a b")
    db = str(tmp_path / "e.tsr")
    with tessera.Index(db) as ix:
        with pytest.raises(tessera.LockedError):
            tessera.Index(db)
        with pytest.raises(tessera.UTF8Error):
            ix.add([{"id": "x", "text": b"\xff\xfe"}])
        assert ix.add([{"id": "x", "text": b"\xff\xfe"}, {"id": "y", "text": "ok words"}],
                      skip_bad=True) == 1
        with pytest.raises(tessera.NotFoundError):
            ix.get("nope")
    ro = tessera.Index(db, readonly=True)
    with pytest.raises(tessera.ReadOnlyError):
        ro.add([{"id": "z", "text": "more"}])
    ro.close()
    with pytest.raises(tessera.Error):
        ro.check("after close")


def test_dedup():
    base = " ".join(f"word{k}" for k in range(200))
    near = base.replace("word50 ", "other ", 1)
    docs = [{"id": "a", "text": base}, {"id": "b", "text": "something else entirely " * 20},
            {"id": "c", "text": base}, {"id": "d", "text": near}]
    kept = [d["id"] for d in tessera.dedup(docs)]
    assert kept == ["a", "b"]
    cl = tessera.dedup(docs, clusters=True)
    assert cl == [{"keep": 0, "members": [0, 2, 3], "similarity": cl[0]["similarity"]}]
    assert [d["id"] for d in tessera.dedup(docs, threshold=0.999)] == ["a", "b", "d"]


def test_to_pandas(corpus, cli_index):
    pd = pytest.importorskip("pandas")
    with tessera.Index(cli_index, readonly=True) as ix:
        df = ix.check(queries(corpus, 1)[0]["text"]).to_pandas()
    assert isinstance(df, pd.DataFrame) and "source_id" in df.columns and len(df) > 0


# -- --text and --offsets chars: the written offsets slice Python str ------------
REUSED = ("Reporters said the council would vote on the new budget next week, after "
          "months of debate about schools and roads and the long winter that closed "
          "the bridge to the island.")
OTHER = ("The orchestra rehearsed a symphony nobody had played in the valley since the "
         "old conductor left for the capital many decades ago, they say.")


def _multibyte_docs():
    """Texts with "£", "é" and "€" (two or three bytes, one code point) before
    and inside the passages, so that byte offsets and str offsets differ."""
    return [
        {"id": "d1", "title": "Le café", "url": "http://e.x/1",
         "text": "Prix: £12, café crème, 3 €. " + REUSED + " Fin de l’été. " + OTHER},
        {"id": "d2", "url": "http://e.x/2",
         "text": "Ça coûte £5 — déjà vu! " + OTHER.replace("decades", "décennies")
                 + "\n\nÉté: " + REUSED.replace("budget", "budgét")},
        {"id": "d3", "text": "Nothing here is reused: cats, dogs, weather in spring and "
                             "the price of bread in the market square on a Tuesday."},
    ]


def _sliced(text, span):
    assert isinstance(span["begin"], int) and isinstance(span["end"], int)
    return text[span["begin"]:span["end"]]


def test_text_offsets_chars_slice(tmp_path):
    docs = _multibyte_docs()
    texts = {d["id"]: d["text"] for d in docs}
    assert any(len(t.encode()) != len(t) for t in texts.values())
    src = tmp_path / "docs.jsonl"
    src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs),
                   encoding="utf-8")
    db = str(tmp_path / "db")
    run("index", "-q", "--db", db, str(src))
    query = "Ça, déjà: £3 l’été. " + REUSED.replace("council", "cöuncil") + " €€ " + OTHER
    qf = tmp_path / "q.txt"
    qf.write_text(query, encoding="utf-8")

    # check --json: passages, their sources, repeats
    r = json.loads(run("check", "--db", db, "--json", "--text", "--offsets", "chars",
                       "--fields", "url,title", str(qf)).stdout)
    assert len(r["passages"]) >= 2
    for p in r["passages"]:
        assert _sliced(query, p) == p["text"]
        s = p["source"]
        assert _sliced(texts[s["id"]], s) == s["text"]
        assert s["fields"]["url"] == next(d["url"] for d in docs if d["id"] == s["id"])
    # the byte offsets are the same spans of the UTF-8 bytes
    rb = json.loads(run("check", "--db", db, "--json", "--text", str(qf)).stdout)
    qb = query.encode()
    for p in rb["passages"]:
        assert qb[p["begin"]:p["end"]].decode() == p["text"]
        s = p["source"]
        assert texts[s["id"]].encode()[s["begin"]:s["end"]].decode() == s["text"]
    assert [p["begin"] for p in rb["passages"]] != [p["begin"] for p in r["passages"]]

    # check --jsonl
    qj = tmp_path / "q.jsonl"
    qj.write_text(json.dumps({"id": "q", "text": query}, ensure_ascii=False) + "\n",
                  encoding="utf-8")
    line = json.loads(run("check", "--db", db, "--jsonl", str(qj), "--text", "--offsets",
                          "chars").stdout)
    assert line["id"] == "q" and len(line["passages"]) == len(r["passages"])
    for p in line["passages"]:
        assert _sliced(query, p) == p["text"]
        assert _sliced(texts[p["source"]["id"]], p["source"]) == p["source"]["text"]

    # align --json
    fa, fb = tmp_path / "a.txt", tmp_path / "b.txt"
    fa.write_text(query, encoding="utf-8")
    fb.write_text(texts["d2"], encoding="utf-8")
    a = json.loads(run("align", "--json", "--text", "--offsets", "chars", str(fa),
                       str(fb)).stdout)
    assert a["passages"]
    for p in a["passages"]:
        assert _sliced(query, p) == p["text"]
        assert _sliced(texts["d2"], p["source"]) == p["source"]["text"]

    # discover: pairs, families, SQLite
    pairs, fams, sq = tmp_path / "pairs.jsonl", tmp_path / "fam.jsonl", tmp_path / "d.db"
    run("discover", "-q", "--db", db, "--workdir", str(tmp_path / "wd"), "--text",
        "--offsets", "chars", "--fields", "all", "-o", str(pairs), "--families", str(fams),
        "--sqlite", str(sq))
    links = [json.loads(x) for x in pairs.read_text(encoding="utf-8").splitlines()]
    assert len(links) >= 2
    for ln in links:
        for side in ("a", "b"):
            s = ln[side]
            assert _sliced(texts[s["id"]], s) == s["text"]
            assert s["fields"] == {k: v for k, v in next(d for d in docs if d["id"] == s["id"]).items()
                                   if k not in ("id", "title", "date", "series", "text")}
    for fam in (json.loads(x) for x in fams.read_text(encoding="utf-8").splitlines()):
        for m in fam["members"]:
            assert _sliced(texts[m["id"]], m) == m["text"]
        o = fam["origin"]
        assert texts[o["id"]][o["begin"]:o["end"]] in [m["text"] for m in fam["members"]]
    import sqlite3
    con = sqlite3.connect(str(sq))
    rows = con.execute("SELECT da.id, p.a_begin, p.a_end, p.a_text, db.id, p.b_begin, "
                       "p.b_end, p.b_text FROM passages p JOIN documents da ON "
                       "da.docno = p.a_docno JOIN documents db ON db.docno = p.b_docno"
                       ).fetchall()
    assert len(rows) == len(links)
    for ida, ab, ae, at, idb, bb, be, bt in rows:
        assert texts[ida][ab:ae] == at and texts[idb][bb:be] == bt
    con.close()


def test_package_offsets_chars(tmp_path):
    """Index.check and align with offsets="chars" and passage_text=True: the
    offsets slice the Python str, as the command's --offsets chars."""
    docs = _multibyte_docs()
    texts = {d["id"]: d["text"] for d in docs}
    db = str(tmp_path / "db")
    with tessera.Index(db) as ix:
        ix.add(docs)
    query = "Ça, déjà: £3 l’été. " + REUSED.replace("council", "cöuncil") + " €€ " + OTHER
    with tessera.Index(db, readonly=True) as ix:
        r = ix.check(query, offsets="chars", passage_text=True, fields="url")
        rb = ix.check(query)
        with pytest.raises(tessera.InvalidError):
            ix.check(query, offsets="char")
        with pytest.raises(tessera.InvalidError):
            ix.check(query, fields="url,,title")
    assert len(r.passages) >= 2 and len(r.passages) == len(rb.passages)
    for p, pb in zip(r.passages, rb.passages):
        assert query[p["begin"]:p["end"]] == p["text"]
        assert query.encode()[pb["begin"]:pb["end"]].decode() == p["text"]
        s = p["source"]
        assert texts[s["id"]][s["begin"]:s["end"]] == s["text"]
        assert s["fields"] == {"url": next(d["url"] for d in docs if d["id"] == s["id"])}
    assert "text" not in rb.passages[0]
    a = tessera.align(query, texts["d2"], offsets="chars", passage_text=True)
    assert a.passages
    for p in a.passages:
        assert query[p["begin"]:p["end"]] == p["text"]
        assert texts["d2"][p["source"]["begin"]:p["source"]["end"]] == p["source"]["text"]
