// PATCH with JSON Patch and FHIRPath Patch over real HTTP and PostgreSQL: instance and
// conditional PATCH, If-Match, invalid patches, patches that would change the resourceType or
// id, and PATCH entries (a Binary holding a JSON Patch, or a Parameters resource) inside
// transaction and batch Bundles.
// FHIR R4: http://hl7.org/fhir/R4/http.html#patch, http://hl7.org/fhir/R4/fhirpatch.html
#include "fixture.h"

namespace hestia::testing {
namespace {

const HeaderList kPatch = {{"Content-Type", "application/json-patch+json"}};

HeaderList PatchIfMatch(const std::string& etag) {
  HeaderList h = kPatch;
  h.emplace_back("If-Match", etag);
  return h;
}

std::string Base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += std::string{kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += std::string{kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63],
                       kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::string NewPatient(HttpClient& c, const std::string& value) {
  HttpResponse r = Send(c, "POST", "/fhir/Patient", kJson,
                        R"({"resourceType":"Patient","active":false,"identifier":[)"
                        R"({"system":"urn:patch","value":")" +
                            value + R"("}],"name":[{"family":"Old"}]})");
  EXPECT_EQ(r.status, 201) << r.body;
  return std::string(json::StringMember(ParseBody(r), "id"));
}

TEST(PatchTest, AppliesJsonPatch) {
  HttpClient c = Client();
  const std::string id = NewPatient(c, Unique("p"));
  HttpResponse r = Send(c, "PATCH", "/fhir/Patient/" + id, kPatch,
                        R"([{"op":"replace","path":"/active","value":true},)"
                        R"({"op":"add","path":"/name/0/given","value":["Ann"]},)"
                        R"({"op":"add","path":"/birthDate","value":"1970-01-01"},)"
                        R"({"op":"test","path":"/name/0/family","value":"Old"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(*r.Header("ETag"), "W/\"2\"");
  json::Document doc = ParseBody(r);
  EXPECT_TRUE(doc["active"].GetBool());
  EXPECT_STREQ(doc["name"][0]["given"][0].GetString(), "Ann");
  EXPECT_EQ(json::StringMember(doc["meta"], "versionId"), "2");
  json::Document read = ParseBody(Send(c, "GET", "/fhir/Patient/" + id));
  EXPECT_EQ(json::StringMember(read, "birthDate"), "1970-01-01");
  // A patch that changes nothing creates no version.
  HttpResponse same = Send(c, "PATCH", "/fhir/Patient/" + id, kPatch,
                           R"([{"op":"test","path":"/active","value":true}])");
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(*same.Header("ETag"), "W/\"2\"");
}

TEST(PatchTest, IfMatch) {
  HttpClient c = Client();
  const std::string id = NewPatient(c, Unique("p"));
  const std::string patch = R"([{"op":"replace","path":"/active","value":true}])";
  HttpResponse stale = Send(c, "PATCH", "/fhir/Patient/" + id, PatchIfMatch("W/\"2\""), patch);
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(IssueCode(stale), "conflict");
  HttpResponse ok = Send(c, "PATCH", "/fhir/Patient/" + id, PatchIfMatch("W/\"1\""), patch);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(*ok.Header("ETag"), "W/\"2\"");
}

TEST(PatchTest, InvalidPatchesAre400AndChangeNothing) {
  HttpClient c = Client();
  const std::string id = NewPatient(c, Unique("p"));
  struct Case {
    const char* name;
    const char* body;
  };
  for (const Case& k : std::vector<Case>{
           {"failed test", R"([{"op":"test","path":"/active","value":true}])"},
           {"missing target", R"([{"op":"replace","path":"/gender","value":"male"}])"},
           {"no parent", R"([{"op":"add","path":"/contact/0/name","value":{}}])"},
           {"unknown op", R"([{"op":"merge","path":"/active","value":true}])"},
           {"not an array", R"({"op":"replace","path":"/active","value":true})"},
           {"change id", R"([{"op":"replace","path":"/id","value":"other"}])"},
           {"remove id", R"([{"op":"remove","path":"/id"}])"},
           {"change type", R"([{"op":"replace","path":"/resourceType","value":"Basic"}])"},
           {"bad id", R"([{"op":"replace","path":"/meta","value":"x"}])"},
           {"whole document", R"([{"op":"replace","path":"","value":[]}])"},
           {"late failure", R"([{"op":"replace","path":"/active","value":true},)"
                            R"({"op":"remove","path":"/nothing"}])"},
       }) {
    HttpResponse r = Send(c, "PATCH", "/fhir/Patient/" + id, kPatch, k.body);
    EXPECT_EQ(r.status, 400) << k.name << ": " << r.body;
    EXPECT_EQ(IssueCode(r), "invalid") << k.name << ": " << r.body;
  }
  json::Document doc = ParseBody(Send(c, "GET", "/fhir/Patient/" + id));
  EXPECT_EQ(json::StringMember(doc["meta"], "versionId"), "1");
  EXPECT_FALSE(doc["active"].GetBool());
  EXPECT_EQ(Send(c, "PATCH", "/fhir/Patient/" + id, kPatch, "[").status, 400);
  HttpResponse text = Send(c, "PATCH", "/fhir/Patient/" + id, {{"Content-Type", "text/plain"}},
                           R"([{"op":"replace","path":"/active","value":true}])");
  EXPECT_EQ(text.status, 415) << text.body;
  EXPECT_EQ(Send(c, "PATCH", "/fhir/Patient/" + Unique("none"), kPatch, "[]").status, 404);
  ASSERT_EQ(Send(c, "DELETE", "/fhir/Patient/" + id).status, 204);
  EXPECT_EQ(Send(c, "PATCH", "/fhir/Patient/" + id, kPatch, "[]").status, 410);
}

TEST(PatchTest, ConditionalPatch) {
  HttpClient c = Client();
  const std::string value = Unique("cp");
  const std::string id = NewPatient(c, value);
  const std::string patch = R"([{"op":"replace","path":"/active","value":true}])";
  HttpResponse ok = Send(c, "PATCH", "/fhir/Patient?identifier=urn:patch|" + value, kPatch, patch);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::StringMember(ParseBody(ok), "id"), id);
  HttpResponse none =
      Send(c, "PATCH", "/fhir/Patient?identifier=urn:patch|" + Unique("none"), kPatch, patch);
  EXPECT_EQ(none.status, 404) << none.body;
  NewPatient(c, value);
  HttpResponse many =
      Send(c, "PATCH", "/fhir/Patient?identifier=urn:patch|" + value, kPatch, patch);
  EXPECT_EQ(many.status, 412) << many.body;
  EXPECT_EQ(IssueCode(many), "multiple-matches");
}

std::string PatchEntry(const std::string& url, const std::string& patch,
                       const std::string& extra = "") {
  return R"({"resource":{"resourceType":"Binary","contentType":"application/json-patch+json",)"
         R"("data":")" +
         Base64(patch) + R"("},"request":{"method":"PATCH","url":")" + url + "\"" + extra + "}}";
}

TEST(PatchTest, PatchEntriesInBundles) {
  HttpClient c = Client();
  const std::string value = Unique("bp");
  const std::string id = NewPatient(c, value);
  const std::string good = R"([{"op":"replace","path":"/active","value":true}])";
  HttpResponse tx = Send(c, "POST", "/fhir", kJson,
                         R"({"resourceType":"Bundle","type":"transaction","entry":[)" +
                             PatchEntry("Patient/" + id, good, R"(,"ifMatch":"W/\"1\"")") + "," +
                             PatchEntry("Patient?identifier=urn:patch|" + value,
                                        R"([{"op":"add","path":"/gender","value":"other"}])") +
                             "]}");
  // The same resource twice in one transaction is refused.
  EXPECT_EQ(tx.status, 400) << tx.body;
  HttpResponse tx1 = Send(c, "POST", "/fhir", kJson,
                          R"({"resourceType":"Bundle","type":"transaction","entry":[)" +
                              PatchEntry("Patient/" + id, good, R"(,"ifMatch":"W/\"1\"")") + "]}");
  ASSERT_EQ(tx1.status, 200) << tx1.body;
  json::Document out = ParseBody(tx1);
  EXPECT_EQ(json::StringMember(out["entry"][0]["response"], "status"), "200 OK");
  EXPECT_EQ(json::StringMember(out["entry"][0]["response"], "etag"), "W/\"2\"");
  EXPECT_TRUE(out["entry"][0]["resource"]["active"].GetBool());

  HttpResponse batch = Send(
      c, "POST", "/fhir", kJson,
      R"({"resourceType":"Bundle","type":"batch","entry":[)" +
          PatchEntry("Patient?identifier=urn:patch|" + value,
                     R"([{"op":"add","path":"/gender","value":"other"}])") +
          "," + PatchEntry("Patient/" + id, R"([{"op":"replace","path":"/id","value":"x"}])") +
          "," +
          R"({"resource":{"resourceType":"Parameters","parameter":[{"name":"operation","part":[)"
          R"({"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.deceased"},)"
          R"({"name":"value","valueBoolean":true}]}]},"request":{"method":"PATCH","url":"Patient/)" +
          id + R"("}}]})");
  ASSERT_EQ(batch.status, 200) << batch.body;
  json::Document b = ParseBody(batch);
  EXPECT_EQ(json::StringMember(b["entry"][0]["response"], "status"), "200 OK");
  EXPECT_EQ(json::StringMember(b["entry"][1]["response"], "status"), "400 Bad Request");
  EXPECT_EQ(json::StringMember(b["entry"][2]["response"], "status"), "400 Bad Request");
  json::Document doc = ParseBody(Send(c, "GET", "/fhir/Patient/" + id));
  EXPECT_EQ(json::StringMember(doc, "gender"), "other");
  EXPECT_EQ(json::StringMember(doc["meta"], "versionId"), "3");
}

// One FHIRPath Patch `operation` parameter from its parts (JSON text of each part).
std::string Op(const std::string& type, const std::string& path, const std::string& more = "") {
  return R"({"name":"operation","part":[{"name":"type","valueCode":")" + type +
         R"("},{"name":"path","valueString":")" + path + "\"}" + more + "]}";
}

std::string Parameters(const std::vector<std::string>& ops) {
  std::string out = R"({"resourceType":"Parameters","parameter":[)";
  for (std::size_t i = 0; i < ops.size(); ++i) out += (i > 0 ? "," : "") + ops[i];
  return out + "]}";
}

TEST(FhirPathPatchTest, AppliesOperations) {
  HttpClient c = Client();
  const std::string id = NewPatient(c, Unique("fp"));
  const std::string body = Parameters({
      Op("replace", "Patient.active", R"(,{"name":"value","valueBoolean":true})"),
      Op("add", "Patient",
         R"(,{"name":"name","valueString":"birthDate"},)"
         R"({"name":"value","valueDate":"1970-01-01"})"),
      Op("insert", "Patient.name",
         R"(,{"name":"index","valueInteger":0},)"
         R"({"name":"value","valueHumanName":{"family":"New"}})"),
      Op("add", "Patient",
         R"(,{"name":"name","valueString":"extension"},)"
         R"({"name":"value","part":[{"name":"url","valueUri":"urn:x"},)"
         R"({"name":"value","valueDecimal":1.50}]})"),
      Op("delete", "Patient.identifier"),
      Op("delete", "Patient.telecom"),  // nothing to delete: not an error
  });
  HttpResponse r = Send(c, "PATCH", "/fhir/Patient/" + id, kJson, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(*r.Header("ETag"), "W/\"2\"");
  json::Document doc = ParseBody(Send(c, "GET", "/fhir/Patient/" + id));
  EXPECT_TRUE(doc["active"].GetBool());
  EXPECT_EQ(json::StringMember(doc, "birthDate"), "1970-01-01");
  ASSERT_EQ(doc["name"].Size(), 2U);
  EXPECT_EQ(json::StringMember(doc["name"][0], "family"), "New");
  EXPECT_EQ(json::StringMember(doc["name"][1], "family"), "Old");
  EXPECT_FALSE(doc.HasMember("identifier"));
  EXPECT_EQ(json::NumberText(doc["extension"][0]["valueDecimal"]), "1.50");  // exact decimal
  EXPECT_EQ(json::StringMember(doc, "id"), id);
}

TEST(FhirPathPatchTest, FailuresAre400AndChangeNothing) {
  HttpClient c = Client();
  const std::string id = NewPatient(c, Unique("fp"));
  for (const std::string& body : std::vector<std::string>{
           // The first operation succeeds, the second fails: nothing is kept.
           Parameters({Op("replace", "Patient.active", R"(,{"name":"value","valueBoolean":true})"),
                       Op("replace", "Patient.gender", R"(,{"name":"value","valueCode":"male"})")}),
           Parameters({Op("add", "Patient.contact",
                          R"(,{"name":"name","valueString":"gender"},)"
                          R"({"name":"value","valueCode":"male"})")}),
           Parameters({Op("merge", "Patient.active")}),
           Parameters({Op("replace", "Patient.id", R"(,{"name":"value","valueId":"other"})")}),
           Parameters({Op("delete", "Patient.id")}),
           Parameters(
               {Op("replace", "Patient.active(", R"(,{"name":"value","valueBoolean":true})")}),
           Parameters({Op("move", "Patient.name",
                          R"(,{"name":"source","valueInteger":0},)"
                          R"({"name":"destination","valueInteger":5})")}),
           R"({"resourceType":"Patient"})",
       }) {
    HttpResponse r = Send(c, "PATCH", "/fhir/Patient/" + id, kJson, body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(IssueCode(r), "invalid") << body << ": " << r.body;
  }
  json::Document doc = ParseBody(Send(c, "GET", "/fhir/Patient/" + id));
  EXPECT_EQ(json::StringMember(doc["meta"], "versionId"), "1");
  EXPECT_FALSE(doc["active"].GetBool());
}

TEST(FhirPathPatchTest, IfMatchAndConditional) {
  HttpClient c = Client();
  const std::string value = Unique("fpc");
  const std::string id = NewPatient(c, value);
  const std::string body =
      Parameters({Op("replace", "Patient.active", R"(,{"name":"value","valueBoolean":true})")});
  HeaderList stale = {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"2\""}};
  HttpResponse r = Send(c, "PATCH", "/fhir/Patient/" + id, stale, body);
  EXPECT_EQ(r.status, 412) << r.body;
  HeaderList fresh = {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"1\""}};
  r = Send(c, "PATCH", "/fhir/Patient/" + id, fresh, body);
  EXPECT_EQ(r.status, 200) << r.body;

  const std::string family = Parameters(
      {Op("replace", "Patient.name[0].family", R"(,{"name":"value","valueString":"Cond"})")});
  r = Send(c, "PATCH", "/fhir/Patient?identifier=urn:patch|" + value, kJson, family);
  ASSERT_EQ(r.status, 200) << r.body;
  json::Document doc = ParseBody(Send(c, "GET", "/fhir/Patient/" + id));
  EXPECT_EQ(json::StringMember(doc["name"][0], "family"), "Cond");
  EXPECT_EQ(json::StringMember(doc["meta"], "versionId"), "3");
  r = Send(c, "PATCH", "/fhir/Patient?identifier=urn:patch|" + Unique("none"), kJson, family);
  EXPECT_EQ(r.status, 404) << r.body;
}

TEST(FhirPathPatchTest, EntryInTransaction) {
  HttpClient c = Client();
  const std::string id = NewPatient(c, Unique("fpt"));
  // The patch adds a reference to an Organization created by the same transaction.
  const std::string patch =
      Parameters({Op("add", "Patient",
                     R"(,{"name":"name","valueString":"managingOrganization"},)"
                     R"({"name":"value","valueReference":{"reference":"urn:uuid:)"
                     R"(4b1e3c1a-7f7e-4c39-9a3e-1d2f3a4b5c6d"}})"),
                  Op("replace", "Patient.active", R"(,{"name":"value","valueBoolean":true})")});
  HttpResponse tx = Send(
      c, "POST", "/fhir", kJson,
      R"({"resourceType":"Bundle","type":"transaction","entry":[)"
      R"({"fullUrl":"urn:uuid:4b1e3c1a-7f7e-4c39-9a3e-1d2f3a4b5c6d","resource":{"resourceType":)"
      R"("Organization","name":"Org"},"request":{"method":"POST","url":"Organization"}},)"
      R"({"resource":)" +
          patch + R"(,"request":{"method":"PATCH","url":"Patient/)" + id +
          R"(","ifMatch":"W/\"1\""}}]})");
  ASSERT_EQ(tx.status, 200) << tx.body;
  json::Document out = ParseBody(tx);
  EXPECT_EQ(json::StringMember(out["entry"][1]["response"], "status"), "200 OK");
  json::Document doc = ParseBody(Send(c, "GET", "/fhir/Patient/" + id));
  EXPECT_TRUE(doc["active"].GetBool());
  const std::string_view ref = json::StringMember(doc["managingOrganization"], "reference");
  EXPECT_EQ(ref.rfind("Organization/", 0), 0U) << ref;

  // A failing FHIRPath Patch entry rolls back the whole transaction.
  HttpResponse bad = Send(
      c, "POST", "/fhir", kJson,
      R"({"resourceType":"Bundle","type":"transaction","entry":[)"
      R"({"resource":{"resourceType":"Organization","name":"Lost"},)"
      R"("request":{"method":"POST","url":"Organization"}},{"resource":)" +
          Parameters({Op("replace", "Patient.gender", R"(,{"name":"value","valueCode":"male"})")}) +
          R"(,"request":{"method":"PATCH","url":"Patient/)" + id + R"("}}]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  doc = ParseBody(Send(c, "GET", "/fhir/Patient/" + id));
  EXPECT_EQ(json::StringMember(doc["meta"], "versionId"), "2");
}

}  // namespace
}  // namespace hestia::testing
