#!/usr/bin/env python3
"""Writes distinct copies of the Synthea patient transaction Bundles for the ingest benchmark.

Usage: ingest_generate.py SYNTHEA_DIR OUT_DIR MIN_RESOURCES

Copies hospitalInformation*/practitionerInformation* once (shared resources, loaded first), then
repeats the patient bundles until at least MIN_RESOURCES patient resources are written. Each copy
rewrites the UUIDs the bundle owns (its urn:uuid fullUrls, which are also the resource ids and
the Patient's Synthea identifier) so that copies are distinct patients; references to the shared
Practitioner/Organization/Location resources (conditional, by identifier) are kept.
Prints the number of resources written (shared + patients).
"""
import json
import os
import re
import shutil
import sys

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def main():
    src, out, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    shared, patients = [], []
    for name in sorted(os.listdir(src)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(src, name)
        if name.startswith(("hospitalInformation", "practitionerInformation")):
            shared.append(path)
        else:
            patients.append(path)
    total = 0
    for path in shared:
        shutil.copy(path, out)
        with open(path) as f:
            total += len(json.load(f)["entry"])
    templates = []
    for path in patients:
        with open(path) as f:
            text = f.read()
        owned = set(UUID.findall(" ".join(re.findall(r'"fullUrl"\s*:\s*"urn:uuid:([^"]+)"', text))))
        templates.append((os.path.basename(path)[:-5], text, owned, len(json.loads(text)["entry"])))
    written = 0
    copy = 0
    while written < wanted:
        for stem, text, owned, count in templates:
            prefix = "%08x" % (0x10000000 + copy)

            def rewrite(m, owned=owned, prefix=prefix):
                u = m.group(0)
                return prefix + u[8:] if u in owned else u

            with open(os.path.join(out, "%s-copy%04d.json" % (stem, copy)), "w") as f:
                f.write(UUID.sub(rewrite, text))
            written += count
        copy += 1
    print(total + written)


if __name__ == "__main__":
    main()
