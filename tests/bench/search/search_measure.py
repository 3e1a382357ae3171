#!/usr/bin/env python3
"""Warm search latencies against a running server, one client with keep-alive.

Usage: search_measure.py BASE_URL VALUES_JSON [--runs 200] [--warmup 20] [--count 20]
                         [--only NAME,...] [--max-seconds 120] [--markdown]

BASE_URL like http://127.0.0.1:8080/fhir; VALUES_JSON is the values.json that generate.py
wrote (values that occur in the data). Each scenario runs `warmup` untimed requests, then
`runs` timed ones, each with values picked at random (fixed seed) from the data; the time is
from sending the request to having read the whole body. Every answer must be 200 with a
searchset Bundle, or the scenario reports errors. Prints a table (Markdown with --markdown):
p50 / p95 / max in ms, the mean entries per page, and the target of issue 4.
Stdlib only.
"""
import argparse
import http.client
import json
import random
import sys
import time
import urllib.parse

TOKEN, CHAIN, TOTAL = 20.0, 100.0, 500.0


def scenarios(v, count):
    """(name, target ms, request builder); a builder returns a path+query from an rng."""
    lo, hi = v["date_range"]
    s0, s1 = v["slot_window"]

    def day(rng, a, b):
        y0, y1 = int(a[:4]), int(b[:4])
        return "%04d-%02d-%02d" % (rng.randint(y0, y1 - 1), rng.randint(1, 12), rng.randint(1, 28))

    def q(path, **params):
        return path + "?" + urllib.parse.urlencode(dict(params, _count=count), safe="|:,")

    return [
        ("Patient?name=", TOKEN,
         lambda r: q("Patient", name=r.choice(v["family"]))),
        ("Patient?identifier=", TOKEN,
         lambda r: q("Patient", identifier="https://bench.hestia.example/mrn|" + r.choice(v["mrn"]))),
        ("Observation?code=&date=ge", TOKEN,
         lambda r: q("Observation", code="http://loinc.org|" + r.choice(v["loinc"]),
                     date="ge" + day(r, lo, hi))),
        ("Observation?subject.name=", CHAIN,
         lambda r: q("Observation", **{"subject.name": r.choice(v["family"])})),
        ("Patient?_has:Observation:subject:code=", CHAIN,
         lambda r: q("Patient", **{"_has:Observation:subject:code": r.choice(v["loinc"])})),
        ("Slot?schedule.actor=&status=free&start=ge&start=lt", CHAIN,
         lambda r: q("Slot", **{"schedule.actor": "Practitioner/" + r.choice(v["practitioner"])},
                     status="free") + "&start=ge%s&start=lt%s" % (s0, s1)),
        ("PractitionerRole?specialty=&_include=PractitionerRole:practitioner", TOKEN,
         lambda r: q("PractitionerRole", specialty="http://snomed.info/sct|" + r.choice(v["specialty"]),
                     _include="PractitionerRole:practitioner")),
        ("Location?near=", TOKEN,
         lambda r: q("Location", near="%s|%s|10|km" % tuple(r.choice(v["position"])))),
        ("Observation?code=&_sort=-date, page 10", TOKEN, "paging"),
        ("Observation?code=&_total=accurate, first page", TOTAL,
         lambda r: q("Observation", code="http://loinc.org|" + r.choice(v["loinc"]),
                     _total="accurate")),
    ]


class Client:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = u.hostname, u.port, u.path.rstrip("/")
        self.base = base.rstrip("/")
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def get(self, path):
        """(seconds, status, body) for GET prefix/path or an absolute URL on the base."""
        if path.startswith("http"):
            path = path[len(self.base):]
        target = self.prefix + "/" + path.lstrip("/")
        t0 = time.perf_counter()
        try:
            self.conn.request("GET", target, headers={"Accept": "application/fhir+json"})
            resp = self.conn.getresponse()
            body = resp.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            raise
        return time.perf_counter() - t0, resp.status, body


def check(status, body):
    """(entries, next link, total, error)."""
    if status != 200:
        return 0, None, None, "HTTP %d %s" % (status, body[:300].decode("utf-8", "replace"))
    doc = json.loads(body)
    if doc.get("resourceType") != "Bundle":
        return 0, None, None, "not a Bundle"
    entries = [e for e in doc.get("entry", []) if e.get("search", {}).get("mode", "match") == "match"]
    nxt = next((l["url"] for l in doc.get("link", []) if l.get("relation") == "next"), None)
    return len(entries), nxt, doc.get("total"), None


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def run(client, name, build, runs, warmup, rng, values, count, max_seconds):
    times, entries, errors, first_error, totals = [], [], 0, None, []
    deadline = time.monotonic() + max_seconds
    for i in range(warmup + runs):
        if time.monotonic() > deadline and len(times) >= 10:
            break  # a slow query: report what was measured (the runs column says how many)
        if build == "paging":
            code = rng.choice(values["loinc"])
            path = "Observation?code=http://loinc.org|%s&_sort=-date&_count=%d" % (code, count)
            page, elapsed, n, err = 0, 0.0, 0, None
            while path is not None and page < 10:
                dt, status, body = client.get(path)
                n, path, _, err = check(status, body)
                page += 1
                elapsed = dt  # the time of the last page fetched (page 10)
                if err:
                    break
            if not err and page < 10:
                err = "only %d pages" % page
        else:
            dt, status, body = client.get(build(rng))
            n, _, total, err = check(status, body)
            elapsed = dt
            if total is not None:
                totals.append(total)
        if err:
            errors += 1
            first_error = first_error or err
            continue
        if i >= warmup:
            times.append(elapsed * 1000.0)
            entries.append(n)
    return {
        "name": name, "p50": percentile(times, 50), "p95": percentile(times, 95),
        "max": max(times) if times else float("nan"), "runs": len(times), "errors": errors,
        "entries": sum(entries) / len(entries) if entries else 0.0, "first_error": first_error,
        "total": (sum(totals) / len(totals)) if totals else None,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("values")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--only", default="")
    ap.add_argument("--max-seconds", type=float, default=120.0,
                    help="per query: stop early (after >= 10 timed runs) once this is spent")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    with open(args.values, encoding="utf-8") as f:
        values = json.load(f)
    client = Client(args.base)
    rng = random.Random(7)
    rows = []
    for name, target, build in scenarios(values, args.count):
        if args.only and not any(o in name for o in args.only.split(",")):
            continue
        r = run(client, name, build, args.runs, args.warmup, rng, values, args.count,
                args.max_seconds)
        r["target"] = target
        rows.append(r)
        print("[search_measure] %-66s p50 %8.1f ms  p95 %8.1f ms  errors %d%s" % (
            name, r["p50"], r["p95"], r["errors"],
            ("  first error: " + r["first_error"][:200]) if r["first_error"] else ""),
            file=sys.stderr, flush=True)
    if args.markdown:
        print("| Query (_count=%d) | runs | p50 ms | p95 ms | max ms | entries/page | target p95 "
              "| result |" % args.count)
        print("|---|---:|---:|---:|---:|---:|---:|---|")
    def ms(x):
        return "–" if x != x else "%.1f" % x  # NaN when no run succeeded

    for r in rows:
        ok = r["errors"] == 0 and r["p95"] <= r["target"]
        verdict = "met" if ok else ("ERRORS (%d)" % r["errors"] if r["errors"] else "missed")
        extra = "" if r["total"] is None else " (total %.0f)" % r["total"]
        if args.markdown:
            print("| `%s` | %d | %s | %s | %s | %.1f%s | ≤ %.0f ms | %s |" % (
                r["name"], r["runs"], ms(r["p50"]), ms(r["p95"]), ms(r["max"]), r["entries"],
                extra, r["target"], verdict))
        else:
            print("%-66s %8.1f %8.1f %8.1f %6.1f  <= %4.0f  %s" % (
                r["name"], r["p50"], r["p95"], r["max"], r["entries"], r["target"], verdict))
    return 0 if all(r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
