#!/usr/bin/env python3
"""tests/serve/api_test.py - the HTTP API of `tessera serve`, end to end.

    python3 tests/serve/api_test.py --tessera build/tessera --work DIR [--quick]

Builds an index in DIR (from documents written by build/tests/datagen), starts
`tessera serve` on 127.0.0.1 with port 0 (the server picks a free port and
prints it), and checks every endpoint, every error status, concurrent adds and
checks, documents added by another process, hostile clients (slowloris, slow
bodies, oversized headers and bodies, invalid UTF-8, deeply nested JSON,
garbage), the connection limit, and a clean stop on SIGTERM with a request in
flight.  Only loopback addresses are used.  Every server is stopped at the
end, every socket has a timeout, and the whole run is bounded.

Python standard library only.  Prints "ok - NAME" or "FAIL - NAME: why" per
case and ends with "N passed, N failed"; exit status 1 when anything failed.
"""
import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

PASSED = 0
FAILED = 0
KEY = "test-key-0123456789"


def report(name, ok, why=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print("ok - %s" % name, flush=True)
    else:
        FAILED += 1
        print("FAIL - %s: %s" % (name, why), flush=True)


def case(name):
    """Decorator: run the function as one case; an exception fails it."""
    def wrap(fn):
        def run(*a, **k):
            try:
                r = fn(*a, **k)
                if r is None or r is True:
                    report(name, True)
                else:
                    report(name, False, str(r))
            except AssertionError as e:
                report(name, False, str(e) or "assertion failed")
            except Exception as e:  # noqa: BLE001 - any error fails the case
                report(name, False, "%s: %s" % (type(e).__name__, e))
        run.__name__ = fn.__name__
        return run
    return wrap


# ---------------------------------------------------------------------------
# The server under test
# ---------------------------------------------------------------------------

class Server:
    def __init__(self, tessera, db, work, name, *extra):
        self.log_path = os.path.join(work, "serve-%s.log" % name)
        self.log = open(self.log_path, "w+b")
        args = [tessera, "serve", "--db", db, "--listen", "127.0.0.1:0"] + list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = None
        t0 = time.time()
        while time.time() - t0 < 20:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            for line in text.splitlines():
                if " on http://127.0.0.1:" in line:
                    self.port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
            if self.port or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            self.stop()
            raise RuntimeError("server did not start: " + self.text())

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, wait=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def request(port, method, path, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode("utf-8")
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def jbody(data):
    return json.loads(data.decode("utf-8"))


def is_error(status, data, want):
    """The body is {"error": "...", "status": want} and the status matches."""
    assert status == want, "status %d, wanted %d (%r)" % (status, want, data[:200])
    v = jbody(data)
    assert isinstance(v.get("error"), str) and v["error"], "no error message: %r" % v
    assert v.get("status") == want, "status field %r" % v.get("status")
    return v


def raw(port, payload, timeout=10, read=True):
    """Send raw bytes; return what the server answered (b'' when it closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(payload)
        if not read:
            return b""
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def load_docs(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def query_from(docs, picks, rnd):
    """A text made of passages of the picked documents and fresh words."""
    parts = []
    for i in picks:
        t = docs[i]["text"]
        words = t.split()
        a = rnd.randrange(0, max(1, len(words) - 60))
        parts.append(" ".join(words[a:a + 60]))
        parts.append("Nothing of this sentence comes from any indexed document at all, "
                     "zebra %d quartz %d." % (rnd.randrange(10 ** 6), rnd.randrange(10 ** 6)))
    return " ".join(parts)


def source_ids(result):
    return sorted(s["id"] for s in result["sources"])


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

def run_cases(a):
    rnd = random.Random(5)
    work = a.work
    db = os.path.join(work, "ix")
    docs = load_docs(a.docs)
    key_file = os.path.join(work, "key")
    with open(key_file, "w") as f:
        f.write(KEY + "\n")
    os.chmod(key_file, 0o600)

    subprocess.run([a.tessera, "index", "--db", db, a.docs], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    # ---- command line ----------------------------------------------------
    @case("serve --help: usage on stdout, exit 0")
    def _():
        r = subprocess.run([a.tessera, "serve", "--help"], capture_output=True, timeout=10)
        assert r.returncode == 0 and b"Usage: tessera serve" in r.stdout, r
    _()

    @case("serve: bad option value -> exit 2; missing index -> exit 4")
    def _():
        r = subprocess.run([a.tessera, "serve", "--db", db, "--threads", "0"],
                           capture_output=True, timeout=10)
        assert r.returncode == 2, r
        r = subprocess.run([a.tessera, "serve", "--db", os.path.join(work, "none"),
                            "--listen", "127.0.0.1:0"], capture_output=True, timeout=10)
        assert r.returncode == 4, r
        r = subprocess.run([a.tessera, "serve", "--db", db, "--listen", "127.0.0.1:99999"],
                           capture_output=True, timeout=10)
        assert r.returncode == 2, r
    _()

    @case("a failing index -> 500 without the server's paths; the log has them")
    def _():
        bad = os.path.join(work, "lockdir-ix")
        subprocess.run([a.tessera, "index", "-q", "--db", bad, a.docs], check=True, timeout=120)
        os.remove(os.path.join(bad, "LOCK"))
        os.mkdir(os.path.join(bad, "LOCK"))        # the writer cannot open its lock file
        s3 = Server(a.tessera, bad, work, "lockdir", "--api-key-file", key_file)
        try:
            st, h, d = request(s3.port, "POST", "/api/documents",
                               json.dumps({"id": "new-x", "text": "a few words to add here"}),
                               {"Content-Type": "application/json",
                                "Authorization": "Bearer " + KEY})
            v = is_error(st, d, 500)
            assert work not in v["error"] and "LOCK" not in v["error"], v
        finally:
            s3.stop()
        assert bad in s3.text(), s3.text()[-500:]
    _()

    @case("serve --allow-host NAME: that name answered, others 421; bad names refused")
    def _():
        r = subprocess.run([a.tessera, "serve", "--db", db, "--allow-host", "http://x:80"],
                           capture_output=True, timeout=10)
        assert r.returncode == 2, r
        s2 = Server(a.tessera, db, work, "hosts", "--allow-host", "search.example.org",
                    "--quiet")
        try:
            st, h, d = request(s2.port, "GET", "/healthz",
                               headers={"Host": "search.example.org:%d" % s2.port})
            assert st == 200, (st, d)
            st, h, d = request(s2.port, "GET", "/healthz", headers={"Host": "other.example.org"})
            is_error(st, d, 421)
        finally:
            s2.stop()
    _()

    srv = Server(a.tessera, db, work, "main", "--api-key-file", key_file, "--threads", "2",
                 "--timeout", "2", "--max-body", "1M", "--refresh", "0.3")
    p = srv.port
    try:
        api_cases(a, srv, p, db, docs, rnd, work)
        if not a.quick:
            hostile_cases(srv, p)
            concurrent_cases(a, srv, p, docs, rnd, work)
        @case("server still alive after everything, access log one line per request")
        def _():
            assert srv.alive(), "server died:\n" + srv.text()[-2000:]
            st, _, _ = request(p, "GET", "/healthz")
            assert st == 200
            lines = [l for l in srv.text().splitlines() if '"GET /healthz"' in l]
            assert lines and lines[-1].split()[4] == "200", lines[-1:]
        _()
    finally:
        rc = srv.stop()
    @case("SIGTERM: exit 0, 'stopped' logged")
    def _():
        assert rc == 0, "exit %s\n%s" % (rc, srv.text()[-1500:])
        assert "stopped" in srv.text()
    _()
    if not a.quick:
        limit_cases(a, db, work, docs, rnd)
        shutdown_cases(a, db, work, docs, rnd)


def api_cases(a, srv, p, db, docs, rnd, work):
    q = query_from(docs, [3, 17, 40], rnd)
    qfile = os.path.join(work, "q.txt")
    with open(qfile, "w", encoding="utf-8") as f:
        f.write(q)
    cli = json.loads(subprocess.run([a.tessera, "check", "--db", db, "--json", qfile],
                                    capture_output=True, check=True, timeout=60).stdout)

    @case("GET /healthz")
    def _():
        st, h, d = request(p, "GET", "/healthz")
        assert st == 200 and jbody(d) == {"status": "ok"}, (st, d)
        assert h["content-type"].startswith("application/json")
    _()

    @case("HEAD /healthz: headers, no body")
    def _():
        st, h, d = request(p, "HEAD", "/healthz")
        assert st == 200 and d == b"", (st, d)
    _()

    @case("Host naming another site -> 421, before a body is read (DNS rebinding)")
    def _():
        for path in ("/api/stats", "/", "/api/documents/" + urllib.parse.quote(docs[0]["id"])):
            st, h, d = request(p, "GET", path, headers={"Host": "evil.example"})
            is_error(st, d, 421)
        big = b'{"documents":[' + b'{"id":"x","text":"y"},' * 20000 + b'{"id":"z","text":"w"}]}'
        st, h, d = request(p, "POST", "/api/documents", big,
                           {"Host": "evil.example:80", "Content-Type": "application/json",
                            "Authorization": "Bearer " + KEY})
        is_error(st, d, 421)
        for host in ("localhost", "localhost:%d" % p, "127.0.0.1", "[::1]:%d" % p,
                     "app.localhost", "LOCALHOST."):
            st, h, d = request(p, "GET", "/healthz", headers={"Host": host})
            assert st == 200, (host, st, d)
    _()

    @case("%00 in a path -> 400 (was: the path cut at the NUL)")
    def _():
        st, h, d = request(p, "GET", "/api/documents/" + urllib.parse.quote(docs[0]["id"]) +
                           "%00junk")
        is_error(st, d, 400)
        st, h, d = request(p, "GET", "/api/stats%00")
        is_error(st, d, 400)
    _()

    @case("GET /api/stats: same counts as tessera stats --json")
    def _():
        st, h, d = request(p, "GET", "/api/stats")
        assert st == 200, st
        v = jbody(d)
        want = json.loads(subprocess.run([a.tessera, "stats", "--db", db, "--json"],
                                         capture_output=True, check=True).stdout)
        for k in ("documents", "segments", "postings", "text_bytes", "ngram", "window"):
            assert v[k] == want[k], (k, v[k], want[k])
        assert v["documents"] == len(docs)
    _()

    @case("POST /api/check text/plain: the JSON of tessera check --json")
    def _():
        st, h, d = request(p, "POST", "/api/check", q, {"Content-Type": "text/plain"})
        assert st == 200, (st, d[:300])
        v = jbody(d)
        assert v == cli, "differs from the CLI"
        assert source_ids(v) == sorted({docs[i]["id"] for i in (3, 17, 40)}), source_ids(v)
    _()

    @case("POST /api/check again: from the document cache, the same answer; stats count it")
    def _():
        before = jbody(request(p, "GET", "/api/stats")[2])["cache"]
        for _ in range(3):
            st, h, d = request(p, "POST", "/api/check", q, {"Content-Type": "text/plain"})
            assert st == 200 and jbody(d) == cli, (st, d[:300])
        after = jbody(request(p, "GET", "/api/stats")[2])["cache"]
        assert after["hits"] >= before["hits"] + 3, (before, after)
        assert 0 < after["documents"] and 0 < after["bytes"] <= 512 << 20, after
    _()

    @case("POST /api/check text/plain; charset=utf-8, and no Content-Type")
    def _():
        st, _, d = request(p, "POST", "/api/check", q,
                           {"Content-Type": "text/plain; charset=UTF-8"})
        assert st == 200 and jbody(d) == cli, st
        c = http.client.HTTPConnection("127.0.0.1", p, timeout=30)
        c.putrequest("POST", "/api/check")
        body = q.encode()
        c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        assert r.status == 200 and json.loads(r.read()) == cli, r.status
        c.close()
    _()

    @case("POST /api/check application/json {\"text\": ...}")
    def _():
        st, _, d = request(p, "POST", "/api/check", json.dumps({"text": q}),
                           {"Content-Type": "application/json"})
        assert st == 200 and jbody(d) == cli, (st, d[:200])
    _()

    @case("POST /api/check?pretty=1: indented, same value")
    def _():
        st, _, d = request(p, "POST", "/api/check?pretty=1", q, {"Content-Type": "text/plain"})
        assert st == 200 and b"\n  " in d and jbody(d) == cli, st
    _()

    @case("POST /api/check: Unicode text, offsets in bytes")
    def _():
        t = "Ünïcödé préface — " + docs[8]["text"] + " ✓ fin"
        st, _, d = request(p, "POST", "/api/check", t, {"Content-Type": "text/plain"})
        v = jbody(d)
        assert st == 200 and v["bytes"] == len(t.encode()), (st, v.get("bytes"))
        ps = v["passages"]
        assert ps and ps[0]["begin"] >= len("Ünïcödé préface — ".encode()) - 1, ps[:1]
    _()

    @case("POST /api/check?text=1&offsets=chars&fields=...: str slices, as the command")
    def _():
        t = "Ünïcödé £ préface — " + docs[8]["text"] + " ✓ fin"
        st, _, d = request(p, "POST", "/api/check?text=1&offsets=chars&fields=title,nope",
                           t, {"Content-Type": "text/plain"})
        v = jbody(d)
        assert st == 200 and v["passages"], (st, d[:200])
        for ps in v["passages"]:
            assert t[ps["begin"]:ps["end"]] == ps["text"], ps
            s = ps["source"]
            assert s["id"] == docs[8]["id"] and docs[8]["text"][s["begin"]:s["end"]] == s["text"]
            assert s["fields"] == {"title": docs[8].get("title"), "nope": None}, s["fields"]
        assert v["passages"][0]["begin"] < len(t[:v["passages"][0]["begin"]].encode())
        tf = os.path.join(work, "q-chars.txt")
        with open(tf, "w", encoding="utf-8") as f:
            f.write(t)
        c = json.loads(subprocess.run([a.tessera, "check", "--db", db, "--json", "--text",
                                       "--offsets", "chars", "--fields", "title,nope", tf],
                                      capture_output=True, check=True, timeout=60).stdout)
        assert v == c
        st, _, d = request(p, "POST", "/api/check?offsets=char", t, {"Content-Type": "text/plain"})
        assert is_error(st, d, 400), (st, d)
        st, _, d = request(p, "POST", "/api/check?fields=a,,b", t, {"Content-Type": "text/plain"})
        assert is_error(st, d, 400), (st, d)
    _()

    @case("POST /api/check: empty text is a result with no passages")
    def _():
        st, _, d = request(p, "POST", "/api/check", "", {"Content-Type": "text/plain"})
        assert st == 200 and jbody(d)["passages"] == [], (st, d)
    _()

    @case("GET /api/documents/{id}: fields and text")
    def _():
        doc = docs[12]
        st, h, d = request(p, "GET", "/api/documents/" + urllib.parse.quote(doc["id"], safe=""))
        assert st == 200, (st, d[:200])
        v = jbody(d)
        assert list(v) == ["id", "docno", "title", "date", "series", "meta", "text"], list(v)
        assert v["id"] == doc["id"] and v["text"] == doc["text"] and v["docno"] == 12
        assert v["title"] == doc.get("title")
    _()

    @case("GET / and the page's files: types, CSP")
    def _():
        st, h, d = request(p, "GET", "/")
        assert st == 200 and h["content-type"].startswith("text/html"), (st, h)
        assert b"Text reuse check" in d and "content-security-policy" in h
        for path, ctype in (("/app.js", "text/javascript"), ("/common.js", "text/javascript"),
                            ("/style.css", "text/css"), ("/doc.html", "text/html"),
                            ("/index.html", "text/html")):
            st, h, d = request(p, "GET", path)
            assert st == 200 and h["content-type"].startswith(ctype) and d, (path, st, h)
    _()

    # ---- adding documents --------------------------------------------------
    new_doc = {"id": "added/é 1?x#y", "title": "Added", "date": "2024-01-02",
               "series": "api", "lang": "xx", "text": query_from(docs, [], rnd) +
               " ".join("uniqueword%d" % i for i in range(80))}
    body = json.dumps(new_doc)

    @case("POST /api/documents without a key -> 401 + WWW-Authenticate")
    def _():
        st, h, d = request(p, "POST", "/api/documents", body, {"Content-Type": "application/json"})
        is_error(st, d, 401)
        assert "www-authenticate" in h
    _()

    @case("an add without a key, or of a wrong type, is refused from its headers: no body read")
    def _():
        for hdrs, want in ((b"", b" 401 "), (b"Authorization: Bearer wrong\r\n", b" 403 "),
                           (b"Authorization: Bearer " + KEY.encode() + b"\r\n", b" 415 ")):
            ctype = b"text/plain" if want == b" 415 " else b"application/json"
            s = socket.create_connection(("127.0.0.1", p), timeout=1.5)
            try:
                # announce 900 KB (under this server's --max-body of 1M), send 1 KB
                s.sendall(b"POST /api/documents HTTP/1.1\r\nHost: localhost\r\n" + hdrs +
                          b"Content-Type: " + ctype + b"\r\nContent-Length: 900000\r\n\r\n" +
                          b"{" * 1024)
                t0 = time.time()
                got = s.recv(4096)      # the answer comes before the rest of the body
                assert got.startswith(b"HTTP/1.1") and want in got.split(b"\r\n")[0], got[:80]
                assert time.time() - t0 < 1.0, "answered only after %.2f s" % (time.time() - t0)
            finally:
                s.close()
    _()

    @case("a check body of 200,000 JSON values -> 413 before it is parsed (was: 200, ~20x memory)")
    def _():
        body = '{"text":"some words","a":[' + ",".join("0" * 200000) + "]}"
        st, h, d = request(p, "POST", "/api/check", body, {"Content-Type": "application/json"})
        is_error(st, d, 413)
        st, h, d = request(p, "POST", "/api/check", '{"text":"a, b, c, \\"d\\", e"}',
                           {"Content-Type": "application/json"})
        assert st == 200, (st, d)
    _()

    @case("POST /api/documents with a wrong key -> 403 (both headers)")
    def _():
        st, _, d = request(p, "POST", "/api/documents", body,
                           {"Content-Type": "application/json", "X-API-Key": "nope"})
        is_error(st, d, 403)
        st, _, d = request(p, "POST", "/api/documents", body,
                           {"Content-Type": "application/json",
                            "Authorization": "Bearer " + KEY + "x"})
        is_error(st, d, 403)
    _()

    @case("POST /api/documents (object, Bearer key) -> 201; visible at once")
    def _():
        st, _, d = request(p, "POST", "/api/documents", body,
                           {"Content-Type": "application/json", "Authorization": "Bearer " + KEY})
        assert st == 201, (st, d)
        v = jbody(d)
        assert v["added"] == 1 and v["duplicates"] == [] and v["documents"] == len(docs) + 1, v
        st, _, d = request(p, "GET", "/api/documents/" + urllib.parse.quote(new_doc["id"], safe=""))
        assert st == 200, (st, d)
        g = jbody(d)
        assert g["text"] == new_doc["text"] and g["meta"] == {"lang": "xx"} and \
            g["series"] == "api", g
        st, _, d = request(p, "POST", "/api/check", new_doc["text"], {"Content-Type": "text/plain"})
        assert new_doc["id"] in source_ids(jbody(d)), jbody(d)["sources"]
    _()

    @case("an extra field holding \\u0000 comes back as stored (was: null)")
    def _():
        doc = {"id": "nul-meta", "text": "words of a document with an odd field " * 3,
               "note": "before\u0000after"}
        st, _, d = request(p, "POST", "/api/documents", json.dumps(doc),
                           {"Content-Type": "application/json", "Authorization": "Bearer " + KEY})
        assert st == 201, (st, d)
        st, _, d = request(p, "GET", "/api/documents/nul-meta")
        assert st == 200 and jbody(d)["meta"] == {"note": "before\u0000after"}, d[:300]
    _()

    @case("DELETE /api/documents/{id}: key needed; removed at once; 404 after; GET 404")
    def _():
        doc = {"id": "to-remove", "text": "a lighthouse keeper wrote of the storm and the "
               "relief boat that could not land until the swell dropped " * 2}
        st, _, d = request(p, "POST", "/api/documents", json.dumps(doc),
                           {"Content-Type": "application/json", "X-API-Key": KEY})
        assert st == 201, (st, d)
        before = jbody(d)["documents"]
        st, _, d = request(p, "DELETE", "/api/documents/to-remove")
        is_error(st, d, 401)
        st, _, d = request(p, "DELETE", "/api/documents/to-remove", None, {"X-API-Key": "nope"})
        is_error(st, d, 403)
        st, _, d = request(p, "DELETE", "/api/documents/to-remove", None, {"X-API-Key": KEY})
        assert st == 200, (st, d)
        v = jbody(d)
        assert v["removed"] == "to-remove" and v["documents"] == before - 1, v
        st, _, d = request(p, "GET", "/api/documents/to-remove")
        is_error(st, d, 404)
        st, _, d = request(p, "POST", "/api/check", doc["text"], {"Content-Type": "text/plain"})
        assert "to-remove" not in source_ids(jbody(d)), jbody(d)["sources"]
        st, _, d = request(p, "DELETE", "/api/documents/to-remove", None, {"X-API-Key": KEY})
        is_error(st, d, 404)
        st, h, d = request(p, "PUT", "/api/documents/x", "", {"X-API-Key": KEY})
        assert st == 405 and "DELETE" in h.get("allow", ""), (st, h)
    _()

    @case("POST /api/documents: array with a duplicate id -> added 1, duplicate listed")
    def _():
        arr = [{"id": "arr-1", "text": "alpha beta gamma delta " * 5},
               {"id": docs[0]["id"], "text": "dup"}]
        st, _, d = request(p, "POST", "/api/documents", json.dumps(arr),
                           {"Content-Type": "application/json", "X-API-Key": KEY})
        v = jbody(d)
        assert st == 201 and v["added"] == 1 and v["duplicates"] == [docs[0]["id"]], (st, v)
        st, _, d = request(p, "POST", "/api/documents", json.dumps(arr[1]),
                           {"Content-Type": "application/json", "X-API-Key": KEY})
        assert st == 200 and jbody(d)["added"] == 0, (st, d)
    _()

    @case("POST /api/documents: JSON Lines (blank lines, integer id)")
    def _():
        lines = '{"id": "jl-1", "text": "one two three four"}\n\n{"id": 77, "text": "five six"}\n'
        st, _, d = request(p, "POST", "/api/documents", lines,
                           {"Content-Type": "application/x-ndjson", "X-API-Key": KEY})
        assert st == 201 and jbody(d)["added"] == 2, (st, d)
        st, _, d = request(p, "GET", "/api/documents/77")
        assert st == 200 and jbody(d)["text"] == "five six", (st, d)
    _()

    @case("POST /api/documents: bad documents -> 400, nothing added")
    def _():
        before = jbody(request(p, "GET", "/api/stats")[2])["documents"]
        for b, ct in (('[{"id": "ok-1", "text": "fine"}, {"id": "no-text"}]', "application/json"),
                      ('[{"id": "", "text": "x"}]', "application/json"),
                      ('[{"id": [1], "text": "x"}]', "application/json"),
                      ('[{"id": "t", "text": "x", "title": {"a": 1}}]', "application/json"),
                      ('[1, 2]', "application/json"),
                      ('[]', "application/json"),
                      ('{"id": "a", "text": "x"}\n{"id": ', "application/x-ndjson"),
                      ('{"id": "a", "text": ', "application/json")):
            st, _, d = request(p, "POST", "/api/documents", b,
                               {"Content-Type": ct, "X-API-Key": KEY})
            is_error(st, d, 400)
        after = jbody(request(p, "GET", "/api/stats")[2])["documents"]
        assert after == before, (before, after)
    _()

    @case("POST /api/documents: a NUL byte in the body or invalid UTF-8 -> 422, nothing added")
    def _():
        before = jbody(request(p, "GET", "/api/stats")[2])["documents"]
        b = b'[{"id": "good-1", "text": "fine words here"}, {"id": "nul-1", "text": "a\x00b"}]'
        st, _, d = request(p, "POST", "/api/documents", b,
                           {"Content-Type": "application/json", "X-API-Key": KEY})
        is_error(st, d, 422)
        st, _, d = request(p, "POST", "/api/documents", b'[{"id": "u", "text": "\xff"}]',
                           {"Content-Type": "application/json", "X-API-Key": KEY})
        is_error(st, d, 422)
        after = jbody(request(p, "GET", "/api/stats")[2])["documents"]
        assert after == before and request(p, "GET", "/api/documents/good-1")[0] == 404
    _()

    @case("POST /api/documents: unsupported Content-Type -> 415")
    def _():
        st, _, d = request(p, "POST", "/api/documents", body,
                           {"Content-Type": "text/plain", "X-API-Key": KEY})
        is_error(st, d, 415)
    _()

    # ---- errors -------------------------------------------------------------
    @case("unknown path -> 404; unknown document -> 404")
    def _():
        is_error(*request(p, "GET", "/nope")[::2], 404)
        is_error(*request(p, "GET", "/api/documents/no-such-id")[::2], 404)
        is_error(*request(p, "GET", "/api/documents/")[::2], 404)
    _()

    @case("wrong method -> 405 with Allow, on every route")
    def _():
        for m, path, allow in (("GET", "/api/check", "POST"), ("PUT", "/api/check", "POST"),
                               ("GET", "/api/documents", "POST"),
                               ("PUT", "/api/documents/x", "GET, HEAD, DELETE"),
                               ("POST", "/api/stats", "GET, HEAD"),
                               ("POST", "/healthz", "GET, HEAD"), ("POST", "/", "GET, HEAD")):
            st, h, d = request(p, m, path, b"" if m != "GET" else None)
            is_error(st, d, 405)
            assert h.get("allow") == allow, (m, path, h.get("allow"))
    _()

    @case("bad JSON -> 400 (syntax, not an object, no text)")
    def _():
        for b in ('{"text": "abc"', '[1,2]', '{"txt": "a"}', '{"text": 5}', 'nul', ''):
            st, _, d = request(p, "POST", "/api/check", b, {"Content-Type": "application/json"})
            is_error(st, d, 400)
    _()

    @case("deeply nested JSON (100,000 levels) -> 400, server fine")
    def _():
        for b in ("[" * 100000, '{"a":' * 100000, '{"text": ' + "[" * 50000):
            st, _, d = request(p, "POST", "/api/check", b, {"Content-Type": "application/json"})
            is_error(st, d, 400)
            st, _, d = request(p, "POST", "/api/documents", b,
                               {"Content-Type": "application/json", "X-API-Key": KEY})
            is_error(st, d, 400)
        assert request(p, "GET", "/healthz")[0] == 200
    _()

    @case("invalid UTF-8 and NUL bytes -> 422 (text and JSON)")
    def _():
        for b, ct in ((b"abc \xff\xfe def", "text/plain"), (b"abc \xc3", "text/plain"),
                      (b"\xed\xa0\x80 surrogate", "text/plain"), (b"abc\x00def", "text/plain"),
                      (b'{"text": "\xff"}', "application/json"),
                      (b'{"text": "a\x00b"}', "application/json")):
            st, _, d = request(p, "POST", "/api/check", b, {"Content-Type": ct})
            is_error(st, d, 422)
    _()

    @case("\\u0000 in a JSON text is a character (a space), not binary: check 200, add 201 "
          "(was: 422)")
    def _():
        st, _, d = request(p, "POST", "/api/check", b'{"text": "a\\u0000b words"}',
                           {"Content-Type": "application/json"})
        assert st == 200 and jbody(d)["bytes"] == 9, d[:300]
        b = '[{"id": "nul-esc-1", "text": "before\\u0000after and more words"}]'
        st, _, d = request(p, "POST", "/api/documents", b,
                           {"Content-Type": "application/json", "X-API-Key": KEY})
        assert st == 201 and jbody(d)["added"] == 1, (st, d[:300])
        st, _, d = request(p, "GET", "/api/documents/nul-esc-1")
        assert st == 200 and jbody(d)["text"] == "before after and more words", d[:300]
    _()

    @case("unsupported Content-Type or charset -> 415")
    def _():
        for ct in ("application/xml", "multipart/form-data; boundary=x",
                   "text/plain; charset=latin-1", "application/x-www-form-urlencoded"):
            st, _, d = request(p, "POST", "/api/check", "abc", {"Content-Type": ct})
            is_error(st, d, 415)
    _()

    @case("body over --max-body -> 413 (Content-Length and chunked)")
    def _():
        # refused on its headers, before any of the body is read
        out = raw(p, b"POST /api/check HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: 1310720\r\n\r\n")
        head, _, payload = out.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), head[:60]
        is_error(413, payload, 413)
        # a client that sends it all anyway gets the 413 or a closed connection
        try:
            st, h, d = request(p, "POST", "/api/check", b"word " * (1 << 18),
                               {"Content-Type": "text/plain"})
            is_error(st, d, 413)
        except (BrokenPipeError, ConnectionResetError):
            pass
        c = http.client.HTTPConnection("127.0.0.1", p, timeout=30)
        c.putrequest("POST", "/api/check")
        c.putheader("Content-Type", "text/plain")
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        for _i in range(24):
            chunk = b"x" * 65536
            c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        c.send(b"0\r\n\r\n")
        r = c.getresponse()
        is_error(r.status, r.read(), 413)
        c.close()
        # just under the limit is fine
        st, _, d = request(p, "POST", "/api/check", b"word " * 200000,
                           {"Content-Type": "text/plain"})
        assert st == 200, (st, d[:200])
    _()


def hostile_cases(srv, p):
    @case("slowloris: headers byte by byte are cut at --timeout, others still served")
    def _():
        socks = []
        for _i in range(20):
            s = socket.create_connection(("127.0.0.1", p), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            socks.append(s)
        t0 = time.time()
        closed = {}
        lat = []
        while time.time() - t0 < 6 and len(closed) < len(socks):
            for i, s in enumerate(socks):
                if i in closed:
                    continue
                try:
                    s.sendall(b"X")
                except OSError:
                    closed[i] = time.time() - t0
            t1 = time.time()
            st, _, _ = request(p, "GET", "/healthz", timeout=5)
            lat.append(time.time() - t1)
            assert st == 200
            time.sleep(0.25)
        for s in socks:
            s.close()
        assert len(closed) == len(socks), "%d of %d slow clients still open" % (
            len(socks) - len(closed), len(socks))
        assert max(closed.values()) < 4.5, "closed after %.1f s" % max(closed.values())
        assert max(lat) < 1.0, "a request took %.2f s during the attack" % max(lat)
    _()

    @case("slow body: a POST whose body trickles is cut at --timeout")
    def _():
        s = socket.create_connection(("127.0.0.1", p), timeout=10)
        s.sendall(b"POST /api/check HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 100000\r\n\r\n")
        t0 = time.time()
        cut = None
        while time.time() - t0 < 6:
            try:
                s.sendall(b"a ")
                time.sleep(0.2)
            except OSError:
                cut = time.time() - t0
                break
        s.close()
        assert cut is not None and cut < 4.5, "not cut (%r)" % cut
    _()

    @case("idle connection closed after --timeout")
    def _():
        s = socket.create_connection(("127.0.0.1", p), timeout=10)
        t0 = time.time()
        got = s.recv(10)
        assert got == b"" and time.time() - t0 < 4.5, (got, time.time() - t0)
        s.close()
    _()

    @case("oversized headers and request line -> 431/414 or closed")
    def _():
        for payload in (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n",
                        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" +
                        b"".join(b"X-H%d: v\r\n" % i for i in range(20000)) + b"\r\n",
                        b"GET /" + b"a" * 200000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"):
            try:
                out = raw(p, payload)
            except (BrokenPipeError, ConnectionResetError):
                out = b""
            status = out.split(b" ", 2)[1] if out.startswith(b"HTTP/1.1 ") else b""
            assert out == b"" or status in (b"431", b"414", b"413", b"400"), out[:100]
        assert request(p, "GET", "/healthz")[0] == 200
    _()

    @case("garbage and half requests -> 400 or closed, server fine")
    def _():
        for payload in (b"HELLO\r\n\r\n", b"\x00\x01\x02\xff\r\n\r\n", b"GET\r\n\r\n",
                        b"GET / HTTP/9.9\r\n\r\n", b"POST /api/check HTTP/1.1\r\nHost: localhost\r\n"
                        b"Content-Length: -5\r\n\r\n",
                        b"POST /api/check HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                        b"\r\nzz\r\n"):
            try:
                out = raw(p, payload, timeout=6)
            except (BrokenPipeError, ConnectionResetError):
                out = b""
            assert out == b"" or out.startswith(b"HTTP/1."), out[:80]
            if out:
                code = int(out.split(b" ", 2)[1])
                assert 400 <= code < 600, out[:80]
        assert request(p, "GET", "/healthz")[0] == 200
    _()

    @case("URL tricks: dots, NUL, bad UTF-8 -> 404 with valid JSON, no files served")
    def _():
        for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/api/documents/%00",
                     "/style.css/../index.html", "//app.js", "/api/stats/",
                     "/api/documents/%ff%c3%28" + "%e2%82" * 150, "/%ff",
                     # lead bytes that no UTF-8 character has (0xF8-0xFF), before
                     # continuation bytes: quoted in the message, they must become
                     # U+FFFD (found by tests/fuzz/fuzz_http.c)
                     "/%f9%80%80%80", "/api/documents/%fc%bf%bf%bf%bf%bf", "/%ff%80%80%80"):
            st, h, d = request(p, "GET", path)
            assert st in (404, 400), (path, st)
            if st == 404:
                is_error(st, d, 404)
    _()


def concurrent_cases(a, srv, p, docs, rnd, work):
    @case("concurrent checks (8 threads) and adds (2 threads): all right, no errors")
    def _():
        errors = []
        stop = time.time() + 8
        added = []
        lock = threading.Lock()

        def checker(seed):
            r = random.Random(seed)
            c = http.client.HTTPConnection("127.0.0.1", p, timeout=30)
            n = 0
            while time.time() < stop and n < 60:
                picks = r.sample(range(len(docs)), 2)
                text = query_from(docs, picks, r)
                try:
                    c.request("POST", "/api/check", body=text.encode(),
                              headers={"Content-Type": "text/plain"})
                    resp = c.getresponse()
                    v = json.loads(resp.read())
                    if resp.status != 200:
                        errors.append("check %d: %r" % (resp.status, v))
                    elif not {docs[i]["id"] for i in picks} <= set(source_ids(v)):
                        errors.append("check missed a source: %r vs %r" % (
                            [docs[i]["id"] for i in picks], source_ids(v)))
                except Exception as e:  # noqa: BLE001
                    errors.append("check: %r" % e)
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", p, timeout=30)
                n += 1
            c.close()

        def adder(seed):
            r = random.Random(seed)
            k = 0
            while time.time() < stop and k < 15:
                batch = []
                for j in range(5):
                    did = "conc-%d-%d-%d" % (seed, k, j)
                    text = " ".join("w%dx%d" % (seed * 1000 + k * 10 + j, r.randrange(10 ** 9))
                                    for _w in range(60))
                    batch.append({"id": did, "text": text})
                st, _, d = request(p, "POST", "/api/documents", json.dumps(batch),
                                   {"Content-Type": "application/json", "X-API-Key": KEY},
                                   timeout=60)
                if st != 201:
                    errors.append("add %d: %r" % (st, d[:200]))
                else:
                    with lock:
                        added.extend(b["id"] for b in batch)
                    # visible at once to this client
                    st, _, d = request(p, "POST", "/api/check", batch[2]["text"],
                                       {"Content-Type": "text/plain"})
                    if st != 200 or batch[2]["id"] not in source_ids(json.loads(d)):
                        errors.append("new document not found right after its add")
                k += 1

        ts = [threading.Thread(target=checker, args=(i,)) for i in range(8)]
        ts += [threading.Thread(target=adder, args=(100 + i,)) for i in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        assert not any(t.is_alive() for t in ts), "a client thread hung"
        assert not errors, "%d errors, first: %s" % (len(errors), errors[0])
        assert len(added) >= 10, "only %d documents added" % len(added)
        for did in random.Random(1).sample(added, 5):
            st, _, _ = request(p, "GET", "/api/documents/" + did)
            assert st == 200, did
    _()

    @case("documents added by another process (tessera index) are seen without restart")
    def _():
        extra = os.path.join(work, "extra.jsonl")
        text = " ".join("outside%d" % i for i in range(120))
        with open(extra, "w") as f:
            f.write(json.dumps({"id": "outside-1", "text": text}) + "\n")
        # the server keeps its writer of adds for 2 s after the last one:
        # a writer beside it waits for the index's lock
        subprocess.run([a.tessera, "index", "--wait-lock=20", "--db", os.path.join(work, "ix"),
                        extra], check=True, capture_output=True, timeout=60)
        t0 = time.time()
        while time.time() - t0 < 5:
            st, _, d = request(p, "POST", "/api/check", text, {"Content-Type": "text/plain"})
            if st == 200 and "outside-1" in source_ids(jbody(d)):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("not found by checks after 5 s (--refresh 0.3)")
        assert request(p, "GET", "/api/documents/outside-1")[0] == 200
    _()


def limit_cases(a, db, work, docs, rnd):
    @case("--max-connections: a connection over the limit waits for a free slot")
    def _():
        srv = Server(a.tessera, db, work, "limit", "--threads", "1", "--max-connections", "4",
                     "--timeout", "20")
        try:
            held = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _i in range(4)]
            time.sleep(0.3)
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=1.5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            try:
                early = s.recv(100)
            except socket.timeout:
                early = None
            assert early is None, "a fifth connection was served: %r" % early
            held.pop().close()
            s.settimeout(5)
            out = s.recv(100)
            assert out.startswith(b"HTTP/1.1 200"), out
            s.close()
            for h in held:
                h.close()
        finally:
            rc = srv.stop()
        assert rc == 0, rc
    _()

    @case("--max-per-ip: connections from one address over the limit are closed at once")
    def _():
        srv = Server(a.tessera, db, work, "perip", "--threads", "1", "--max-per-ip", "3",
                     "--timeout", "20", "--quiet")
        try:
            held = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _i in range(3)]
            time.sleep(0.3)
            out = raw(srv.port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                      b"Connection: close\r\n\r\n", timeout=3)
            assert out == b"", "a fourth connection from 127.0.0.1 was served: %r" % out[:60]
            held.pop().close()
            time.sleep(0.3)
            out = raw(srv.port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                      b"Connection: close\r\n\r\n", timeout=5)
            assert out.startswith(b"HTTP/1.1 200"), out[:60]
            for h in held:
                h.close()
        finally:
            rc = srv.stop()
        assert rc == 0, rc
    _()

    # a check that takes seconds (3-5 s in a plain build): every document,
    # 20 times over (16 MB), each a candidate, no cache; --slow-repeat for
    # a sanitizer build, where the same check took 325 s (al_seeds under
    # AddressSanitizer, on 2026-12-05's machine; tests/serve/run.sh)
    slow_text = " ".join(d["text"] for d in docs) * a.slow_repeat
    slow_args = ["--max-candidates", "100000", "--cache", "0", "--max-body", "64M",
                 "--max-check-bytes", "64M"]

    def slow_check(port, out, timeout=120):
        t0 = time.time()
        st, h, d = request(port, "POST", "/api/check", slow_text,
                           {"Content-Type": "text/plain"}, timeout=timeout)
        out.update(st=st, h=h, d=d, t=time.time() - t0, end=time.time())

    @case("a long check runs on a worker: /healthz and the page answer while it runs")
    def _():
        srv = Server(a.tessera, db, work, "busy", "--threads", "1", "--max-check-time", "0",
                     "--quiet", *slow_args)
        try:
            done = {}
            th = threading.Thread(target=slow_check, args=(srv.port, done))
            th.start()
            time.sleep(0.5)
            assert not done, "the check was over before the test began (%r)" % done.get("st")
            answered = 0
            for path in ["/healthz"] * 10 + ["/"]:
                st, _, _ = request(srv.port, "GET", path, timeout=60)
                assert st == 200, (path, st)
                answered += not done
            th.join()
            assert done["st"] == 200, done["st"]
            assert answered == 11, ("%d of 11 quick requests answered while the check ran "
                                    "(%.1f s)" % (answered, done["t"]))
        finally:
            srv.stop()
    _()

    @case("/api/stats answers while a long check runs (the refresh takes no lock when nothing changed)")
    def _():
        srv = Server(a.tessera, db, work, "stats", "--threads", "2", "--max-check-time", "0",
                     "--refresh", "0.1", "--quiet", *slow_args)
        try:
            done = {}
            th = threading.Thread(target=slow_check, args=(srv.port, done))
            th.start()
            time.sleep(0.5)
            assert not done, "the check was over before the test began"
            answered = 0
            for _i in range(5):
                st, _, _ = request(srv.port, "GET", "/api/stats", timeout=60)
                assert st == 200, st
                answered += not done
                time.sleep(0.2)
            th.join()
            assert done["st"] == 200, done["st"]
            assert answered == 5, "%d of 5 stats answered while the check ran" % answered
        finally:
            srv.stop()
    _()

    @case("--max-check-time: a check past it -> 503; --max-check-bytes: a longer text -> 413")
    def _():
        srv = Server(a.tessera, db, work, "capped", "--threads", "1", "--quiet",
                     "--max-check-time", "0.3", *slow_args[:6], "--max-check-bytes",
                     str(len(slow_text.encode()) + 4096))
        try:
            out = {}
            t0 = time.time()
            st, _, d = request(srv.port, "POST", "/api/check", slow_text,
                               {"Content-Type": "text/plain"}, timeout=60)
            v = is_error(st, d, 503)
            assert "limit" in v["error"], v
            out["503 after"] = time.time() - t0
            st, _, d = request(srv.port, "POST", "/api/check", slow_text + "x" * 8192,
                               {"Content-Type": "text/plain"}, timeout=60)
            is_error(st, d, 413)
            st, _, d = request(srv.port, "POST", "/api/check", query_from(docs, [1], rnd),
                               {"Content-Type": "text/plain"}, timeout=60)
            assert st == 200, (st, d[:200], out)
        finally:
            srv.stop()
    _()

    @case("--max-queue: requests beyond the queue -> 503 with Retry-After, the rest answered")
    def _():
        srv = Server(a.tessera, db, work, "queue", "--threads", "1", "--max-queue", "1",
                     "--max-check-time", "0", "--quiet", *slow_args)
        try:
            first, second = {}, {}
            t1 = threading.Thread(target=slow_check, args=(srv.port, first))
            t1.start()
            time.sleep(0.5)   # the worker is busy with the first
            t2 = threading.Thread(target=slow_check, args=(srv.port, second))
            t2.start()
            time.sleep(0.5)   # the second waits in the queue
            st, h, d = request(srv.port, "POST", "/api/check", "a short text to check",
                               {"Content-Type": "text/plain"}, timeout=60)
            busy = not first
            is_error(st, d, 503)
            assert h.get("retry-after") == "1", h
            t1.join()
            t2.join()
            assert first["st"] == 200 and second["st"] == 200, (first["st"], second["st"])
            assert busy, "the first check ended before the third request"
        finally:
            srv.stop()
    _()

    @case("a full disk on an add -> 507, nothing of the batch stored, the index sound")
    def _():
        disk = os.path.join(work, "disk")
        os.mkdir(disk)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4M", "tmpfs", disk],
                          capture_output=True).returncode != 0:
            print("# skipped: cannot mount a small tmpfs here (needs root)")
            return True
        try:
            ixd = os.path.join(disk, "ix")
            subprocess.run([a.tessera, "index", "-q", "--db", ixd, a.docs], check=True,
                           timeout=120)
            srv = Server(a.tessera, ixd, work, "full", "--threads", "1", "--quiet",
                         "--api-key-file", os.path.join(work, "key"))
            try:
                hdr = {"Content-Type": "application/x-ndjson", "X-API-Key": KEY}
                seen, count = [], None
                for k in range(60):
                    batch = "".join(json.dumps({"id": "fill-%d-%d" % (k, j), "text": " ".join(
                        "w%d" % rnd.randrange(10 ** 9) for _w in range(3000))}) + "\n"
                        for j in range(20))
                    st, _, d = request(srv.port, "POST", "/api/documents", batch, hdr, timeout=60)
                    seen.append(st)
                    if st == 507:
                        v = is_error(st, d, 507)
                        assert "disk is full" in v["error"] and "/" not in v["error"], v
                        break
                    assert st == 201, (st, d[:200])
                    count = jbody(d)["documents"]
                assert seen and seen[-1] == 507, seen
                assert "No space left" in srv.text() or "full" in srv.text(), srv.text()[-500:]
                st, _, d = request(srv.port, "GET", "/api/stats")
                assert st == 200 and jbody(d)["documents"] == count, (count, d[:200])
            finally:
                srv.stop()
            r = subprocess.run([a.tessera, "verify", "--quiet", "--db", ixd],
                               capture_output=True, timeout=60)
            assert r.returncode == 0, r
        finally:
            subprocess.run(["umount", disk], capture_output=True)
    _()

    @case("a commit that is durable although taking it in failed -> 201 with a warning")
    def _():
        if not a.failmap:
            print("# skipped: tests/serve/failmap.c could not be built")
            return True
        ixd = os.path.join(work, "failmap-ix")
        subprocess.run([a.tessera, "index", "-q", "--db", ixd, a.docs], check=True, timeout=120)
        r = subprocess.run([a.tessera, "stats", "--json", "--db", ixd], capture_output=True,
                           check=True, timeout=60)
        before = json.loads(r.stdout)
        # the segments mapped at start, and again by the writer's open: the
        # writer's reload of its own commit fails, then every refresh
        env = dict(os.environ, LD_PRELOAD=a.failmap,
                   TSR_FAILMAP_AFTER=str(2 * before["segments"]))
        old_env = os.environ.copy()
        os.environ.update(env)
        try:
            srv = Server(a.tessera, ixd, work, "failmap", "--threads", "1", "--quiet",
                         "--api-key-file", os.path.join(work, "key"))
        finally:
            os.environ.clear()
            os.environ.update(old_env)
        try:
            doc = json.dumps({"id": "durable-1", "text": "a durable document " * 40})
            hdr = {"Content-Type": "application/json", "X-API-Key": KEY}
            st, h, d = request(srv.port, "POST", "/api/documents", doc, hdr)
            assert st == 201, (st, d[:300])
            v = jbody(d)
            assert v["added"] == 1 and "stored" in v.get("warning", ""), v
            assert h.get("warning", "").startswith("199 -"), h
            st, _, d = request(srv.port, "GET", "/api/documents/durable-1")
            assert st == 200, (st, d[:200])
        finally:
            srv.stop()
        r = subprocess.run([a.tessera, "verify", "--quiet", "--db", ixd], capture_output=True,
                           timeout=60)
        assert r.returncode == 0, r
        r = subprocess.run([a.tessera, "stats", "--json", "--db", ixd], capture_output=True,
                           check=True, timeout=60)
        assert json.loads(r.stdout)["documents"] == before["documents"] + 1, r.stdout
    _()

    @case("no --api-key-file: POST /api/documents -> 403")
    def _():
        srv = Server(a.tessera, db, work, "nokey", "--threads", "1", "--quiet")
        try:
            st, _, d = request(srv.port, "POST", "/api/documents", '{"id":"a","text":"b"}',
                               {"Content-Type": "application/json", "X-API-Key": KEY})
            is_error(st, d, 403)
            assert srv.text().count('"POST') == 0, "--quiet still logged"
        finally:
            srv.stop()
    _()


def shutdown_cases(a, db, work, docs, rnd):
    @case("SIGTERM with a request in flight: it is answered, then exit 0")
    def _():
        srv = Server(a.tessera, db, work, "term", "--threads", "2", "--timeout", "10")
        body = query_from(docs, [5, 6], rnd).encode()
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
        s.sendall(b"POST /api/check HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body[:100])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert srv.alive(), "exited with a request in flight"
        # no new connections now
        try:
            raw(srv.port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout=2)
            refused = False
        except OSError:
            refused = True
        s.sendall(body[100:])
        out = b""
        while b"\r\n\r\n" not in out or len(out.split(b"\r\n\r\n", 1)[1]) < 10:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        s.close()
        head, _, payload = out.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head[:80]
        v = json.loads(payload)
        assert {docs[5]["id"], docs[6]["id"]} <= set(source_ids(v)), source_ids(v)
        srv.proc.wait(10)
        assert srv.proc.returncode == 0, srv.proc.returncode
        assert refused, "a new connection was accepted while stopping"
    _()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--docs", required=True, help="JSON Lines documents to index")
    ap.add_argument("--quick", action="store_true", help="API cases only (sanitizer run)")
    ap.add_argument("--slow-repeat", type=int, default=20,
                    help="the long check's text: every document this many times (20)")
    ap.add_argument("--failmap", default="", help="tests/serve/failmap.c built (LD_PRELOAD)")
    a = ap.parse_args()
    signal.alarm(300)   # the whole run is bounded
    try:
        run_cases(a)
    except Exception as e:  # noqa: BLE001
        report("setup", False, "%s: %s" % (type(e).__name__, e))
    print("%d passed, %d failed" % (PASSED, FAILED))
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
