"""tessera: which parts of a text were copied, from where, and how much of a
corpus is the same text again.  Python bindings of libtessera (doc/python.md).

    import tessera
    with tessera.Index("news.tsr") as ix:
        ix.add({"id": a["id"], "text": a["text"], "date": a["date"]} for a in articles)
        r = ix.check(open("article.txt").read())
        for p in r.passages:
            print(p["begin"], p["end"], p["source"]["id"], p["similarity"], p["evalue"])

Checks and alignments return a Result whose passages are the dicts of
`tessera check --json` (doc/json.md), key for key and value for value.
Every failure raises tessera.Error (a subclass per library status) with the
library's message.  The C work runs without the GIL: threads checking on one
index at once use the cores.
"""
from __future__ import annotations

import json
import math
import threading
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

from . import _tessera

__all__ = ["Index", "Result", "align", "dedup", "version", "Error", "NoMemoryError",
           "IOError_", "UTF8Error", "NulError", "FormatError", "ChecksumError",
           "VersionError", "CorruptError", "InvalidError", "JSONError", "NotFoundError",
           "DuplicateError", "DatabaseError", "TooBigError", "LockedError", "EmptyError",
           "ReadOnlyError", "NoSpaceError", "TimeLimitError"]

Text = Union[str, bytes, bytearray, memoryview]


class Error(Exception):
    """A failure of the tessera library: `status` is its status code (the
    TSR_ERR_* of tessera.h), str() its message."""

    def __init__(self, message: str, status: int = 0, offset: Optional[int] = None):
        super().__init__(message)
        self.status = status
        #: for invalid UTF-8 or NUL bytes in bytes input: the byte offset
        self.offset = offset


class NoMemoryError(Error):
    """Out of memory (TSR_ERR_NOMEM)."""


class IOError_(Error):
    """A read, write, fsync or rename failed (TSR_ERR_IO)."""


class UTF8Error(Error, ValueError):
    """Text that is not valid UTF-8; `offset` is the first bad byte."""


class NulError(Error, ValueError):
    """Text with a NUL byte (allow_nul=1 reads it as a space); `offset`."""


class FormatError(Error):
    """An index file has a bad magic or is truncated."""


class ChecksumError(Error):
    """An index file fails its checksum."""


class VersionError(Error):
    """An index file of another format version."""


class CorruptError(Error):
    """The index is inconsistent (catalog against segments, shard list)."""


class InvalidError(Error, ValueError):
    """A bad argument or parameter."""


class JSONError(Error, ValueError):
    """Malformed JSON input."""


class NotFoundError(Error, KeyError):
    """No such document, file or index."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateError(Error):
    """A document id that is already indexed."""


class DatabaseError(Error):
    """The SQLite catalog failed."""


class TooBigError(Error, ValueError):
    """Input over a size limit."""


class LockedError(Error):
    """Another writer holds the index."""


class EmptyError(Error, ValueError):
    """Input without words."""


class ReadOnlyError(Error):
    """A write on an index opened read-only."""


class NoSpaceError(IOError_):
    """The disk is full (an I/O error that freeing space cures)."""


class TimeLimitError(Error):
    """A time limit passed."""


_BY_STATUS = {1: NoMemoryError, 2: IOError_, 3: UTF8Error, 4: NulError, 5: FormatError,
              6: ChecksumError, 7: VersionError, 8: CorruptError, 9: InvalidError,
              10: JSONError, 11: NotFoundError, 12: DuplicateError, 13: DatabaseError,
              14: TooBigError, 15: LockedError, 16: EmptyError, 17: ReadOnlyError,
              18: NoSpaceError, 19: TimeLimitError}
_tessera._init(Error, _BY_STATUS)

#: parameters of checks and alignments (tsr_params in tessera.h)
PARAMS = ("min_words", "min_similarity", "max_gap", "max_candidates", "min_shared",
          "boilerplate_df", "max_evalue", "allow_nul", "seed", "ngram", "window", "paraphrase")


#: tsr_result_json_ex's flags (tessera.h)
_JSON_TEXT, _JSON_CHARS = 2, 4


def _json_flags(offsets: str, passage_text: bool) -> int:
    if offsets not in ("bytes", "chars"):
        raise InvalidError(f"offsets is 'bytes' or 'chars', not {offsets!r}")
    return (_JSON_TEXT if passage_text else 0) | (_JSON_CHARS if offsets == "chars" else 0)


def _params(kw: Dict[str, Any]) -> Dict[str, Any]:
    bad = sorted(set(kw) - set(PARAMS))
    if bad:
        raise InvalidError(f"unknown parameter(s) {', '.join(bad)}; known: {', '.join(PARAMS)}",
                           9)
    return kw


def version() -> str:
    """The library's version."""
    return _tessera.version()


class Result:
    """The outcome of a check or an alignment: the JSON of `tessera check
    --json` (doc/json.md) as `data`, with its main parts as attributes."""

    def __init__(self, data: Dict[str, Any]):
        self.data = data

    @property
    def passages(self) -> List[Dict[str, Any]]:
        """Reused passages: begin/end in the text, source (id, begin, end,
        title, date, series), similarity, evalue, words, matches..."""
        return self.data.get("passages", [])

    @property
    def coverage(self) -> float:
        """Share of the text's bytes in passages that are not boilerplate."""
        return self.data.get("coverage", 0.0)

    @property
    def sources(self) -> List[Dict[str, Any]]:
        return self.data.get("sources", [])

    @property
    def repeats(self) -> List[Dict[str, Any]]:
        return self.data.get("repeats", [])

    def to_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False)

    def to_pandas(self):
        """The passages as a pandas DataFrame, one row per passage, the
        source's fields as source_id, source_begin... (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as e:  # not a dependency
            raise ImportError("Result.to_pandas needs pandas (not installed)") from e
        rows = []
        for p in self.passages:
            row = {k: v for k, v in p.items() if k != "source"}
            for k, v in (p.get("source") or {}).items():
                row["source_" + k] = v
            rows.append(row)
        return pd.DataFrame(rows)

    to_dataframe = to_pandas

    def __repr__(self) -> str:
        return f"<tessera.Result {len(self.passages)} passages, coverage {self.coverage:.3f}>"


class Index:
    """A tessera index directory (a plain or a sharded one), opened or
    created.  `readonly=True` opens an existing index only for reading;
    `cache` keeps up to that many bytes of source documents ready between
    checks (tsr_index_set_cache).  `scratch=True` makes a new index that is
    thrown away after use (TSR_OPEN_SCRATCH: nothing synced, texts stored
    uncompressed; a crash can leave it unreadable): faster to build for a
    one-off discover(); it raises for a path that holds an index already.
    A context manager; close() ends it.

    Checks may run from several threads at once (each releases the GIL);
    add() and checks on one writable index take turns."""

    def __init__(self, path: str, readonly: bool = False, cache: int = 0,
                 scratch: bool = False):
        self.path = str(path)
        self.readonly = readonly
        self._ix = _tessera.Index(self.path, readonly=readonly, cache=cache, scratch=scratch)
        # adds and checks on a writable handle must not overlap
        self._lock = threading.RLock() if not readonly else None

    # -- life ---------------------------------------------------------------
    def close(self) -> None:
        self._ix.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _guard(self):
        return self._lock if self._lock is not None else _NoLock

    # -- writing ------------------------------------------------------------
    def add(self, docs: Iterable[Dict[str, Any]], skip_bad: bool = False,
            batch_bytes: int = 64 << 20) -> int:
        """Add documents: dicts with "id" and "text" (str or bytes) and,
        optionally, "title", "date", "series"; other fields are kept (as
        `tessera index` keeps them).  Commits every `batch_bytes` of text and
        at the end, so what was added is durable.  A document whose id is
        indexed already is skipped (the index keeps the first).  A bad
        document (invalid UTF-8, NUL bytes) raises, unless `skip_bad`.
        Returns the number of documents added."""
        added = 0
        batch: List[tuple] = []
        size = 0
        with self._guard():
            for d in docs:
                batch.append(_doc_tuple(d))
                size += len(batch[-1][1])
                if size >= batch_bytes or len(batch) >= 4096:
                    added += self._add(batch, skip_bad)
                    batch, size = [], 0
            if batch:
                added += self._add(batch, skip_bad)
            self._ix.commit()
        return added

    def _add(self, batch: List[tuple], skip_bad: bool) -> int:
        n = 0
        for (status, message), doc in zip(self._ix.add_batch(batch), batch):
            if status == 0:
                n += 1
            elif status == 12:  # duplicate id: skipped, as tessera index does
                continue
            elif skip_bad and status in (3, 4, 14):
                continue
            else:
                self._ix.commit()  # what came before stays
                raise _BY_STATUS.get(status, Error)(f"document {doc[0]!r}: {message}", status)
        return n

    def remove(self, ids: Iterable[str]) -> int:
        """Remove the documents with these ids, as `tessera remove`: at once
        they leave checks, discovery, get and stats (of this handle, and of
        readers once they refresh); their space comes back at the next
        merge.  An id the index does not hold is ignored.  Documents added
        but not yet committed cannot be removed (InvalidError).  Returns the
        number of documents removed."""
        ids = list(ids)
        if not all(isinstance(i, str) for i in ids):
            raise InvalidError("ids are str", 9)
        with self._guard():
            return sum(self._ix.remove(ids)) if ids else 0

    # -- reading ------------------------------------------------------------
    def check(self, text: Text, timeout: Optional[float] = None, offsets: str = "bytes",
              passage_text: bool = False, fields: Optional[str] = None,
              **params: Any) -> Result:
        """Check a text against the index: every reused passage, its
        sources, coverage (`tessera check --json`).  Parameters as the
        command's options: min_words, min_similarity, max_gap,
        max_candidates, boilerplate_df, max_evalue, allow_nul.  With
        `timeout` (seconds), TimeLimitError once it has passed (the check
        stops between steps).  As the command's --offsets, --text and
        --fields: offsets="chars" gives offsets that slice a str
        (`text[p["begin"]:p["end"]]`), passage_text=True each passage's
        text on both sides, fields="url,title" (or "all") the sources'
        input fields."""
        p = _params(params)
        secs = float(timeout) if timeout is not None else 0.0
        flags = _json_flags(offsets, passage_text)
        if fields is not None and not isinstance(fields, str):
            raise InvalidError("fields is a str: names separated by commas, or 'all'")
        if self._lock is None:
            return Result(json.loads(self._ix.check(text, p, secs, flags, fields)))
        with self._lock:
            return Result(json.loads(self._ix.check(text, p, secs, flags, fields)))

    def get(self, key: Union[str, int]) -> Dict[str, Any]:
        """A document by id (str) or number (int), with its text."""
        with self._guard():
            return self._ix.get(key)

    def stats(self) -> Dict[str, Any]:
        """The counts of `tessera stats --json`, and the cache's."""
        with self._guard():
            return self._ix.stats()

    def refresh(self) -> None:
        """See documents committed by other processes since opening."""
        with self._guard():
            self._ix.refresh()

    def discover(self, threads: int = 0, max_df: int = 0, workdir: Optional[str] = None,
                 new_after: int = -1, series: int = 0,
                 **params: Any) -> Iterator[Dict[str, Any]]:
        """Every reused passage shared by two documents of the index, as the
        pair lines of `tessera discover` (doc/json.md): family, a and b (id,
        begin, end, title, date, series, docno), similarity, kind, evalue,
        words [a, b], matches.  series=1 keeps pairs inside one series, -1 across."""
        with self._guard():
            # with every linked document's fields, as the discovery read them
            links, _fams, _counts, info = self._ix.discover(_params(params), threads, max_df,
                                                            workdir, new_after, series)

        def side(docno: int, begin: int, end: int) -> Dict[str, Any]:
            if docno not in info:   # removed since: NotFound, as get says
                with self._guard():
                    d = self._ix.get(docno, False)
                info[docno] = (d["id"], d["title"], d["date"], d["series"])
            i, t, dt, sr = info[docno]
            return {"id": i, "begin": begin, "end": end, "title": t,
                    "date": dt, "series": sr, "docno": docno}

        for (a, b, ab, ae, bb, be, aw, bw, m, sim, ev, fam, kind) in links:
            # the values as the command writes them (6 and 3 significant digits)
            yield {"family": fam, "a": side(a, ab, ae), "b": side(b, bb, be),
                   "similarity": float(f"{sim:.6g}"), "kind": kind,
                   "evalue": float(f"{ev:.3g}") if math.isfinite(ev) else 0.0,
                   "words": [aw, bw], "matches": m}

    def families(self, **kw: Any) -> List[Dict[str, Any]]:
        """The reuse families of a discovery (same options as discover):
        size, links, origin (docno), origin_by, members [(docno, begin, end)]."""
        params = {k: v for k, v in kw.items() if k in PARAMS}
        opts = {k: v for k, v in kw.items() if k not in PARAMS}
        with self._guard():
            _links, fams, _, _docs = self._ix.discover(_params(params), opts.get("threads", 0),
                                                opts.get("max_df", 0), opts.get("workdir"),
                                                opts.get("new_after", -1),
                                                opts.get("series", 0))
        return [{"family": i, "size": n, "links": nl, "same_series": ss, "origin": o,
                 "origin_by": "date" if dated else "docno",
                 "members": [{"docno": d, "begin": b, "end": e} for d, b, e in mem]}
                for i, (n, nl, ss, o, dated, mem) in enumerate(fams)]


class _NoLockType:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NoLock = _NoLockType()


def _doc_tuple(d: Dict[str, Any]) -> tuple:
    if "id" not in d or "text" not in d:
        raise InvalidError("a document needs 'id' and 'text'", 9)
    known = ("id", "text", "title", "date", "series")
    extra = {k: v for k, v in d.items() if k not in known}
    meta = json.dumps(extra, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False) if extra else None

    def s(v: Any) -> Optional[str]:
        return None if v is None else str(v)

    return (str(d["id"]), d["text"], s(d.get("title")), s(d.get("date")),
            s(d.get("series")), meta)


def align(a: Text, b: Text, offsets: str = "bytes", passage_text: bool = False,
          **params: Any) -> Result:
    """The passages of text `a` reused from text `b` (both spans given), as
    `tessera align --json` reports them; offsets and passage_text as for
    Index.check."""
    return Result(json.loads(_tessera.align(a, b, _params(params),
                                            _json_flags(offsets, passage_text))))


_KEEP = {"first": 0, "longest": 1, "earliest": 2}


def dedup(docs: Iterable[Dict[str, Any]], threshold: float = 0.8, shingle: int = 5,
          perm: int = 128, keep: str = "first", threads: int = 0,
          clusters: bool = False):
    """Drop near duplicates (MinHash + LSH, Jaccard of word shingles at
    least `threshold`), as `tessera dedup --measure jaccard` (the command's
    default measure, aligned, is not offered here yet).  Yields the kept records (the
    dicts as given, in order); with clusters=True returns instead a list of
    clusters: {"keep": i, "members": [i, ...], "similarity": s} over the
    documents' positions.  keep: "first", "longest" or "earliest" (by
    "date")."""
    if keep not in _KEEP:
        raise InvalidError(f"keep must be one of {', '.join(_KEEP)}", 9)
    docs = list(docs)
    texts = [d["text"] for d in docs]
    dates = [None if d.get("date") is None else str(d.get("date")) for d in docs]
    kept_as, cl = _tessera.dedup(texts, dates, float(threshold), int(shingle), int(perm),
                                 _KEEP[keep], int(threads))
    if clusters:
        return [{"keep": k, "members": m, "similarity": s} for k, m, s in cl]
    return (d for i, d in enumerate(docs) if kept_as[i] == i)
