#!/usr/bin/env python3
"""Scheduling benchmark client (issue: 1,000 practitioners with 60 days of availability).

Usage: scheduling_measure.py BASE_URL [--practitioners 1000] [--patients 1000] [--days 60]
           [--bundle 400] [--runs 200] [--warmup 20] [--clients 8] [--bookings 2000]
           [--only load,materialize,single,find,book] [--psql CMD] [--no-analyze]
           [--server-pid PID] [--markdown]

BASE_URL like http://127.0.0.1:8080/fhir, a server with the scheduling plug-in loaded and no
Schedules yet (scheduling_bench.sh starts one). The phases, in order:

  load         Practitioners, each with one Schedule carrying the schedule-availability
               extension (Europe/Berlin, Mon-Fri 08:00-12:00 and 13:00-17:00, 20-minute
               Slots, a specialty from ten SNOMED codes round-robin), and Patients, PUT with
               fixed ids through transaction Bundles of --bundle entries.
  materialize  POST Schedule/$materialize days=N (every Schedule in one call): Slots created,
               seconds, Slots/s; then the Slot count is checked.
  single       A new Practitioner and Schedule, then POST Schedule/[id]/$materialize days=N
               on the full table (timed), and the same again when there is nothing to do.
  find         Appointment/$find for the week starting next Monday (Berlin), one keep-alive
               client: --warmup untimed then --runs timed requests by specialty (codes in
               turn), then the same by practitioner (random ones); p50/p95/max.
  book         Appointment/$book of --bookings distinct free Slots (starting the week after
               the $find week, sampled from the first ones by start), each with a Patient that
               has no other booking at that time, partitioned over --clients threads with one
               keep-alive connection each: bookings/s (all of them over the wall time),
               p50/p95 latency, and the answers other than 201 (must be 0).

--psql CMD is a psql command line (split on blanks) for the server's database: with it the
materialize and book phases also report the writing transactions (xids) and WAL bytes per
Slot and per booking, materialize runs ANALYZE afterwards (untimed; so that the planner sees
the new Slots as autovacuum would after a while; not with --no-analyze), and both wait until
the plug-in's event subscriptions have caught up with the writes (the outbox lag is
reported). --server-pid PID adds the CPU seconds of the server and of its PostgreSQL
processes (Linux /proc) during materialize and book.
Latency is from sending the request to having read the whole body. Prints a table (Markdown
with --markdown) with the figure, the target where the issue sets one, and whether it is met.
Exit status 1 when a request failed. Stdlib only.
"""
import argparse
import datetime as dt
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import zoneinfo

AVAILABILITY = "http://hestia.health/fhir/StructureDefinition/schedule-availability"
SNOMED = "http://snomed.info/sct"
SPECIALTIES = [
    ("394814009", "General practice"),
    ("394579002", "Cardiology"),
    ("394582007", "Dermatology"),
    ("394583002", "Endocrinology"),
    ("394584008", "Gastroenterology"),
    ("394591006", "Neurology"),
    ("394585009", "Obstetrics and gynecology"),
    ("394594003", "Ophthalmology"),
    ("394537008", "Pediatric specialty"),
    ("394587001", "Psychiatry"),
]
ZONE = "Europe/Berlin"
FIND_TARGET_MS = 50.0
FAMILIES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann"]
GIVEN = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannes", "Ida", "Jonas",
         "Lena", "Max", "Nora", "Paul", "Sofia", "Tim"]


def log(msg):
    print("[scheduling_measure %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr,
          flush=True)


class Client:
    """One keep-alive connection to the server."""

    def __init__(self, base, timeout=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = u.hostname, u.port, u.path.rstrip("/")
        self.timeout = timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def send(self, method, path, body=None):
        """(seconds, status, body bytes) for METHOD prefix/path."""
        target = self.prefix + "/" + path.lstrip("/")
        headers = {"Accept": "application/fhir+json"}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/fhir+json"
        t0 = time.perf_counter()
        try:
            self.conn.request(method, target, body=data, headers=headers)
            resp = self.conn.getresponse()
            payload = resp.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            raise
        return time.perf_counter() - t0, resp.status, payload

    def close(self):
        self.conn.close()


def short(body, n=300):
    return body[:n].decode("utf-8", "replace")


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def params(*pairs):
    return {"resourceType": "Parameters",
            "parameter": [dict([("name", name)] + [(key, value)]) for name, key, value in pairs]}


# ---- Resources -----------------------------------------------------------------------------

def practitioner_id(i):
    return "bench-pr-%05d" % i


def schedule_id(i):
    return "bench-sc-%05d" % i


def patient_id(i):
    return "bench-pa-%05d" % i


def window(start, end):
    days = [{"url": "daysOfWeek", "valueCode": d} for d in ("mon", "tue", "wed", "thu", "fri")]
    return {"url": "availableTime", "extension": days + [
        {"url": "availableStartTime", "valueTime": start},
        {"url": "availableEndTime", "valueTime": end}]}


def practitioner(i):
    return {"resourceType": "Practitioner", "id": practitioner_id(i), "active": True,
            "identifier": [{"system": "https://bench.hestia.example/lanr", "value": "%09d" % i}],
            "name": [{"family": FAMILIES[i % len(FAMILIES)],
                      "given": [GIVEN[(i // len(FAMILIES)) % len(GIVEN)]], "prefix": ["Dr."]}]}


def schedule(i, practitioner_ref):
    code, display = SPECIALTIES[i % len(SPECIALTIES)]
    return {"resourceType": "Schedule", "id": schedule_id(i), "active": True,
            "specialty": [{"coding": [{"system": SNOMED, "code": code, "display": display}]}],
            "actor": [{"reference": practitioner_ref}],
            "comment": "bench: Mon-Fri 08-12 and 13-17, 20-minute slots",
            "extension": [{"url": AVAILABILITY, "extension": [
                {"url": "timeZone", "valueCode": ZONE},
                {"url": "slotMinutes", "valuePositiveInt": 20},
                window("08:00:00", "12:00:00"),
                window("13:00:00", "17:00:00")]}]}


def patient(i):
    return {"resourceType": "Patient", "id": patient_id(i), "active": True,
            "identifier": [{"system": "https://bench.hestia.example/mrn", "value": "MRN%07d" % i}],
            "name": [{"family": FAMILIES[(i * 7) % len(FAMILIES)],
                      "given": [GIVEN[i % len(GIVEN)]]}],
            "gender": ("female", "male")[i % 2],
            "birthDate": "%04d-%02d-%02d" % (1940 + i % 70, 1 + i % 12, 1 + i % 28)}


def put_entry(resource):
    ref = "%s/%s" % (resource["resourceType"], resource["id"])
    return {"fullUrl": ref, "resource": resource, "request": {"method": "PUT", "url": ref}}


def transaction(client, entries):
    dt_, status, body = client.send("POST", "", {"resourceType": "Bundle", "type": "transaction",
                                                  "entry": entries})
    if status != 200:
        raise RuntimeError("transaction of %d entries: HTTP %d %s" % (len(entries), status,
                                                                      short(body)))
    doc = json.loads(body)
    bad = [e["response"]["status"] for e in doc.get("entry", [])
           if not e.get("response", {}).get("status", "").startswith("20")]
    if bad or len(doc.get("entry", [])) != len(entries):
        raise RuntimeError("transaction: entries answered %s" % bad[:5])
    return dt_


def count(client, query):
    _, status, body = client.send("GET", query + ("&" if "?" in query else "?") + "_summary=count")
    if status != 200:
        raise RuntimeError("%s: HTTP %d %s" % (query, status, short(body)))
    return json.loads(body).get("total")


# ---- Diagnostics: SQL counters, outbox lag, CPU ----------------------------------------------

class Sql:
    """psql on the server's database (None-safe: every method is a no-op without a command)."""

    def __init__(self, command):
        self.command = command.split() if command else None

    def query(self, text):
        if not self.command:
            return None
        r = subprocess.run(self.command + ["-c", text], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("psql: %s: %s" % (text, r.stderr.strip()[:300]))
        return r.stdout.strip()

    def counters(self):
        """(xid, WAL bytes): xids count writing transactions exactly and at once (this query
        takes one itself), unlike pg_stat_database, which backends report lazily."""
        out = self.query("SELECT pg_current_xact_id()::text::bigint, "
                         "pg_current_wal_lsn() - '0/0'::pg_lsn")
        if out is None:
            return None
        xid, wal = out.split("|")
        return int(xid), int(float(wal))

    def outbox_drained(self):
        """Whether every event subscription has seen the newest outbox row."""
        out = self.query(
            "SELECT coalesce(bool_and((p.last_xid, p.last_seq) >= (m.xid, m.version_seq)), true) "
            "FROM plugin_event_position p, (SELECT xid, version_seq FROM resource_event "
            "ORDER BY xid DESC, version_seq DESC LIMIT 1) m")
        return out in (None, "t")

    def wait_drained(self, limit=3600):
        """Seconds until the outbox is drained (polled every 0.2 s), or None after `limit`."""
        t0 = time.perf_counter()
        while not self.outbox_drained():
            if time.perf_counter() - t0 > limit:
                return None
            time.sleep(0.2)
        return time.perf_counter() - t0


def per_unit(before, after, units):
    """'x writing transactions and y kB WAL per unit' between two counters()."""
    if before is None or after is None or not units:
        return None
    xids = after[0] - before[0] - 1  # the second counters() query took one
    return "%.2f writing transactions and %.1f kB WAL" % (
        xids / units, (after[1] - before[1]) / 1024.0 / units)


def cpu_seconds(pid):
    """(server, PostgreSQL) CPU seconds of process `pid` and its descendants (Linux), or None.
    Descendants that have exited are in their reaped parent's cutime/cstime."""
    if not pid:
        return None
    tick = float(os.sysconf("SC_CLK_TCK"))
    children, stat = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                text = f.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        ppid = int(fields[1])
        children.setdefault(ppid, []).append(int(entry))
        stat[int(entry)] = sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
    if pid not in stat:
        return None
    own = stat[pid]
    rest, todo = 0.0, list(children.get(pid, []))
    while todo:
        p = todo.pop()
        rest += stat.get(p, 0.0)
        todo.extend(children.get(p, []))
    return own, rest


def cpu_note(before, after, wall):
    if before is None or after is None:
        return None
    server, pg = after[0] - before[0], after[1] - before[1]
    return "CPU %.1f s server + %.1f s PostgreSQL in %.1f s wall (%d cores)" % (
        server, pg, wall, os.cpu_count() or 0)


# ---- Phases --------------------------------------------------------------------------------

def phase_load(client, args, rows):
    n, per = args.practitioners, max(2, args.bundle) // 2
    log("loading %d Practitioners with a Schedule each, %d Patients (Bundles of %d entries)"
        % (n, args.patients, args.bundle))
    t0 = time.perf_counter()
    for lo in range(0, n, per):
        entries = []
        for i in range(lo, min(n, lo + per)):
            entries.append(put_entry(practitioner(i)))
            entries.append(put_entry(schedule(i, "Practitioner/" + practitioner_id(i))))
        transaction(client, entries)
    for lo in range(0, args.patients, args.bundle):
        transaction(client, [put_entry(patient(i))
                             for i in range(lo, min(args.patients, lo + args.bundle))])
    secs = time.perf_counter() - t0
    total = 2 * n + args.patients
    log("loaded %d resources in %.1f s" % (total, secs))
    rows.append(("Load: %d Practitioners + %d Schedules + %d Patients (transaction Bundles of "
                 "%d)" % (n, n, args.patients, args.bundle),
                 "%.1f s, %.0f resources/s" % (secs, total / secs), "–", "–"))


def materialize(client, path, days):
    secs, status, body = client.send("POST", path, params(("days", "valueInteger", days)))
    if status != 200:
        raise RuntimeError("%s: HTTP %d %s" % (path, status, short(body)))
    out = {p["name"]: p.get("valueInteger") for p in json.loads(body).get("parameter", [])}
    return secs, out


def phase_materialize(client, args, rows):
    before = count(client, "Slot")
    if before:
        log("warning: %d Slots exist before $materialize (did the start-up job see the "
            "Schedules?)" % before)
    log("POST Schedule/$materialize days=%d (%d Schedules)" % (args.days, args.practitioners))
    c0, cpu0 = args.sql.counters(), cpu_seconds(args.server_pid)
    t_call = time.perf_counter()
    try:
        secs, out = materialize(client, "Schedule/$materialize", args.days)
    except (http.client.HTTPException, OSError) as e:
        raise RuntimeError("Schedule/$materialize: the connection closed without an answer "
                           "after %.0f s (%s); a server closes a connection busy longer than "
                           "its --keepalive-timeout-ms" % (time.perf_counter() - t_call, e))
    c1, cpu1 = args.sql.counters(), cpu_seconds(args.server_pid)
    created = out.get("created") or 0
    after = count(client, "Slot")
    log("%s in %.1f s; %s Slots in the database" % (out, secs, after))
    rows.append(("`Schedule/$materialize` days=%d, all %s Schedules (one call)"
                 % (args.days, out.get("schedules")),
                 "%d Slots in %.1f s = **%.0f Slots/s**" % (created, secs, created / secs),
                 "–", "–"))
    notes = [n for n in (per_unit(c0, c1, created), cpu_note(cpu0, cpu1, secs)) if n]
    if notes:
        rows.append(("… per Slot created; CPU during the call", "; ".join(notes), "–", "–"))
    ok = after == before + created
    if not ok:
        log("error: %s Slots before + %d created != %s after" % (before, created, after))
    if args.sql.command:
        lag = args.sql.wait_drained()
        log("event subscriptions caught up %s after $materialize answered"
            % ("never" if lag is None else "%.1f s" % lag))
        rows.append(("… plug-in event subscriptions caught up with the Slot outbox",
                     "after %s more" % ("> 1 h" if lag is None else "%.1f s" % lag), "–", "–"))
        if args.analyze:
            t0 = time.perf_counter()
            args.sql.query("ANALYZE")
            log("ANALYZE in %.1f s" % (time.perf_counter() - t0))
    return ok


def phase_single(client, args, rows):
    i = args.practitioners + 90000  # outside the numbered range; not in the $find values
    entries = [put_entry(practitioner(i)),
               put_entry(schedule(i, "Practitioner/" + practitioner_id(i)))]
    transaction(client, entries)
    path = "Schedule/%s/$materialize" % schedule_id(i)
    secs, out = materialize(client, path, args.days)
    log("%s: %s in %.3f s" % (path, out, secs))
    rows.append(("`Schedule/[id]/$materialize` days=%d, one new Schedule" % args.days,
                 "%s Slots in %.0f ms" % (out.get("created"), secs * 1000), "–", "–"))
    secs2, out2 = materialize(client, path, args.days)
    log("again: %s in %.3f s" % (out2, secs2))
    rows.append(("the same again (all %s Slots exist: nothing to do)" % out.get("created"),
                 "%s created in %.0f ms" % (out2.get("created"), secs2 * 1000), "–", "–"))
    return out2.get("created") == 0


def next_monday():
    """(start, end) of the Berlin week from next Monday 00:00, as instants with offset."""
    zone = zoneinfo.ZoneInfo(ZONE)
    today = dt.datetime.now(zone).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    start = dt.datetime.combine(monday, dt.time(0), zone)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), zone)
    return start, end


def find_scenario(client, name, build, args, rng):
    times, proposals, errors, first_error = [], [], 0, None
    for i in range(args.warmup + args.runs):
        path = build(rng)
        secs, status, body = client.send("GET", path)
        err = None
        if status != 200:
            err = "HTTP %d %s" % (status, short(body))
        else:
            doc = json.loads(body)
            if doc.get("resourceType") != "Bundle":
                err = "not a Bundle: " + short(body)
            elif not doc.get("entry"):
                err = "no proposals: " + path
        if err:
            errors += 1
            first_error = first_error or err
            continue
        if i >= args.warmup:
            times.append(secs * 1000.0)
            proposals.append(len(doc["entry"]))
    p50, p95 = percentile(times, 50), percentile(times, 95)
    log("%-40s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms  errors %d%s" % (
        name, p50, p95, max(times) if times else float("nan"), errors,
        ("  first error: " + first_error[:200]) if first_error else ""))
    return times, proposals, errors


def phase_find(client, args, rows):
    start, end = next_monday()
    window_q = "start=%s&end=%s" % (urllib.parse.quote(start.isoformat(), safe=""),
                                    urllib.parse.quote(end.isoformat(), safe=""))
    log("$find for %s .. %s (%d warm-up + %d timed per scenario)"
        % (start.isoformat(), end.isoformat(), args.warmup, args.runs))
    turn = {"i": 0}

    def by_specialty(_rng):
        code = SPECIALTIES[turn["i"] % len(SPECIALTIES)][0]
        turn["i"] += 1
        return "Appointment/$find?%s&specialty=%s" % (
            window_q, urllib.parse.quote("%s|%s" % (SNOMED, code), safe=""))

    def by_practitioner(rng):
        return "Appointment/$find?%s&practitioner=%s" % (
            window_q, urllib.parse.quote("Practitioner/" + practitioner_id(
                rng.randrange(args.practitioners)), safe=""))

    rng = random.Random(7)
    ok = True
    for name, build in (("by specialty (10 codes in turn)", by_specialty),
                        ("by practitioner (random)", by_practitioner)):
        times, proposals, errors = find_scenario(client, name, build, args, rng)
        p50, p95 = percentile(times, 50), percentile(times, 95)
        met = errors == 0 and p95 <= FIND_TARGET_MS
        ok = ok and errors == 0
        rows.append(("`Appointment/$find` one week, %s: p50 / p95 / max (%d runs, %.0f "
                     "proposals each%s)" % (name, len(times),
                                            sum(proposals) / max(1, len(proposals)),
                                            ", %d errors" % errors if errors else ""),
                     "%.1f / **%.1f** / %.1f ms" % (p50, p95, max(times) if times else
                                                    float("nan")),
                     "p95 ≤ %.0f ms" % FIND_TARGET_MS,
                     "met" if met else ("ERRORS" if errors else "missed")))
    return ok


def free_slots(client, since, until, wanted):
    """(id, start) of the first `wanted` free Slots starting in [since, until), by start."""
    out = []
    query = "Slot?status=free&start=ge%s&start=lt%s&_sort=start&_count=1000&_elements=start" % (
        urllib.parse.quote(since.isoformat(), safe=""), urllib.parse.quote(until.isoformat(),
                                                                          safe=""))
    while query and len(out) < wanted:
        _, status, body = client.send("GET", query)
        if status != 200:
            raise RuntimeError("%s: HTTP %d %s" % (query, status, short(body)))
        doc = json.loads(body)
        for e in doc.get("entry", []):
            r = e.get("resource", {})
            if e.get("search", {}).get("mode", "match") == "match":
                out.append((r["id"], r["start"]))
        nxt = [l["url"] for l in doc.get("link", []) if l.get("relation") == "next"]
        query = None
        if nxt:
            u = urllib.parse.urlsplit(nxt[0])
            query = u.path[len(client.prefix):].lstrip("/") + "?" + u.query
    return out[:wanted]


def phase_book(client, args, rows):
    start, _ = next_monday()
    since = start + dt.timedelta(days=7)
    # Three candidates per booking: 24 Slots per weekday per Practitioner, 5 weekdays a week.
    weekdays = -(-3 * args.bookings // (24 * max(1, args.practitioners)))
    until = since + dt.timedelta(days=max(1, min(args.days - 14, 7 * (-(-weekdays // 5)))))
    log("picking %d free Slots from %s to %s" % (args.bookings, since.isoformat(),
                                                 until.isoformat()))
    candidates = free_slots(client, since, until, 3 * args.bookings)
    rng = random.Random(11)
    rng.shuffle(candidates)
    # A Patient may not have two bookings at once (booking.patient_exclusive): every Slot
    # starting at the same time gets a different Patient.
    chosen, per_start = [], {}
    for slot_id, slot_start in candidates:
        rank = per_start.get(slot_start, 0)
        if rank >= args.patients:
            continue
        per_start[slot_start] = rank + 1
        chosen.append((slot_id, patient_id(rank)))
        if len(chosen) == args.bookings:
            break
    if len(chosen) < args.bookings:
        log("warning: only %d bookable Slots found" % len(chosen))
    parts = [chosen[k::args.clients] for k in range(args.clients)]
    results = [[] for _ in range(args.clients)]  # (seconds, status, body head) per booking
    barrier = threading.Barrier(args.clients + 1)

    def worker(k):
        c = Client(client_base(client), timeout=300)
        barrier.wait()
        for slot_id, pat in parts[k]:
            body = params(("slot", "valueReference", {"reference": "Slot/" + slot_id}),
                          ("patient", "valueReference", {"reference": "Patient/" + pat}))
            try:
                secs, status, payload = c.send("POST", "Appointment/$book", body)
            except (http.client.HTTPException, OSError) as e:
                results[k].append((0.0, 0, str(e)))
                continue
            results[k].append((secs, status, "" if status == 201 else short(payload, 200)))
        c.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.clients)]
    for t in threads:
        t.start()
    log("booking %d Slots with %d clients" % (len(chosen), args.clients))
    c0, cpu0 = args.sql.counters(), cpu_seconds(args.server_pid)
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu1 = cpu_seconds(args.server_pid)
    lag = args.sql.wait_drained() if args.sql.command else None
    c1 = args.sql.counters()
    flat = [r for part in results for r in part]
    lat = [r[0] * 1000.0 for r in flat if r[1] == 201]
    bad = [r for r in flat if r[1] != 201]
    statuses = {}
    for r in bad:
        statuses[r[1]] = statuses.get(r[1], 0) + 1
    p50, p95 = percentile(lat, 50), percentile(lat, 95)
    log("%d bookings in %.1f s = %.1f/s; p50 %.1f ms p95 %.1f ms; non-201: %d %s%s" % (
        len(flat), wall, len(flat) / wall, p50, p95, len(bad), statuses,
        ("  first: " + bad[0][2]) if bad else ""))
    booked = count(client, "Appointment?status=booked")
    busy = count(client, "Slot?status=busy")
    log("%s Appointments booked, %s Slots busy" % (booked, busy))
    rows.append(("`Appointment/$book`, %d clients, %d distinct Slots: throughput"
                 % (args.clients, len(flat)), "**%.1f bookings/s** (%.1f s)" % (
                     len(flat) / wall, wall), "–", "–"))
    rows.append(("`Appointment/$book` latency p50 / p95 / max", "%.1f / %.1f / %.1f ms" % (
        p50, p95, max(lat) if lat else float("nan")), "–", "–"))
    notes = [n for n in (per_unit(c0, c1, len(flat)), cpu_note(cpu0, cpu1, wall)) if n]
    if lag is not None:
        notes.append("events caught up %.1f s after the last answer" % lag)
    if notes:
        log("; ".join(notes))
        rows.append(("… per booking (with the plug-in's event handlers); CPU during the run",
                     "; ".join(notes), "–", "–"))
    rows.append(("`Appointment/$book` answers other than 201", "%d%s" % (
        len(bad), (" " + json.dumps(statuses)) if bad else ""), "0",
        "met" if not bad else "missed"))
    consistent = booked == len(flat) - len(bad) and busy == booked
    rows.append(("after $book: Appointments booked / Slots busy", "%s / %s" % (booked, busy),
                 "%d / %d" % (len(flat) - len(bad), len(flat) - len(bad)),
                 "met" if consistent else "missed"))
    return not bad


def client_base(client):
    return "http://%s:%d%s" % (client.host, client.port, client.prefix)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("--practitioners", type=int, default=1000)
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--bundle", type=int, default=400, help="entries per transaction Bundle")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--bookings", type=int, default=2000)
    ap.add_argument("--only", default="load,materialize,single,find,book")
    ap.add_argument("--psql", default="", help="psql command line for SQL diagnostics")
    ap.add_argument("--no-analyze", dest="analyze", action="store_false")
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    phases = set(args.only.split(","))
    args.sql = Sql(args.psql)
    client = Client(args.base, timeout=None)
    rows, ok = [], True
    try:
        for name, fn in (("load", phase_load), ("materialize", phase_materialize),
                         ("single", phase_single), ("find", phase_find), ("book", phase_book)):
            if name in phases:
                ok = (fn(client, args, rows) is not False) and ok
    except Exception as e:  # report what was measured so far
        log("error: %s" % e)
        rows.append(("(stopped)", str(e)[:200].replace("|", "\\|"), "–", "missed"))
        ok = False
    if args.markdown:
        print("| Operation | Figure | Target | Result |")
        print("|---|---|---|---|")
        for r in rows:
            print("| %s | %s | %s | %s |" % r)
    else:
        for r in rows:
            print("%-100s %-40s %-14s %s" % r)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
