// Races between transactions, settled by the database: 20 concurrent transaction Bundles with
// the same conditional create make exactly one resource, and every other entry of every
// transaction references that one resource.
// FHIR R4: http://hl7.org/fhir/R4/http.html#transaction, #ccreate
#include <atomic>
#include <set>
#include <thread>

#include "fixture.h"

namespace hestia::testing {
namespace {

constexpr int kClients = 20;

TEST(TransactionConcurrencyTest, ConcurrentConditionalCreatesInTransactionsMakeOneResource) {
  const std::string value = Unique("tx-race");
  std::atomic<int> ok{0};
  std::atomic<int> other{0};
  std::vector<std::string> patient_refs(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c = Client();
      const std::string bundle =
          R"({"resourceType":"Bundle","type":"transaction","entry":[)"
          R"({"fullUrl":"urn:uuid:6f1c2a3e-0000-4000-8000-000000000001","resource":)"
          R"({"resourceType":"Patient","identifier":[{"system":"urn:race","value":")" +
          value +
          R"("}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:race|)" +
          value +
          R"("}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},)"
          R"("identifier":[{"system":"urn:race-obs","value":")" +
          value +
          R"("}],"subject":{"reference":"urn:uuid:6f1c2a3e-0000-4000-8000-000000000001"}},)"
          R"("request":{"method":"POST","url":"Observation"}}]})";
      auto r = c.Send("POST", "/fhir", kJson, bundle);
      if (!r.ok() || r->status != 200) {
        ++other;
        return;
      }
      json::Document doc;
      if (!json::Parse(r->body, json::Limits{}, &doc).ok()) {
        ++other;
        return;
      }
      ++ok;
      patient_refs[i] = std::string(json::StringMember(doc["entry"][0]["response"], "location"));
      patient_refs[i] = patient_refs[i].substr(0, patient_refs[i].find("/_history"));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(std::set<std::string>(patient_refs.begin(), patient_refs.end()).size(), 1u);
  HttpClient c = Client();
  json::Document patients = ParseBody(Send(c, "GET", "/fhir/Patient?identifier=urn:race|" + value));
  EXPECT_EQ(patients["total"].GetInt64(), 1);
  json::Document observations =
      ParseBody(Send(c, "GET", "/fhir/Observation?_count=100&identifier=urn:race-obs|" + value));
  ASSERT_EQ(observations["total"].GetInt64(), kClients);
  for (const auto& e : observations["entry"].GetArray()) {
    EXPECT_EQ(json::StringMember(e["resource"]["subject"], "reference"), patient_refs[0]);
  }
}

}  // namespace
}  // namespace hestia::testing
