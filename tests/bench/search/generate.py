#!/usr/bin/env python3
"""Writes the search benchmark's data set: >= 1,000,000 resources shaped like Synthea.

Usage: generate.py OUT_DIR [--patients N] [--seed S]

Stdlib only. Output (NDJSON, every resource with a fixed id, which `hestia import` loads as
PUT Type/id inside transactions of bundle.max_entries resources):
  OUT_DIR/resources/shared/01-Organization.ndjson … 06-Slot.ndjson   phase 1 of the import (no Patient
      and no Patient/… reference): organizations, locations with positions, practitioners
      with names, practitioner roles with SNOMED specialties, schedules, slots (free/busy).
  OUT_DIR/resources/patients/patients-NNNN.ndjson                      phase 2, loaded in parallel: per
      patient a Patient, encounters, observations (LOINC codes, valueQuantity in UCUM,
      effectiveDateTime spread over 2010-2025), conditions and appointments.
  OUT_DIR/values.json   (beside resources/, so that the import does not see it) values that occur in the data, for the query driver (search_measure.py).
Prints the number of resources written.

With the default 10,000 patients: 34,000 shared resources + 10,000 x 97 patient resources
= 1,004,000 resources (~600 MB).
"""
import argparse
import datetime
import json
import os
import random

LOINC = [  # code, display, unit, low, high
    ("8302-2", "Body Height", "cm", 50, 200), ("29463-7", "Body Weight", "kg", 3, 150),
    ("39156-5", "Body mass index", "kg/m2", 14, 45), ("8462-4", "Diastolic Blood Pressure",
                                                      "mm[Hg]", 50, 110),
    ("8480-6", "Systolic Blood Pressure", "mm[Hg]", 90, 190), ("8867-4", "Heart rate", "/min", 45, 140),
    ("9279-1", "Respiratory rate", "/min", 10, 30), ("2339-0", "Glucose", "mg/dL", 60, 250),
    ("6299-2", "Urea nitrogen", "mg/dL", 5, 40), ("38483-4", "Creatinine", "mg/dL", 0.4, 2.5),
    ("49765-1", "Calcium", "mg/dL", 8, 11), ("2947-0", "Sodium", "mmol/L", 130, 150),
    ("6298-4", "Potassium", "mmol/L", 3, 6), ("2069-3", "Chloride", "mmol/L", 95, 110),
    ("20565-8", "Carbon dioxide", "mmol/L", 20, 32), ("2093-3", "Cholesterol", "mg/dL", 120, 300),
    ("2571-8", "Triglycerides", "mg/dL", 50, 400), ("18262-6", "LDL Cholesterol", "mg/dL", 50, 200),
    ("2085-9", "HDL Cholesterol", "mg/dL", 25, 90), ("4548-4", "Hemoglobin A1c", "%", 4, 12),
    ("718-7", "Hemoglobin", "g/dL", 9, 18), ("6690-2", "Leukocytes", "10*3/uL", 3, 15),
    ("777-3", "Platelets", "10*3/uL", 120, 450), ("72514-3", "Pain severity", "{score}", 0, 10),
]
CONDITIONS = [
    ("44054006", "Diabetes"), ("38341003", "Hypertension"), ("195662009", "Acute viral pharyngitis"),
    ("10509002", "Acute bronchitis"), ("162864005", "Body mass index 30+ - obesity"),
    ("15777000", "Prediabetes"), ("40055000", "Chronic sinusitis"), ("444814009", "Viral sinusitis"),
    ("271737000", "Anemia"), ("59621000", "Essential hypertension"), ("233604007", "Pneumonia"),
    ("36971009", "Sinusitis"), ("65363002", "Otitis media"), ("43878008", "Streptococcal sore throat"),
    ("49727002", "Cough"), ("267036007", "Dyspnea"), ("68496003", "Polyp of colon"),
    ("128613002", "Seizure disorder"), ("55822004", "Hyperlipidemia"), ("230690007", "Stroke"),
]
SPECIALTIES = [
    ("394814009", "General practice"), ("394579002", "Cardiology"), ("394537008", "Pediatric specialty"),
    ("394582007", "Dermatology"), ("394585009", "Obstetrics and gynecology"),
    ("394591006", "Neurology"), ("394583002", "Endocrinology"), ("394584008", "Gastroenterology"),
    ("394589003", "Nephrology"), ("394592004", "Clinical oncology"), ("394609007", "General surgery"),
    ("394612005", "Urology"), ("394611003", "Ophthalmology"), ("394801008", "Trauma and orthopedics"),
    ("394587001", "Psychiatry"),
]
ENCOUNTER_TYPES = [("185349003", "Encounter for check up"), ("185345009", "Encounter for symptom"),
                   ("410620009", "Well child visit"), ("162673000", "General examination")]
SYLLABLES = ["an", "ber", "cor", "dan", "el", "fal", "gor", "han", "is", "jen", "kor", "lin",
             "mar", "nor", "ol", "per", "quin", "ros", "sal", "tor", "ul", "ven", "wil", "yar", "zan"]
GIVEN = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
         "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
         "Carlos", "María", "José", "Zoë", "Björn", "Hélène", "Wei", "Aisha", "Mateo", "Linh"]
CITIES = [("Boston", "MA", 42.36, -71.06), ("Worcester", "MA", 42.26, -71.80),
          ("Springfield", "MA", 42.10, -72.59), ("Lowell", "MA", 42.63, -71.32),
          ("Cambridge", "MA", 42.37, -71.11), ("Brockton", "MA", 42.08, -71.02),
          ("Portland", "OR", 45.52, -122.68), ("Seattle", "WA", 47.61, -122.33),
          ("Chicago", "IL", 41.88, -87.63), ("Austin", "TX", 30.27, -97.74)]
EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
ZONE = datetime.timezone(datetime.timedelta(hours=-5))
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
MRN = "https://bench.hestia.example/mrn"
NPI = "http://hl7.org/fhir/sid/us-npi"
SERVICE_TYPE = "http://terminology.hl7.org/CodeSystem/service-type"


def surname(n):
    """A distinct surname per n < 25**3 (Synthea-like: a word and digits)."""
    s = SYLLABLES[n % 25] + SYLLABLES[(n // 25) % 25] + SYLLABLES[(n // 625) % 25]
    return s.capitalize() + str(n % 97)


def cc(system, code, display):
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def ref(t, i):
    return {"reference": "%s/%s" % (t, i)}


def iso(ts):
    """Seconds since 2000-01-01 UTC → dateTime text with a -05:00 offset (Synthea writes zones)."""
    d = EPOCH + datetime.timedelta(seconds=ts)
    return d.astimezone(ZONE).isoformat(timespec="seconds")


class Writer:
    def __init__(self, path):
        self.f = open(path, "w", encoding="utf-8")
        self.count = 0

    def add(self, resource):
        self.f.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
        self.f.write("\n")
        self.count += 1

    def close(self):
        self.f.close()
        return self.count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--patients", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    shared_dir = os.path.join(args.out, "resources", "shared")
    patient_dir = os.path.join(args.out, "resources", "patients")
    os.makedirs(shared_dir, exist_ok=True)
    os.makedirs(patient_dir, exist_ok=True)
    scale = max(1, args.patients // 20)  # shared resources grow with the patient count
    n_org, n_loc, n_prac = scale, scale * 2, scale * 5
    total = 0
    values = {"family": [], "mrn": [], "loinc": [c[0] for c in LOINC], "practitioner": [],
              "specialty": [s[0] for s in SPECIALTIES], "position": [], "condition":
              [c[0] for c in CONDITIONS]}

    w = Writer(os.path.join(shared_dir, "01-Organization.ndjson"))
    for i in range(n_org):
        city = CITIES[i % len(CITIES)]
        w.add({"resourceType": "Organization", "id": "org%d" % i, "active": True,
               "identifier": [{"system": "https://github.com/synthetichealth/synthea",
                               "value": "org-%06d" % i}],
               "type": [cc("http://terminology.hl7.org/CodeSystem/organization-type", "prov",
                           "Healthcare Provider")],
               "name": "%s %s HEALTH CENTER" % (surname(i * 7).upper(), city[0].upper()),
               "telecom": [{"system": "phone", "value": "555-%07d" % i}],
               "address": [{"line": ["%d MAIN STREET" % (i + 1)], "city": city[0],
                            "state": city[1], "postalCode": "%05d" % (1000 + i % 9000),
                            "country": "US"}]})
    total += w.close()

    w = Writer(os.path.join(shared_dir, "02-Location.ndjson"))
    for i in range(n_loc):
        city = CITIES[i % len(CITIES)]
        lat = city[2] + rng.uniform(-0.5, 0.5)
        lon = city[3] + rng.uniform(-0.5, 0.5)
        if i < 200:
            values["position"].append([round(lat, 6), round(lon, 6)])
        w.add({"resourceType": "Location", "id": "loc%d" % i, "status": "active",
               "identifier": [{"system": "https://github.com/synthetichealth/synthea",
                               "value": "loc-%06d" % i}],
               "name": "%s CLINIC %d" % (city[0].upper(), i),
               "telecom": [{"system": "phone", "value": "555-%07d" % (i + 5000000)}],
               "address": {"line": ["%d HOSPITAL ROAD" % (i + 1)], "city": city[0],
                           "state": city[1], "postalCode": "%05d" % (1000 + i % 9000),
                           "country": "US"},
               "position": {"latitude": round(lat, 6), "longitude": round(lon, 6)},
               "managingOrganization": ref("Organization", "org%d" % (i % n_org))})
    total += w.close()

    w = Writer(os.path.join(shared_dir, "03-Practitioner.ndjson"))
    for i in range(n_prac):
        w.add({"resourceType": "Practitioner", "id": "pr%d" % i, "active": True,
               "identifier": [{"system": NPI, "value": "%010d" % (1000000000 + i)}],
               "name": [{"family": surname(i * 13 + 5), "given": [GIVEN[i % len(GIVEN)]],
                         "prefix": ["Dr."]}],
               "telecom": [{"system": "email", "value": "pr%d@example.com" % i, "use": "work"}],
               "address": [{"line": ["%d HOSPITAL ROAD" % (i % 500)],
                            "city": CITIES[i % len(CITIES)][0], "state": CITIES[i % len(CITIES)][1],
                            "country": "US"}],
               "gender": "female" if i % 2 else "male"})
        if i < 500:
            values["practitioner"].append("pr%d" % i)
    total += w.close()

    w = Writer(os.path.join(shared_dir, "04-PractitionerRole.ndjson"))
    for i in range(n_prac):
        sp = SPECIALTIES[i % len(SPECIALTIES)]
        w.add({"resourceType": "PractitionerRole", "id": "role%d" % i, "active": True,
               "practitioner": ref("Practitioner", "pr%d" % i),
               "organization": ref("Organization", "org%d" % (i % n_org)),
               "location": [ref("Location", "loc%d" % (i % n_loc))],
               "code": [cc("http://nucc.org/provider-taxonomy", "208D00000X", "General Practice")],
               "specialty": [cc(SNOMED, sp[0], sp[1])],
               "telecom": [{"system": "phone", "value": "555-%07d" % i}]})
    total += w.close()

    # One schedule per practitioner; 10 half-hour slots each over the 60 days from 2026-12-01.
    slot_start = int((datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc) - EPOCH)
                     .total_seconds())
    w = Writer(os.path.join(shared_dir, "05-Schedule.ndjson"))
    for i in range(n_prac):
        sp = SPECIALTIES[i % len(SPECIALTIES)]
        w.add({"resourceType": "Schedule", "id": "sch%d" % i, "active": True,
               "serviceType": [cc(SERVICE_TYPE, "124", "General Practice")],
               "specialty": [cc(SNOMED, sp[0], sp[1])],
               "actor": [ref("Practitioner", "pr%d" % i), ref("PractitionerRole", "role%d" % i),
                         ref("Location", "loc%d" % (i % n_loc))],
               "planningHorizon": {"start": iso(slot_start), "end": iso(slot_start + 60 * 86400)}})
    total += w.close()

    # Ten slots per practitioner on ten different days (so one practitioner's slots never
    # overlap); patient p books slot (p % n_prac, p // n_prac), which is then busy. PostgreSQL
    # refuses overlapping or repeated bookings (docs/adr/0010-scheduling.md).
    booked_per_prac = (args.patients + n_prac - 1) // n_prac
    slot_times = {}
    w = Writer(os.path.join(shared_dir, "06-Slot.ndjson"))
    for i in range(n_prac):
        for k in range(10):
            start = (slot_start + (k * 6 + rng.randrange(6)) * 86400 + (8 * 3600) +
                     rng.randrange(16) * 1800)
            slot_times[(i, k)] = start
            w.add({"resourceType": "Slot", "id": "sl%d-%d" % (i, k),
                   "schedule": ref("Schedule", "sch%d" % i),
                   "status": "busy" if k < booked_per_prac else "free",
                   "serviceType": [cc(SERVICE_TYPE, "124", "General Practice")],
                   "start": iso(start), "end": iso(start + 1800)})
    total += w.close()

    per_file = 100
    w = None
    for p in range(args.patients):
        if p % per_file == 0:
            if w is not None:
                total += w.close()
            w = Writer(os.path.join(patient_dir, "patients-%04d.ndjson" % (p // per_file)))
        pid = "p%d" % p
        family = surname(p)
        given = GIVEN[(p * 7) % len(GIVEN)]
        city = CITIES[p % len(CITIES)]
        if p % 47 == 0:
            values["family"].append(family)
            values["mrn"].append("MRN%07d" % p)
        birth = rng.randrange(-60 * 365, 20 * 365) * 86400
        w.add({"resourceType": "Patient", "id": pid,
               "identifier": [{"system": MRN, "value": "MRN%07d" % p},
                              {"system": "http://hl7.org/fhir/sid/us-ssn",
                               "value": "999-%02d-%04d" % (p % 100, p % 10000)}],
               "name": [{"use": "official", "family": family, "given": [given],
                         "prefix": ["Mr." if p % 2 else "Ms."]}],
               "telecom": [{"system": "phone", "value": "555-%03d-%04d" % (p % 1000, p % 10000),
                            "use": "home"}],
               "gender": "male" if p % 2 else "female",
               "birthDate": iso(birth)[:10],
               "address": [{"line": ["%d Elm Street" % (p % 999 + 1)], "city": city[0],
                            "state": city[1], "postalCode": "%05d" % (1000 + p % 9000),
                            "country": "US"}],
               "generalPractitioner": [ref("Practitioner", "pr%d" % (p % n_prac))],
               "managingOrganization": ref("Organization", "org%d" % (p % n_org))})
        encounters = 10
        for e in range(encounters):
            eid = "e%d-%d" % (p, e)
            start = rng.randrange(10 * 365, 26 * 365) * 86400 + rng.randrange(8, 18) * 3600
            et = ENCOUNTER_TYPES[(p + e) % len(ENCOUNTER_TYPES)]
            prac = (p * 3 + e) % n_prac
            w.add({"resourceType": "Encounter", "id": eid, "status": "finished",
                   "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                             "code": "AMB"},
                   "type": [cc(SNOMED, et[0], et[1])],
                   "subject": ref("Patient", pid),
                   "participant": [{"individual": ref("Practitioner", "pr%d" % prac)}],
                   "period": {"start": iso(start), "end": iso(start + 1800)},
                   "location": [{"location": ref("Location", "loc%d" % (prac % n_loc))}],
                   "serviceProvider": ref("Organization", "org%d" % (prac % n_org))})
            for o in range(8):
                code, display, unit, low, high = LOINC[(p + e * 8 + o) % len(LOINC)]
                value = round(rng.uniform(low, high), 1)
                w.add({"resourceType": "Observation", "id": "o%d-%d-%d" % (p, e, o),
                       "status": "final",
                       "category": [cc("http://terminology.hl7.org/CodeSystem/observation-category",
                                       "vital-signs" if o < 4 else "laboratory",
                                       "Vital signs" if o < 4 else "Laboratory")],
                       "code": cc("http://loinc.org", code, display),
                       "subject": ref("Patient", pid), "encounter": ref("Encounter", eid),
                       "effectiveDateTime": iso(start + o * 60), "issued": iso(start + o * 60),
                       "valueQuantity": {"value": value, "unit": unit, "system": UCUM,
                                         "code": unit}})
        for c in range(5):
            code, display = CONDITIONS[(p * 5 + c) % len(CONDITIONS)]
            onset = rng.randrange(10 * 365, 26 * 365) * 86400
            w.add({"resourceType": "Condition", "id": "c%d-%d" % (p, c),
                   "clinicalStatus": cc("http://terminology.hl7.org/CodeSystem/condition-clinical",
                                        "active" if c % 3 else "resolved",
                                        "active" if c % 3 else "resolved"),
                   "verificationStatus": cc(
                       "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed",
                       "confirmed"),
                   "category": [cc("http://terminology.hl7.org/CodeSystem/condition-category",
                                   "encounter-diagnosis", "Encounter Diagnosis")],
                   "code": cc(SNOMED, code, display), "subject": ref("Patient", pid),
                   "encounter": ref("Encounter", "e%d-%d" % (p, c)),
                   "onsetDateTime": iso(onset), "recordedDate": iso(onset)})
        # Each patient books one slot of one practitioner, at that slot's time. (The
        # schedules' locations are clinic sites shared by several practitioners, so they are
        # not booked as participants: a booked Location is a room that takes one appointment.)
        prac = p % n_prac
        sp = SPECIALTIES[prac % len(SPECIALTIES)]
        start = slot_times[(prac, (p // n_prac) % 10)]
        w.add({"resourceType": "Appointment", "id": "a%d" % p,
               "status": "booked",
               "serviceType": [cc(SERVICE_TYPE, "124", "General Practice")],
               "specialty": [cc(SNOMED, sp[0], sp[1])],
               "start": iso(start), "end": iso(start + 1800),
               "slot": [ref("Slot", "sl%d-%d" % (prac, (p // n_prac) % 10))],
               "participant": [{"actor": ref("Patient", pid), "status": "accepted"},
                               {"actor": ref("Practitioner", "pr%d" % prac), "status": "accepted"}]})
    if w is not None:
        total += w.close()

    values["slot_window"] = [iso(slot_start)[:10], iso(slot_start + 60 * 86400)[:10]]
    values["date_range"] = [iso(10 * 365 * 86400)[:10], iso(26 * 365 * 86400)[:10]]
    with open(os.path.join(args.out, "values.json"), "w", encoding="utf-8") as f:
        json.dump(values, f, ensure_ascii=False)
    print(total)


if __name__ == "__main__":
    main()
