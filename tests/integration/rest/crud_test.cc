// create, read, vread, update, delete over real HTTP and PostgreSQL.
// FHIR R4: http://hl7.org/fhir/R4/http.html#create, #read, #vread, #update, #delete,
// #concurrency, #cread, #ops (Prefer)
#include "fixture.h"

namespace hestia::testing {
namespace {

std::string PatientBody(const std::string& family, const std::string& id = "") {
  return R"({"resourceType":"Patient",)" + (id.empty() ? "" : R"("id":")" + id + R"(",)") +
         R"("name":[{"family":")" + family + R"("}],"birthDate":"1970-01-01"})";
}

TEST(CrudTest, CreateAssignsIdVersionAndMeta) {
  HttpClient c = Client();
  HttpResponse r = Send(c, "POST", "/fhir/Patient", kJson, PatientBody("Okafor", "client-id"));
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_NE(r.Header("Location"), nullptr);
  ASSERT_NE(r.Header("ETag"), nullptr);
  ASSERT_NE(r.Header("Last-Modified"), nullptr);
  EXPECT_EQ(*r.Header("ETag"), "W/\"1\"");
  json::Document doc = ParseBody(r);
  const std::string id(json::StringMember(doc, "id"));
  EXPECT_NE(id, "client-id");  // the server assigns ids on create
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(json::StringMember(doc["meta"], "versionId"), "1");
  EXPECT_FALSE(json::StringMember(doc["meta"], "lastUpdated").empty());
  EXPECT_NE(r.Header("Location")->find("/fhir/Patient/" + id + "/_history/1"), std::string::npos);
  EXPECT_NE(r.Header("Content-Type")->find("application/fhir+json"), std::string::npos);

  HttpResponse read = Send(c, "GET", "/fhir/Patient/" + id);
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.body, r.body);  // exactly the stored text
  EXPECT_EQ(*read.Header("ETag"), "W/\"1\"");
}

TEST(CrudTest, UpdateVersionsAndIdenticalUpdateCreatesNoVersion) {
  HttpClient c = Client();
  const std::string id = Unique("upd");
  HttpResponse created = Send(c, "PUT", "/fhir/Patient/" + id, kJson, PatientBody("A", id));
  ASSERT_EQ(created.status, 201) << created.body;  // update-as-create
  HttpResponse v2 = Send(c, "PUT", "/fhir/Patient/" + id, kJson, PatientBody("B", id));
  ASSERT_EQ(v2.status, 200) << v2.body;
  EXPECT_EQ(*v2.Header("ETag"), "W/\"2\"");
  // Same content again (meta differs only in volatile fields): no new version.
  HttpResponse same = Send(c, "PUT", "/fhir/Patient/" + id, kJson, PatientBody("B", id));
  ASSERT_EQ(same.status, 200);
  EXPECT_EQ(*same.Header("ETag"), "W/\"2\"");
  HttpResponse history = Send(c, "GET", "/fhir/Patient/" + id + "/_history");
  ASSERT_EQ(history.status, 200);
  EXPECT_EQ(ParseBody(history)["entry"].Size(), 2u);

  HttpResponse v1 = Send(c, "GET", "/fhir/Patient/" + id + "/_history/1");
  ASSERT_EQ(v1.status, 200);
  EXPECT_EQ(json::StringMember(ParseBody(v1)["name"][0], "family"), "A");
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + id + "/_history/3").status, 404);
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + id + "/_history/x").status, 404);
}

TEST(CrudTest, UpdateRequiresMatchingIdAndType) {
  HttpClient c = Client();
  HttpResponse mismatch = Send(c, "PUT", "/fhir/Patient/abc", kJson, PatientBody("A", "xyz"));
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(IssueCode(mismatch), "invalid");
  HttpResponse missing = Send(c, "PUT", "/fhir/Patient/abc", kJson, PatientBody("A"));
  EXPECT_EQ(missing.status, 400);
  HttpResponse wrong_type =
      Send(c, "PUT", "/fhir/Practitioner/abc", kJson, PatientBody("A", "abc"));
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(IssueCode(wrong_type), "invalid");
  HttpResponse bad_id = Send(c, "PUT", "/fhir/Patient/a_b", kJson, PatientBody("A", "a_b"));
  EXPECT_EQ(bad_id.status, 400);
}

TEST(CrudTest, VersionAwareUpdates) {
  HttpClient c = Client();
  const std::string id = Unique("ifm");
  ASSERT_EQ(Send(c, "PUT", "/fhir/Patient/" + id, kJson, PatientBody("A", id)).status, 201);
  HeaderList stale = kJson;
  stale.emplace_back("If-Match", "W/\"7\"");
  HttpResponse r = Send(c, "PUT", "/fhir/Patient/" + id, stale, PatientBody("B", id));
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(IssueCode(r), "conflict");
  HeaderList current = kJson;
  current.emplace_back("If-Match", "W/\"1\"");
  EXPECT_EQ(Send(c, "PUT", "/fhir/Patient/" + id, current, PatientBody("B", id)).status, 200);

  HeaderList create_only = kJson;
  create_only.emplace_back("If-None-Match", "*");
  EXPECT_EQ(Send(c, "PUT", "/fhir/Patient/" + id, create_only, PatientBody("C", id)).status, 412);
  const std::string fresh = Unique("ifnm");
  EXPECT_EQ(Send(c, "PUT", "/fhir/Patient/" + fresh, create_only, PatientBody("C", fresh)).status,
            201);
}

TEST(CrudTest, ConditionalRead) {
  HttpClient c = Client();
  const std::string id = Unique("cread");
  HttpResponse w = Send(c, "PUT", "/fhir/Patient/" + id, kJson, PatientBody("A", id));
  ASSERT_EQ(w.status, 201);
  HttpResponse not_modified = Send(c, "GET", "/fhir/Patient/" + id, {{"If-None-Match", "W/\"1\""}});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + id, {{"If-None-Match", "W/\"2\""}}).status, 200);
  const std::string last_modified = *w.Header("Last-Modified");
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + id, {{"If-Modified-Since", last_modified}}).status,
            304);
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + id,
                 {{"If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}})
                .status,
            200);
}

TEST(CrudTest, DeleteIsAVersionedTombstone) {
  HttpClient c = Client();
  const std::string id = Unique("del");
  ASSERT_EQ(Send(c, "PUT", "/fhir/Patient/" + id, kJson, PatientBody("A", id)).status, 201);
  HttpResponse del = Send(c, "DELETE", "/fhir/Patient/" + id);
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(*del.Header("ETag"), "W/\"2\"");
  HttpResponse gone = Send(c, "GET", "/fhir/Patient/" + id);
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(IssueCode(gone), "deleted");
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + id + "/_history/1").status, 200);
  EXPECT_EQ(Send(c, "GET", "/fhir/Patient/" + id + "/_history/2").status, 410);
  // Deleting again changes nothing; a resource never seen is 404.
  EXPECT_EQ(Send(c, "DELETE", "/fhir/Patient/" + id).status, 204);
  HttpResponse history = Send(c, "GET", "/fhir/Patient/" + id + "/_history");
  EXPECT_EQ(ParseBody(history)["entry"].Size(), 2u);
  HttpResponse unknown = Send(c, "DELETE", "/fhir/Patient/" + Unique("never"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(IssueCode(unknown), "not-found");
  // Re-create after delete continues the version sequence.
  HttpResponse again = Send(c, "PUT", "/fhir/Patient/" + id, kJson, PatientBody("Z", id));
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(*again.Header("ETag"), "W/\"3\"");
}

TEST(CrudTest, PreferReturn) {
  HttpClient c = Client();
  HeaderList minimal = kJson;
  minimal.emplace_back("Prefer", "return=minimal");
  HttpResponse r = Send(c, "POST", "/fhir/Patient", minimal, PatientBody("Min"));
  EXPECT_EQ(r.status, 201);
  EXPECT_TRUE(r.body.empty());
  EXPECT_NE(r.Header("Location"), nullptr);
  HeaderList outcome = kJson;
  outcome.emplace_back("Prefer", "return=OperationOutcome");
  HttpResponse o = Send(c, "POST", "/fhir/Patient", outcome, PatientBody("OO"));
  EXPECT_EQ(o.status, 201);
  EXPECT_EQ(json::StringMember(ParseBody(o), "resourceType"), "OperationOutcome");
}

TEST(CrudTest, DecimalsAndUnicodeAreStoredExactly) {
  HttpClient c = Client();
  const std::string body =
      R"({"resourceType":"Observation","status":"final","code":{"text":"Gewicht – ß ✓"},)"
      R"("valueQuantity":{"value":72.50,"unit":"kg"}})";
  HttpResponse r = Send(c, "POST", "/fhir/Observation", kJson, body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.body.find("\"value\":72.50"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Gewicht – ß ✓"), std::string::npos);
}

TEST(CrudTest, PrettyOutput) {
  HttpClient c = Client();
  HttpResponse r = Send(c, "GET", "/fhir/metadata?_pretty=true");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\n  \"resourceType\": \"CapabilityStatement\""), std::string::npos);
}

}  // namespace
}  // namespace hestia::testing
