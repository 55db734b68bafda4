#!/usr/bin/env python3
"""bench/serve_probe.py - beside bench/serve.sh's wrk run: documents added
through the API and /healthz timed, for SECONDS.

    python3 bench/serve_probe.py URL KEYFILE SECONDS > probe.json

- adds: a batch of 10 new documents (POST /api/documents, JSON Lines,
  ~300 words each, fresh ids) every second; each answer's status counted;
- health: GET /healthz every 20 ms on a kept-alive connection of its own,
  each timed from the request to the end of the answer.
Prints one JSON object: added, batches, statuses {code: count}, errors
(adds not 201, health checks not 200, connection failures), healthz_ms
{n, p50, p99, max}.  Python standard library only.
"""
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse


def main():
    url, keyfile, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    key = open(keyfile).read().strip()
    u = urllib.parse.urlparse(url)
    end = time.time() + secs
    out = {"added": 0, "batches": 0, "statuses": {}, "errors": 0}
    rnd = random.Random(7)
    words = ["w%d" % i for i in range(50000)]

    def adder():
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        k = 0
        while time.time() < end:
            t0 = time.time()
            body = "".join(json.dumps({"id": "probe-%d-%d" % (k, j), "text": " ".join(
                rnd.choice(words) for _w in range(300))}) + "\n" for j in range(10))
            k += 1
            try:
                c.request("POST", "/api/documents", body=body.encode(),
                          headers={"Content-Type": "application/x-ndjson", "X-API-Key": key})
                r = c.getresponse()
                d = r.read()
                out["statuses"][r.status] = out["statuses"].get(r.status, 0) + 1
                out["batches"] += 1
                if r.status == 201:
                    out["added"] += json.loads(d)["added"]
                else:
                    out["errors"] += 1
            except OSError:
                out["errors"] += 1
                c.close()
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
            time.sleep(max(0.0, 1.0 - (time.time() - t0)))

    th = threading.Thread(target=adder)
    th.start()
    lat = []
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    while time.time() < end:
        t0 = time.perf_counter()
        try:
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            if r.status != 200:
                out["errors"] += 1
        except OSError:
            out["errors"] += 1
            c.close()
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            time.sleep(0.02)
            continue
        lat.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.02)
    th.join()
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
    out["healthz_ms"] = {"n": len(lat), "p50": pick(0.5), "p99": pick(0.99),
                         "max": lat[-1] if lat else float("nan")}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
