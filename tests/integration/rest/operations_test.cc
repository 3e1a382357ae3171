// Operational endpoints and the CapabilityStatement: /healthz, /readyz, /metrics, request ids,
// and metadata generated from what is implemented.
// FHIR R4: http://hl7.org/fhir/R4/http.html#capabilities
#include <set>

#include "fixture.h"

namespace hestia::testing {
namespace {

TEST(OperationsTest, HealthAndReadiness) {
  HttpClient c = Client();
  EXPECT_EQ(Send(c, "GET", "/healthz").status, 200);
  EXPECT_EQ(Send(c, "GET", "/readyz").status, 200);
}

TEST(OperationsTest, RequestIdsAreEchoedOrGenerated) {
  HttpClient c = Client();
  HttpResponse echoed = Send(c, "GET", "/fhir/metadata", {{"X-Request-Id", "abc-123"}});
  ASSERT_NE(echoed.Header("X-Request-Id"), nullptr);
  EXPECT_EQ(*echoed.Header("X-Request-Id"), "abc-123");
  HttpResponse generated = Send(c, "GET", "/fhir/metadata");
  ASSERT_NE(generated.Header("X-Request-Id"), nullptr);
  EXPECT_FALSE(generated.Header("X-Request-Id")->empty());
  EXPECT_NE(Server().LogTail(200000).find("\"request_id\":\"abc-123\""), std::string::npos);
}

TEST(OperationsTest, MetricsCountRequestsByInteraction) {
  HttpClient c = Client();
  Send(c, "GET", "/fhir/Patient/metrics-probe");
  HttpResponse m = Send(c, "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("hestia_http_requests_total{"), std::string::npos);
  EXPECT_NE(m.body.find("interaction=\"read\""), std::string::npos);
  EXPECT_NE(m.body.find("status=\"404\""), std::string::npos);
  EXPECT_NE(m.body.find("hestia_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("hestia_db_pool_connections{state=\"in_use\"}"), std::string::npos);
}

TEST(OperationsTest, CapabilityStatementListsWhatIsImplemented) {
  HttpClient c = Client();
  HttpResponse r = Send(c, "GET", "/fhir/metadata");
  ASSERT_EQ(r.status, 200);
  json::Document doc = ParseBody(r);
  EXPECT_EQ(json::StringMember(doc, "resourceType"), "CapabilityStatement");
  EXPECT_EQ(json::StringMember(doc, "fhirVersion"), "4.0.1");
  const auto& resources = doc["rest"][0]["resource"];
  EXPECT_EQ(resources.Size(), 146u);
  // Every advertised interaction answers with something other than 405 / not-supported.
  for (const auto& res : resources.GetArray()) {
    const std::string type(json::StringMember(res, "type"));
    std::set<std::string> interactions;
    for (const auto& i : res["interaction"].GetArray()) {
      interactions.insert(std::string(json::StringMember(i, "code")));
    }
    EXPECT_EQ(interactions.count("patch"), 1u) << type;
    if (type != "Slot" && type != "Patient") continue;  // probe two types over HTTP
    EXPECT_EQ(Send(c, "PATCH", "/fhir/" + type + "/unknown-id",
                   {{"Content-Type", "application/json-patch+json"}}, "[]")
                  .status,
              404);
    EXPECT_EQ(Send(c, "GET", "/fhir/" + type).status, 200);
    EXPECT_EQ(Send(c, "GET", "/fhir/" + type + "/_history").status, 200);
    EXPECT_EQ(Send(c, "GET", "/fhir/" + type + "/unknown-id").status, 404);
    // Every listed parameter answers a search with a value of its type.
    for (const auto& p : res["searchParam"].GetArray()) {
      const std::string name(json::StringMember(p, "name"));
      const std::string kind(json::StringMember(p, "type"));
      std::string probe = "x";
      if (kind == "date") probe = "ge2000-01-01";
      if (kind == "number" || kind == "quantity") probe = "1";
      if (kind == "special") probe = "42.25|-83.69|10|km";
      if (kind == "composite") continue;  // Slot and Patient have none
      EXPECT_EQ(Send(c, "GET", "/fhir/" + type + "?" + name + "=" + probe).status, 200)
          << name << "=" << probe;
    }
  }
}

}  // namespace
}  // namespace hestia::testing
