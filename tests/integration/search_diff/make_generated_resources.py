#!/usr/bin/env python3
"""Writes generated_resources.json for the search differential test (stdlib only).

Usage: make_generated_resources.py > generated_resources.json

A collection Bundle of varied resources with fixed ids that Synthea lacks or has little
variety in: HealthcareService, Schedule, Slot and Appointment (Synthea has none), names and
addresses with accents and case variants, Identifier without system, meta tag / security /
source / profile, Period and Timing dates with several time-zone offsets, Encounter.length,
Condition onset as Age and Range, Observations with components, valueCodeableConcept,
valueString and valueDateTime (for the composite parameters), positions for Location near.
References point at these resources or at the demo clinic (fhir-core/server/demo/clinic.json),
which the test loads first. Deterministic: the output is checked in and reviewed.
"""
import json
import random

rng = random.Random(4)
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SPECIALTIES = [("394814009", "General practice"), ("394579002", "Cardiology"),
               ("394537008", "Pediatric specialty"), ("394582007", "Dermatology"),
               ("394585009", "Obstetrics and gynecology")]
SERVICE_TYPES = [("124", "General Practice"), ("165", "Cardiology"), ("200", "Paediatric Medicine")]
CATEGORY = "http://terminology.hl7.org/CodeSystem/service-category"
SERVICE_TYPE = "http://terminology.hl7.org/CodeSystem/service-type"
APPT_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0276"
OFFSETS = ["Z", "-08:00", "+05:30", "+01:00", "-04:00"]

PEOPLE = [("Núñez", ["José", "Luis"]), ("Müller", ["Zoë"]), ("Ångström", ["Björn"]),
          ("O'Connor", ["Siobhán"]), ("Dvořák", ["Antonín"]), ("Lefèvre", ["Hélène"]),
          ("Nguyễn", ["Thị", "Lan"]), ("Smith", ["John"]), ("Smyth", ["Jon"]),
          ("García", ["María"]), ("Garcia", ["Maria"]), ("van der Berg", ["Anneke"])]
ORG_NAMES = ["Clínica São José", "Hôpital Saint-Éloi", "Müller Praxis", "Ærø Helse",
             "North Valley Health", "Østfold Sykehus"]
CITIES = ["São Paulo", "Zürich", "Montréal", "Portland", "Kraków", "Malmö"]
# Around Portland (demo clinic), plus far away ones.
POSITIONS = [(45.5231, -122.6765), (45.5301, -122.6502), (45.4870, -122.8037),
             (45.6387, -122.6615), (47.6062, -122.3321), (37.7749, -122.4194),
             (40.7128, -74.0060), (48.8566, 2.3522)]

entries = []


def add(resource):
    entries.append({"resource": resource})


def ref(t, i):
    return {"reference": "%s/%s" % (t, i)}


def coding(system, code, display=None):
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def cc(system, code, display=None):
    return {"coding": [coding(system, code, display)], "text": display or code}


def meta(i):
    m = {}
    if i % 3 == 0:
        m["tag"] = [coding("http://example.org/sdiff-tags", "tag-%d" % (i % 2))]
    if i % 4 == 1:
        m["security"] = [coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")]
    if i % 5 == 2:
        m["source"] = "http://example.org/source/%d" % (i % 3)
    if i % 2 == 0:
        m["profile"] = ["http://example.org/fhir/StructureDefinition/sdiff-%d" % (i % 3)]
    return m


def with_meta(resource, i):
    m = meta(i)
    if m:
        resource["meta"] = m
    return resource


for i, name in enumerate(ORG_NAMES):
    org = {"resourceType": "Organization", "id": "sdiff-org-%d" % i, "active": i != 3,
           "name": name,
           "type": [cc("http://terminology.hl7.org/CodeSystem/organization-type",
                       ["prov", "dept", "team"][i % 3])],
           "identifier": [{"system": "http://example.org/org-ids", "value": "ORG-%03d" % i}]
           if i % 2 == 0 else [{"value": "ORG-NOSYS-%d" % i}],
           "address": [{"use": ["work", "billing"][i % 2], "line": ["%d Rua das Flores" % (i + 1)],
                        "city": CITIES[i], "state": ["SP", "ZH", "QC", "OR", "MA", "M"][i],
                        "postalCode": "%05d" % (1000 + i * 37), "country": "Brasil" if i == 0 else "CH"}],
           "telecom": [{"system": "phone", "value": "+1-555-01%02d" % i}]}
    if i > 1:
        org["partOf"] = ref("Organization", "sdiff-org-%d" % (i % 2))
    add(with_meta(org, i))

for i, pos in enumerate(POSITIONS):
    loc = {"resourceType": "Location", "id": "sdiff-loc-%d" % i,
           "status": ["active", "suspended", "inactive"][i % 3],
           "name": ["Sala Açaí", "Clinique Étoile", "Praxis Süd", "Riverside Annex",
                    "Seattle Heart", "Bay Clinic", "Hudson Care", "Cité Santé"][i],
           "operationalStatus": coding("http://terminology.hl7.org/CodeSystem/v2-0116",
                                       ["O", "U", "C"][i % 3]),
           "type": [cc("http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                       ["HOSP", "OUTPHARM", "PEDC"][i % 3])],
           "address": {"line": ["%d Main St" % (10 * i + 1)], "city": CITIES[i % len(CITIES)],
                       "postalCode": "9%04d" % i, "country": "US"},
           "position": {"latitude": pos[0], "longitude": pos[1]},
           "managingOrganization": ref("Organization", "sdiff-org-%d" % (i % 6)),
           "identifier": [{"system": "http://example.org/loc-ids", "value": "LOC-%d" % i}]}
    if i >= 2:
        loc["partOf"] = ref("Location", "sdiff-loc-%d" % (i % 2))
    add(with_meta(loc, i))

for i, (family, given) in enumerate(PEOPLE):
    prac = {"resourceType": "Practitioner", "id": "sdiff-prac-%d" % i, "active": i % 4 != 3,
            "name": [{"family": family, "given": given, "prefix": ["Dr."] if i % 2 else []}],
            "gender": ["female", "male", "other", "unknown"][i % 4],
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "99%08d" % i}],
            "telecom": [{"system": "phone", "value": "555-02%02d" % i},
                        {"system": "email", "value": "p%d@example.org" % i}],
            "communication": [cc("urn:ietf:bcp:47", ["en", "es", "fr", "de"][i % 4])],
            "address": [{"use": "work", "city": CITIES[i % len(CITIES)], "country": "US",
                         "state": "OR", "postalCode": "97%03d" % i}]}
    if not prac["name"][0]["prefix"]:
        del prac["name"][0]["prefix"]
    add(with_meta(prac, i))

for i in range(12):
    sp = SPECIALTIES[i % len(SPECIALTIES)]
    role = {"resourceType": "PractitionerRole", "id": "sdiff-role-%d" % i, "active": i % 5 != 4,
            "practitioner": ref("Practitioner", "sdiff-prac-%d" % i),
            "organization": ref("Organization", "sdiff-org-%d" % (i % 6)),
            "location": [ref("Location", "sdiff-loc-%d" % (i % 8))],
            "code": [cc("http://terminology.hl7.org/CodeSystem/practitioner-role",
                        ["doctor", "nurse", "pharmacist"][i % 3])],
            "specialty": [cc(SNOMED, sp[0], sp[1])],
            "identifier": [{"system": "http://example.org/role-ids", "value": "ROLE-%d" % i}],
            "telecom": [{"system": "phone", "value": "555-03%02d" % i}],
            "period": {"start": "20%02d-0%d-15" % (10 + i, 1 + i % 9)}}
    if i % 3 == 0:
        role["period"]["end"] = "2030-12-31"
    if i < 8:
        role["healthcareService"] = [ref("HealthcareService", "sdiff-hcs-%d" % i)]
    add(with_meta(role, i))

for i in range(8):
    sp = SPECIALTIES[i % len(SPECIALTIES)]
    st = SERVICE_TYPES[i % len(SERVICE_TYPES)]
    add(with_meta({
        "resourceType": "HealthcareService", "id": "sdiff-hcs-%d" % i, "active": i % 3 != 2,
        "providedBy": ref("Organization", "sdiff-org-%d" % (i % 6)),
        "category": [cc(CATEGORY, ["17", "8", "35"][i % 3])],
        "type": [cc(SERVICE_TYPE, st[0], st[1])],
        "specialty": [cc(SNOMED, sp[0], sp[1])],
        "location": [ref("Location", "sdiff-loc-%d" % i)],
        "coverageArea": [ref("Location", "sdiff-loc-%d" % ((i + 1) % 8))],
        "name": ["Atención Primaria", "Cardiologie", "Kinderärzte", "Dermatology Plus",
                 "Women's Health", "Ñandú Care", "Primary Care East", "Heart Center"][i],
        "characteristic": [cc("http://example.org/characteristic", ["wheelchair", "parking"][i % 2])],
        "program": [cc("http://example.org/program", "prog-%d" % (i % 3))],
        "identifier": [{"system": "http://example.org/hcs-ids", "value": "HCS-%d" % i}]}, i))

for i in range(10):
    sp = SPECIALTIES[i % len(SPECIALTIES)]
    st = SERVICE_TYPES[i % len(SERVICE_TYPES)]
    actors = [ref("PractitionerRole", "sdiff-role-%d" % i),
              ref("Practitioner", "sdiff-prac-%d" % i)]
    if i % 2 == 0:
        actors.append(ref("Location", "sdiff-loc-%d" % (i % 8)))
    sched = {"resourceType": "Schedule", "id": "sdiff-sched-%d" % i, "active": i % 4 != 3,
             "actor": actors,
             "serviceCategory": [cc(CATEGORY, "17")],
             "serviceType": [cc(SERVICE_TYPE, st[0], st[1])],
             "specialty": [cc(SNOMED, sp[0], sp[1])],
             "identifier": [{"system": "http://example.org/sched-ids", "value": "SCHED-%d" % i}],
             "planningHorizon": {"start": "2026-%02d-01T00:00:00%s" % (1 + i % 12, OFFSETS[i % 5]),
                                 "end": "2026-%02d-28T00:00:00%s" % (1 + i % 12, OFFSETS[i % 5])}}
    if i == 9:
        del sched["planningHorizon"]["end"]
    add(with_meta(sched, i))

for i in range(60):
    sched = i % 10
    day = 1 + (i * 7) % 28
    month = 1 + (i * 5) % 12
    hour = 7 + (i * 3) % 12
    off = OFFSETS[i % 5]
    st = SERVICE_TYPES[sched % len(SERVICE_TYPES)]
    slot = {"resourceType": "Slot", "id": "sdiff-slot-%d" % i,
            "schedule": ref("Schedule", "sdiff-sched-%d" % sched),
            "status": ["free", "busy", "free", "busy-unavailable", "busy-tentative"][i % 5],
            "start": "2026-%02d-%02dT%02d:%02d:00%s" % (month, day, hour, (i * 10) % 60, off),
            "end": "2026-%02d-%02dT%02d:%02d:00%s" % (month, day, hour + 1, (i * 10) % 60, off),
            "serviceType": [cc(SERVICE_TYPE, st[0], st[1])],
            "specialty": [cc(SNOMED, *SPECIALTIES[sched % len(SPECIALTIES)])],
            "appointmentType": cc(APPT_TYPE, ["ROUTINE", "FOLLOWUP", "WALKIN"][i % 3])}
    if i % 7 == 0:
        slot["identifier"] = [{"system": "http://example.org/slot-ids", "value": "SLOT-%d" % i}]
    if i % 11 == 0:
        slot["serviceCategory"] = [cc(CATEGORY, "17")]
    add(with_meta(slot, i))

PATIENTS = []
for i, (family, given) in enumerate(PEOPLE[:6]):
    pid = "sdiff-pat-%d" % i
    PATIENTS.append(pid)
    pat = {"resourceType": "Patient", "id": pid, "active": i != 2,
           "name": [{"use": "official", "family": family, "given": given}],
           "gender": ["female", "male"][i % 2], "birthDate": ["1950", "1984-07", "2001-02-28",
                                                              "1999-12-31", "1975-06-15", "2020-01-01"][i],
           "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "MRN-%d" % i},
                          {"type": cc("http://terminology.hl7.org/CodeSystem/v2-0203", "MR"),
                           "value": "LOCAL-%d" % i}],
           "telecom": [{"system": "phone", "value": "555-04%02d" % i, "use": "home"},
                       {"system": "email", "value": "patient%d@example.org" % i}],
           "address": [{"use": ["home", "work"][i % 2], "line": ["%d Calle Mayor" % i],
                        "city": CITIES[i], "postalCode": "%05d" % (2000 + i), "country": "España"}],
           "generalPractitioner": [ref("Practitioner", "sdiff-prac-%d" % i)],
           "managingOrganization": ref("Organization", "sdiff-org-%d" % (i % 6)),
           "communication": [{"language": cc("urn:ietf:bcp:47", ["es", "de", "fr"][i % 3])}]}
    if i == 1:
        pat["deceasedDateTime"] = "2024-03-01T10:00:00+01:00"
    elif i == 3:
        pat["deceasedBoolean"] = True
    if i == 4:
        pat["link"] = [{"other": ref("Patient", "sdiff-pat-0"), "type": "seealso"}]
    add(with_meta(pat, i))

for i in range(4):
    pid = PATIENTS[i]
    cond = {"resourceType": "Condition", "id": "sdiff-cond-%d" % i,
            "subject": ref("Patient", pid),
            "code": cc(SNOMED, ["38341003", "44054006", "195662009", "162864005"][i]),
            "clinicalStatus": cc("http://terminology.hl7.org/CodeSystem/condition-clinical",
                                 ["active", "resolved"][i % 2]),
            "verificationStatus": cc("http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                     "confirmed"),
            "category": [cc("http://terminology.hl7.org/CodeSystem/condition-category",
                            "problem-list-item")],
            "severity": cc(SNOMED, ["24484000", "6736007"][i % 2]),
            "bodySite": [cc(SNOMED, "368209003")] if i % 2 else [],
            "recordedDate": "2025-0%d-1%dT08:30:00-05:00" % (i + 1, i),
            "asserter": ref("Practitioner", "sdiff-prac-%d" % i),
            "stage": [{"summary": cc(SNOMED, "786005")}] if i == 0 else [],
            "evidence": [{"code": [cc(SNOMED, "271737000")],
                          "detail": [ref("Observation", "sdiff-obs-%d" % i)]}] if i < 2 else []}
    if i == 0:
        cond["onsetAge"] = {"value": 52, "unit": "a", "system": UCUM, "code": "a"}
        cond["abatementString"] = "Remission after treatment"
    elif i == 1:
        cond["onsetRange"] = {"low": {"value": 30, "unit": "a", "system": UCUM, "code": "a"},
                              "high": {"value": 40.5, "unit": "a", "system": UCUM, "code": "a"}}
        cond["abatementAge"] = {"value": 41, "unit": "a", "system": UCUM, "code": "a"}
    elif i == 2:
        cond["onsetPeriod"] = {"start": "2019-05-01", "end": "2019-06-15"}
        cond["abatementDateTime"] = "2020-01-01T00:00:00Z"
    else:
        cond["onsetString"] = "Since childhood"
    for k in [k for k, v in cond.items() if v == []]:
        del cond[k]
    add(with_meta(cond, i))

for i in range(6):
    pid = PATIENTS[i % 4]
    obs = {"resourceType": "Observation", "id": "sdiff-obs-%d" % i,
           "status": ["final", "amended", "preliminary"][i % 3],
           "subject": ref("Patient", pid),
           "performer": [ref("Practitioner", "sdiff-prac-%d" % i)],
           "category": [cc("http://terminology.hl7.org/CodeSystem/observation-category",
                           ["vital-signs", "laboratory", "social-history"][i % 3])]}
    if i in (0, 1):
        obs["code"] = cc(LOINC, "85354-9", "Blood pressure panel")
        obs["effectiveDateTime"] = "2026-0%d-0%dT09:1%d:00+02:00" % (i + 3, i + 4, i)
        obs["component"] = [
            {"code": cc(LOINC, "8480-6", "Systolic"),
             "valueQuantity": {"value": [120, 141.5][i], "unit": "mm[Hg]", "system": UCUM,
                               "code": "mm[Hg]"}},
            {"code": cc(LOINC, "8462-4", "Diastolic"),
             "valueQuantity": {"value": [80, 92][i], "unit": "mm[Hg]", "system": UCUM,
                               "code": "mm[Hg]"}}]
        obs["method"] = cc(SNOMED, "37931006")
    elif i == 2:
        obs["code"] = cc(LOINC, "72166-2", "Tobacco smoking status")
        obs["valueCodeableConcept"] = cc(SNOMED, "266919005", "Never smoker")
        obs["effectivePeriod"] = {"start": "2025-11-01T10:00:00Z", "end": "2025-11-01T10:30:00Z"}
        obs["hasMember"] = [ref("Observation", "sdiff-obs-0")]
        obs["component"] = [{"code": cc(LOINC, "88031-0", "Smokeless tobacco status"),
                             "valueCodeableConcept": cc(SNOMED, "8517006", "Ex-smoker")},
                            {"code": cc(LOINC, "8693-4", "Tobacco use"),
                             "dataAbsentReason": cc(
                                 "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                 "unknown")}]
    elif i == 3:
        obs["code"] = cc(LOINC, "8302-2", "Body height")
        obs["dataAbsentReason"] = cc("http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                     "asked-declined")
        obs["effectiveInstant"] = "2026-02-02T02:02:02.123Z"
        obs["derivedFrom"] = [ref("Observation", "sdiff-obs-1")]
    elif i == 4:
        obs["code"] = cc(LOINC, "11369-6", "History of immunization")
        obs["valueString"] = "Vacunación completa según calendario"
        obs["effectiveDateTime"] = "2024"
        obs["focus"] = [ref("Condition", "sdiff-cond-0")]
    else:
        obs["code"] = cc(LOINC, "21112-8", "Birth date")
        obs["valueDateTime"] = "1984-07-14"
        obs["effectiveDateTime"] = "2026-11-30T23:30:00-08:00"
        obs["partOf"] = []
        del obs["partOf"]
    add(with_meta(obs, i))

for i in range(3):
    pid = PATIENTS[i]
    add(with_meta({
        "resourceType": "Encounter", "id": "sdiff-enc-%d" % i,
        "status": ["finished", "in-progress", "planned"][i],
        "class": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", ["AMB", "IMP", "VR"][i]),
        "type": [cc(SNOMED, "185349003")],
        "subject": ref("Patient", pid),
        "participant": [{"type": [cc("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                     ["PPRF", "ATND", "CON"][i])],
                         "individual": ref("Practitioner", "sdiff-prac-%d" % i),
                         "period": {"start": "2026-05-0%dT10:00:00Z" % (i + 1)}}],
        "period": {"start": "2026-05-0%dT10:00:00-07:00" % (i + 1),
                   "end": "2026-05-0%dT11:15:00-07:00" % (i + 1)},
        "length": {"value": [75, 1440, 30][i], "unit": "min", "system": UCUM, "code": "min"},
        "reasonCode": [cc(SNOMED, "38341003")],
        "diagnosis": [{"condition": ref("Condition", "sdiff-cond-%d" % i)}],
        "location": [{"location": ref("Location", "sdiff-loc-%d" % i),
                      "period": {"start": "2026-05-0%dT10:05:00-07:00" % (i + 1)}}],
        "serviceProvider": ref("Organization", "sdiff-org-%d" % i),
        "specialArrangement": [cc("http://terminology.hl7.org/CodeSystem/encounter-special-arrangements",
                                  "wheel")] if i == 0 else [{"text": "none"}],
        "appointment": [ref("Appointment", "sdiff-appt-%d" % i)]}, i))

for i in range(20):
    pid = PATIENTS[i % 6]
    slot = i * 3
    if slot % 5 == 3:  # busy-unavailable: PostgreSQL refuses to book it (ADR 0010)
        slot += 1
    sp = SPECIALTIES[i % len(SPECIALTIES)]
    st = SERVICE_TYPES[i % len(SERVICE_TYPES)]
    day = 1 + (i * 3) % 28
    off = OFFSETS[i % 5]
    appt = {"resourceType": "Appointment", "id": "sdiff-appt-%d" % i,
            "status": ["booked", "pending", "proposed", "cancelled", "fulfilled"][i % 5],
            "serviceCategory": [cc(CATEGORY, "17")],
            "serviceType": [cc(SERVICE_TYPE, st[0], st[1])],
            "specialty": [cc(SNOMED, sp[0], sp[1])],
            "appointmentType": cc(APPT_TYPE, ["ROUTINE", "FOLLOWUP", "WALKIN"][i % 3]),
            "reasonCode": [cc(SNOMED, ["38341003", "44054006"][i % 2])],
            "description": "Visita de control %d" % i,
            "slot": [ref("Slot", "sdiff-slot-%d" % slot)],
            "participant": [
                {"actor": ref("Patient", pid), "status": "accepted"},
                {"actor": ref("Practitioner", "sdiff-prac-%d" % (i % 12)),
                 "status": ["accepted", "tentative", "needs-action"][i % 3]}]}
    # R4 app-3: only proposed and cancelled appointments may lack start and end.
    if i % 4 != 3 or appt["status"] not in ("proposed", "cancelled"):
        appt["start"] = "2026-%02d-%02dT%02d:00:00%s" % (1 + i % 12, day, 8 + i % 9, off)
        appt["end"] = "2026-%02d-%02dT%02d:30:00%s" % (1 + i % 12, day, 8 + i % 9, off)
    if i % 2 == 0:
        appt["participant"].append({"actor": ref("Location", "sdiff-loc-%d" % (i % 8)),
                                    "status": "accepted"})
    if i % 5 == 0:
        appt["reasonReference"] = [ref("Condition", "sdiff-cond-%d" % (i % 4))]
        appt["supportingInfo"] = [ref("Observation", "sdiff-obs-%d" % (i % 6))]
    if i % 6 == 1:
        appt["identifier"] = [{"system": "http://example.org/appt-ids", "value": "APPT-%d" % i}]
    add(with_meta(appt, i))

# One entry a line, so that a review diff shows which resources changed.
print('{"resourceType": "Bundle", "type": "collection", "entry": [')
print(",\n".join(json.dumps(e, ensure_ascii=False) for e in entries))
print("]}")
