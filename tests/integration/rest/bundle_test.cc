// batch and transaction Bundles over real HTTP and PostgreSQL: urn:uuid/urn:oid references,
// conditional references, all-or-nothing atomicity, processing order, duplicate targets,
// ifNoneExist/ifMatch per entry, batch independence, and the entry limit.
// FHIR R4: http://hl7.org/fhir/R4/http.html#transaction, #trules, #brules
#include <algorithm>
#include <random>
#include <set>

#include "fixture.h"
#include "hestia/base/id.h"

namespace hestia::testing {
namespace {

std::string Entry(const std::string& method, const std::string& url,
                  const std::string& resource = "", const std::string& full_url = "",
                  const std::string& extra_request = "") {
  std::string e = "{";
  if (!full_url.empty()) e += R"("fullUrl":")" + full_url + R"(",)";
  if (!resource.empty()) e += R"("resource":)" + resource + ",";
  e += R"("request":{"method":")" + method + R"(","url":")" + url + "\"" + extra_request + "}}";
  return e;
}

std::string MakeBundle(const std::string& type, const std::vector<std::string>& entries) {
  std::string b = R"({"resourceType":"Bundle","type":")" + type + R"(","entry":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) b += (i ? "," : "") + entries[i];
  return b + "]}";
}

std::string Identified(const std::string& type, const std::string& value,
                       const std::string& more = "") {
  return R"({"resourceType":")" + type + R"(","identifier":[{"system":"urn:test","value":")" +
         value + "\"}]" + more + "}";
}

long long Total(HttpClient& c, const std::string& url) {
  HttpResponse r = Send(c, "GET", url);
  EXPECT_EQ(r.status, 200) << url << ": " << r.body;
  json::Document doc = ParseBody(r);
  const json::Value* total = json::Member(doc, "total");
  return total != nullptr && total->IsInt64() ? total->GetInt64() : -1;
}

// Entry i's response.status text ("201 Created").
std::string EntryStatus(const json::Document& bundle, unsigned i) {
  return std::string(json::StringMember(bundle["entry"][i]["response"], "status"));
}

// "Type/id" from an entry's response.location ("Type/id/_history/1").
std::string EntryRef(const json::Document& bundle, unsigned i) {
  std::string loc(json::StringMember(bundle["entry"][i]["response"], "location"));
  return loc.substr(0, loc.find("/_history"));
}

TEST(TransactionTest, ResolvesUrnReferencesEverywhere) {
  HttpClient c = Client();
  const std::string tag = Unique("tx-urn");
  const std::string patient_urn = "urn:uuid:" + NewId();
  const std::string encounter_urn =
      "urn:oid:1.2.3." + std::to_string(std::random_device{}() % 100000);
  const std::string observation =
      R"({"resourceType":"Observation","status":"final",)"
      R"("code":{"text":"x"},"identifier":[{"system":"urn:test","value":")" +
      tag + R"("}],"subject":{"reference":")" + patient_urn + R"("},"encounter":{"reference":")" +
      encounter_urn +
      R"("},"extension":[{"url":"http://example.org/x",)"
      R"("valueReference":{"reference":")" +
      patient_urn +
      R"("}}],"contained":[{"resourceType":"Provenance","id":"p1",)"
      R"("recorded":"2020-01-01T00:00:00Z","target":[{"reference":")" +
      patient_urn + R"("}],"agent":[{"who":{"reference":")" + encounter_urn + R"("}}]}]})";
  const std::string bundle = MakeBundle(
      "transaction",
      {Entry("POST", "Observation", observation, "urn:uuid:" + NewId()),
       Entry("GET", "Patient?identifier=urn:test|" + tag),
       Entry("POST", "Patient", Identified("Patient", tag), patient_urn),
       Entry("POST", "Encounter",
             Identified("Encounter", tag,
                        R"(,"status":"finished","class":{"code":"AMB"},"subject":{"reference":")" +
                            patient_urn + R"("})"),
             encounter_urn)});
  HttpResponse r = Send(c, "POST", "/fhir", kJson, bundle);
  ASSERT_EQ(r.status, 200) << r.body;
  json::Document out = ParseBody(r);
  EXPECT_EQ(json::StringMember(out, "type"), "transaction-response");
  ASSERT_EQ(out["entry"].Size(), 4u);
  EXPECT_EQ(EntryStatus(out, 0), "201 Created");
  EXPECT_EQ(EntryStatus(out, 1), "200 OK");
  EXPECT_EQ(EntryStatus(out, 2), "201 Created");
  EXPECT_EQ(EntryStatus(out, 3), "201 Created");
  // The GET entry ran after the writes and sees the new Patient.
  EXPECT_EQ(out["entry"][1]["resource"]["total"].GetInt64(), 1);
  const std::string patient = EntryRef(out, 2);
  const std::string encounter = EntryRef(out, 3);
  ASSERT_EQ(patient.rfind("Patient/", 0), 0u) << patient;
  ASSERT_EQ(encounter.rfind("Encounter/", 0), 0u) << encounter;

  HttpResponse stored = Send(c, "GET", "/fhir/" + EntryRef(out, 0));
  ASSERT_EQ(stored.status, 200);
  json::Document obs = ParseBody(stored);
  EXPECT_EQ(json::StringMember(obs["subject"], "reference"), patient);
  EXPECT_EQ(json::StringMember(obs["encounter"], "reference"), encounter);
  EXPECT_EQ(json::StringMember(obs["extension"][0]["valueReference"], "reference"), patient);
  EXPECT_EQ(json::StringMember(obs["contained"][0]["target"][0], "reference"), patient);
  EXPECT_EQ(json::StringMember(obs["contained"][0]["agent"][0]["who"], "reference"), encounter);
  EXPECT_EQ(stored.body.find("urn:uuid:"), std::string::npos) << stored.body;
  EXPECT_EQ(stored.body.find("urn:oid:"), std::string::npos) << stored.body;
  json::Document enc = ParseBody(Send(c, "GET", "/fhir/" + encounter));
  EXPECT_EQ(json::StringMember(enc["subject"], "reference"), patient);
}

TEST(TransactionTest, ConditionalUpdateInsideTransaction) {
  HttpClient c = Client();
  const std::string tag = Unique("tx-cond-url");
  // A conditional update whose resource references the Patient created in the same
  // transaction by its urn:uuid, and whose condition is an identifier that happens to equal
  // that urn: identifier values are not references, so the condition is not rewritten.
  const std::string urn = "urn:uuid:" + NewId();
  const std::string basic = R"({"resourceType":"Basic","identifier":[{"system":"urn:test",)"
                            R"("value":")" +
                            urn + R"("}],"code":{"text":")" + tag +
                            R"("},"subject":{"reference":")" + urn + R"("}})";
  const std::string bundle =
      MakeBundle("transaction", {Entry("POST", "Patient", Identified("Patient", tag), urn),
                                 Entry("PUT", "Basic?identifier=" + urn, basic)});
  HttpResponse r = Send(c, "POST", "/fhir", kJson, bundle);
  ASSERT_EQ(r.status, 200) << r.body;
  json::Document out = ParseBody(r);
  EXPECT_EQ(EntryStatus(out, 1), "201 Created");
  json::Document stored = ParseBody(Send(c, "GET", "/fhir/" + EntryRef(out, 1)));
  EXPECT_EQ(json::StringMember(stored["subject"], "reference"), EntryRef(out, 0));
  EXPECT_EQ(json::StringMember(stored["identifier"][0], "value"), urn);
  // The same transaction again: the conditional PUT now matches and updates (200), and the
  // POST creates a second Patient.
  HttpResponse again = Send(c, "POST", "/fhir", kJson, bundle);
  ASSERT_EQ(again.status, 200) << again.body;
  json::Document out2 = ParseBody(again);
  EXPECT_EQ(EntryStatus(out2, 1), "200 OK");
  EXPECT_EQ(EntryRef(out2, 1), EntryRef(out, 1));
  EXPECT_NE(EntryRef(out2, 0), EntryRef(out, 0));
  EXPECT_EQ(Total(c, "/fhir/Basic?identifier=" + urn), 1);
  EXPECT_EQ(Total(c, "/fhir/Patient?identifier=urn:test|" + tag), 2);
}

TEST(TransactionTest, ConditionalReferences) {
  HttpClient c = Client();
  const std::string npi = Unique("npi");
  HttpResponse prac = Send(c, "POST", "/fhir/Practitioner", kJson, Identified("Practitioner", npi));
  ASSERT_EQ(prac.status, 201);
  const std::string prac_id(json::StringMember(ParseBody(prac), "id"));
  const std::string tag = Unique("tx-condref");
  auto encounter = [&](const std::string& ref) {
    return Identified("Encounter", tag,
                      R"(,"status":"finished","class":{"code":"AMB"},)"
                      R"("participant":[{"individual":{"reference":")" +
                          ref + R"("}}])");
  };
  HttpResponse ok = Send(
      c, "POST", "/fhir", kJson,
      MakeBundle("transaction",
                 {Entry("POST", "Encounter", encounter("Practitioner?identifier=urn:test|" + npi)),
                  Entry("POST", "Encounter", encounter("Practitioner?identifier=" + npi))}));
  ASSERT_EQ(ok.status, 200) << ok.body;
  json::Document out = ParseBody(ok);
  for (unsigned i = 0; i < 2; ++i) {
    json::Document enc = ParseBody(Send(c, "GET", "/fhir/" + EntryRef(out, i)));
    EXPECT_EQ(json::StringMember(enc["participant"][0]["individual"], "reference"),
              "Practitioner/" + prac_id);
  }
  EXPECT_EQ(Total(c, "/fhir/Encounter?identifier=urn:test|" + tag), 2);

  // No match → 400, nothing written.
  HttpResponse none =
      Send(c, "POST", "/fhir", kJson,
           MakeBundle("transaction",
                      {Entry("POST", "Encounter", encounter("Practitioner/" + prac_id)),
                       Entry("POST", "Encounter",
                             encounter("Practitioner?identifier=urn:test|" + Unique("none")))}));
  EXPECT_EQ(none.status, 400) << none.body;
  EXPECT_EQ(IssueCode(none), "invalid");
  EXPECT_NE(none.body.find("Bundle.entry[1]"), std::string::npos) << none.body;
  // Two matches → 412.
  ASSERT_EQ(Send(c, "POST", "/fhir/Practitioner", kJson, Identified("Practitioner", npi)).status,
            201);
  HttpResponse many = Send(
      c, "POST", "/fhir", kJson,
      MakeBundle("transaction", {Entry("POST", "Encounter",
                                       encounter("Practitioner?identifier=urn:test|" + npi))}));
  EXPECT_EQ(many.status, 412) << many.body;
  EXPECT_EQ(IssueCode(many), "multiple-matches");
  EXPECT_EQ(Total(c, "/fhir/Encounter?identifier=urn:test|" + tag), 2);
}

// Entries that fail at different stages: while parsing, while deciding targets, and while
// writing — after earlier entries of the same transaction have written rows.
std::string InvalidEntry(int kind, const std::string& tag, const std::string& existing_patient) {
  switch (kind % 6) {
    case 0:
      return Entry("POST", "Patient", Identified("Basic", tag));
    case 1:
      return Entry(
          "POST", "Observation",
          Identified("Observation", tag,
                     R"(,"status":"final","code":{"text":"x"},)"
                     R"("subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000000"})"));
    case 2:
      return Entry("PUT", existing_patient,
                   R"({"resourceType":"Patient","id":")" +
                       existing_patient.substr(existing_patient.find('/') + 1) + R"("})",
                   "", R"(,"ifMatch":"W/\"99\"")");
    case 3:
      return Entry("DELETE", "Patient/" + Unique("never"));
    case 4:
      return Entry("POST", "Observation",
                   Identified("Observation", tag,
                              R"(,"status":"final","code":{"text":"x"},)"
                              R"("subject":{"reference":"Patient?identifier=urn:test|)" +
                                  Unique("nobody") + R"("})"));
    default:
      return Entry("PATCH", existing_patient,
                   R"({"resourceType":"Binary",)"
                   R"("contentType":"application/json-patch+json","data":")" +
                       std::string("W3sib3AiOiJ0ZXN0IiwicGF0aCI6Ii9pZCIsInZhbHVlIjoibm8ifV0=") +
                       R"("})");
  }
}

TEST(TransactionTest, OneInvalidEntryCommitsNothing) {
  HttpClient c = Client();
  const std::string tag = Unique("tx-atomic");
  HttpResponse marker = Send(c, "POST", "/fhir/Patient", kJson, Identified("Patient", Unique("m")));
  ASSERT_EQ(marker.status, 201);
  json::Document marker_doc = ParseBody(marker);
  const std::string existing = "Patient/" + std::string(json::StringMember(marker_doc, "id"));
  const std::string since(json::StringMember(marker_doc["meta"], "lastUpdated"));
  auto history_size = [&]() {
    json::Document h = ParseBody(Send(c, "GET", "/fhir/_history?_count=1000&_since=" + since));
    return h.HasMember("entry") ? h["entry"].Size() : 0u;
  };
  const auto history_before = history_size();

  std::vector<int> positions(20);
  for (int i = 0; i < 20; ++i) positions[i] = i;
  std::mt19937 rng(20261122);
  std::shuffle(positions.begin(), positions.end(), rng);
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int bad = positions[attempt];
    std::vector<std::string> entries;
    const std::string patient_urn = "urn:uuid:" + NewId();
    for (int i = 0; i < 20; ++i) {
      if (i == bad) {
        entries.push_back(InvalidEntry(attempt, tag, existing));
      } else if (i == (bad == 0 ? 1 : 0)) {
        entries.push_back(Entry("POST", "Patient", Identified("Patient", tag), patient_urn));
      } else {
        entries.push_back(
            Entry("POST", "Observation",
                  Identified("Observation", tag,
                             R"(,"status":"final","code":{"text":"x"},"subject":{"reference":")" +
                                 patient_urn + R"("})")));
      }
    }
    HttpResponse r = Send(c, "POST", "/fhir", kJson, MakeBundle("transaction", entries));
    EXPECT_GE(r.status, 400) << "invalid entry at " << bad << ": " << r.body;
    EXPECT_LT(r.status, 500) << r.body;
    EXPECT_FALSE(IssueCode(r).empty()) << r.body;
    EXPECT_NE(r.body.find("Bundle.entry[" + std::to_string(bad) + "]"), std::string::npos)
        << "kind " << attempt % 6 << ": " << r.body;
  }
  EXPECT_EQ(Total(c, "/fhir/Patient?identifier=urn:test|" + tag), 0);
  EXPECT_EQ(Total(c, "/fhir/Observation?identifier=urn:test|" + tag), 0);
  EXPECT_EQ(history_size(), history_before);
  json::Document still = ParseBody(Send(c, "GET", "/fhir/" + existing));
  EXPECT_EQ(json::StringMember(still["meta"], "versionId"), "1");
}

TEST(TransactionTest, DeleteRunsBeforePost) {
  HttpClient c = Client();
  const std::string value = Unique("tx-order");
  HttpResponse old = Send(c, "POST", "/fhir/Patient", kJson, Identified("Patient", value));
  ASSERT_EQ(old.status, 201);
  const std::string old_id(json::StringMember(ParseBody(old), "id"));
  const std::string query = "identifier=urn:test|" + value;
  // The POST comes first in the Bundle, but DELETE is processed first (http.html#trules), so
  // the conditional create finds nothing and creates a new Patient.
  HttpResponse r =
      Send(c, "POST", "/fhir", kJson,
           MakeBundle("transaction", {Entry("POST", "Patient", Identified("Patient", value), "",
                                            R"(,"ifNoneExist":")" + query + "\""),
                                      Entry("DELETE", "Patient?" + query)}));
  ASSERT_EQ(r.status, 200) << r.body;
  json::Document out = ParseBody(r);
  EXPECT_EQ(EntryStatus(out, 0), "201 Created");
  EXPECT_EQ(EntryStatus(out, 1), "204 No Content");
  EXPECT_NE(EntryRef(out, 0), "Patient/" + old_id);
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + old_id).status, 410);
  EXPECT_EQ(Total(c, "/fhir/Patient?" + query), 1);
}

TEST(TransactionTest, SameResourceTwiceIs400) {
  HttpClient c = Client();
  const std::string id = Unique("twice");
  const std::string tag = Unique("tx-twice");
  const std::string body = R"({"resourceType":"Patient","id":")" + id + R"("})";
  HttpResponse r =
      Send(c, "POST", "/fhir", kJson,
           MakeBundle("transaction",
                      {Entry("POST", "Patient", Identified("Patient", tag)),
                       Entry("PUT", "Patient/" + id, body), Entry("PUT", "Patient/" + id, body)}));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(IssueCode(r), "invalid");
  EXPECT_NE(r.body.find("Bundle.entry[2]"), std::string::npos) << r.body;
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + id).status, 404);
  EXPECT_EQ(Total(c, "/fhir/Patient?identifier=urn:test|" + tag), 0);
  // The same fullUrl twice.
  HttpResponse dup =
      Send(c, "POST", "/fhir", kJson,
           MakeBundle("transaction",
                      {Entry("POST", "Patient", Identified("Patient", tag), "urn:uuid:x"),
                       Entry("POST", "Patient", Identified("Patient", tag), "urn:uuid:x")}));
  EXPECT_EQ(dup.status, 400) << dup.body;
  EXPECT_EQ(Total(c, "/fhir/Patient?identifier=urn:test|" + tag), 0);
}

TEST(TransactionTest, IfNoneExistCreatesOnceAndPreconditionsPerEntry) {
  HttpClient c = Client();
  const std::string value = Unique("tx-ine");
  const std::string bundle = MakeBundle(
      "transaction", {Entry("POST", "Patient", Identified("Patient", value), "urn:uuid:p",
                            R"(,"ifNoneExist":"identifier=urn:test|)" + value + "\"")});
  HttpResponse first = Send(c, "POST", "/fhir", kJson, bundle);
  ASSERT_EQ(first.status, 200) << first.body;
  json::Document out1 = ParseBody(first);
  EXPECT_EQ(EntryStatus(out1, 0), "201 Created");
  HttpResponse second = Send(c, "POST", "/fhir", kJson, bundle);
  ASSERT_EQ(second.status, 200) << second.body;
  json::Document out2 = ParseBody(second);
  EXPECT_EQ(EntryStatus(out2, 0), "200 OK");
  EXPECT_EQ(EntryRef(out2, 0), EntryRef(out1, 0));
  EXPECT_EQ(Total(c, "/fhir/Patient?identifier=urn:test|" + value), 1);

  const std::string ref = EntryRef(out1, 0);
  const std::string id = ref.substr(ref.find('/') + 1);
  const std::string updated = R"({"resourceType":"Patient","id":")" + id + R"(","active":true})";
  HttpResponse stale =
      Send(c, "POST", "/fhir", kJson,
           MakeBundle("transaction", {Entry("PUT", ref, updated, "", R"(,"ifMatch":"W/\"7\"")")}));
  EXPECT_EQ(stale.status, 412) << stale.body;
  HttpResponse create_only =
      Send(c, "POST", "/fhir", kJson,
           MakeBundle("transaction", {Entry("PUT", ref, updated, "", R"(,"ifNoneMatch":"*")")}));
  EXPECT_EQ(create_only.status, 412) << create_only.body;
  HttpResponse fresh =
      Send(c, "POST", "/fhir", kJson,
           MakeBundle("transaction", {Entry("PUT", ref, updated, "", R"(,"ifMatch":"W/\"1\"")")}));
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(json::StringMember(ParseBody(fresh)["entry"][0]["response"], "etag"), "W/\"2\"");
}

TEST(BatchTest, EntriesAreIndependent) {
  HttpClient c = Client();
  const std::string tag = Unique("batch");
  HttpResponse existing = Send(c, "POST", "/fhir/Patient", kJson, Identified("Patient", tag));
  ASSERT_EQ(existing.status, 201);
  const std::string id(json::StringMember(ParseBody(existing), "id"));
  HttpResponse r =
      Send(c, "POST", "/fhir", kJson,
           MakeBundle("batch",
                      {Entry("POST", "Patient", Identified("Patient", tag)),
                       Entry("POST", "Patient", Identified("Basic", tag)),
                       Entry("PUT", "Patient/" + id,
                             R"({"resourceType":"Patient","id":")" + id + R"(","active":true})", "",
                             R"(,"ifMatch":"W/\"5\"")"),
                       Entry("GET", "Patient/" + id), Entry("GET", "Patient/" + Unique("missing")),
                       Entry("DELETE", "Patient/" + id), Entry("FROB", "Patient"),
                       Entry("GET", "Patient?identifier=urn:test|" + tag)}));
  ASSERT_EQ(r.status, 200) << r.body;
  json::Document out = ParseBody(r);
  EXPECT_EQ(json::StringMember(out, "type"), "batch-response");
  ASSERT_EQ(out["entry"].Size(), 8u);
  EXPECT_EQ(EntryStatus(out, 0), "201 Created");
  EXPECT_EQ(EntryStatus(out, 1), "400 Bad Request");
  EXPECT_EQ(json::StringMember(out["entry"][1]["response"]["outcome"], "resourceType"),
            "OperationOutcome");
  EXPECT_EQ(EntryStatus(out, 2), "412 Precondition Failed");
  EXPECT_TRUE(out["entry"][2]["response"].HasMember("outcome"));
  EXPECT_EQ(EntryStatus(out, 3), "200 OK");
  EXPECT_EQ(json::StringMember(out["entry"][3]["resource"], "id"), id);
  EXPECT_EQ(EntryStatus(out, 4), "404 Not Found");
  EXPECT_EQ(EntryStatus(out, 5), "204 No Content");
  EXPECT_EQ(EntryStatus(out, 6), "400 Bad Request");
  // Entries run in order: the search sees the new Patient and no longer the deleted one.
  EXPECT_EQ(out["entry"][7]["resource"]["total"].GetInt64(), 1);
  EXPECT_EQ(Total(c, "/fhir/Patient?identifier=urn:test|" + tag), 1);
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + id).status, 410);
}

TEST(BundleTest, LimitsAndBundleTypes) {
  HttpClient c = Client();
  std::vector<std::string> many(10001, Entry("GET", "Patient/x"));
  HttpResponse big = Send(c, "POST", "/fhir", kJson, MakeBundle("batch", many));
  EXPECT_EQ(big.status, 413) << big.body.substr(0, 300);
  EXPECT_EQ(IssueCode(big), "too-long");
  EXPECT_EQ(Send(c, "POST", "/fhir", kJson, MakeBundle("transaction", {})).status, 200);
  HttpResponse collection = Send(c, "POST", "/fhir", kJson, MakeBundle("collection", {}));
  EXPECT_EQ(collection.status, 400);
  EXPECT_EQ(IssueCode(collection), "invalid");
  HttpResponse not_bundle = Send(c, "POST", "/fhir", kJson, R"({"resourceType":"Patient"})");
  EXPECT_EQ(not_bundle.status, 400);
  EXPECT_EQ(IssueCode(not_bundle), "invalid");
  HttpResponse absolute =
      Send(c, "POST", "/fhir", kJson,
           MakeBundle("transaction", {Entry("GET", "http://elsewhere.example/fhir/Patient/1")}));
  EXPECT_EQ(absolute.status, 400) << absolute.body;
  EXPECT_EQ(Send(c, "PUT", "/fhir", kJson, "{}").status, 405);
  json::Document cs = ParseBody(Send(c, "GET", "/fhir/metadata"));
  std::set<std::string> system;
  for (const auto& i : cs["rest"][0]["interaction"].GetArray()) {
    system.emplace(json::StringMember(i, "code"));
  }
  EXPECT_EQ(system,
            (std::set<std::string>{"batch", "transaction", "search-system", "history-system"}));
}

}  // namespace
}  // namespace hestia::testing
