// $reindex: a SearchParameter created over REST becomes searchable after $reindex, for
// resources written before and after, stays active across a restart, and a job interrupted
// by a kill resumes. Runs its own server (it restarts it).
// FHIR R4: http://hl7.org/fhir/R4/searchparameter.html
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fixture.h"

namespace hestia::testing {
namespace {

const char* kEyeParameter =
    R"({"resourceType":"SearchParameter","url":"http://example.org/sp/eye-colour",
  "name":"EyeColour","status":"active","description":"Eye colour","code":"eye-colour",
  "base":["Patient"],"type":"token",
  "expression":"Patient.extension.where(url = 'http://example.org/eye-colour').value"})";

std::string EyePatient(const std::string& colour) {
  return R"({"resourceType":"Patient","extension":[{"url":"http://example.org/eye-colour","valueCode":")" +
         colour + R"("}],"name":[{"family":"Eyes"}]})";
}

long long Total(HttpClient& c, const std::string& target) {
  HttpResponse r = Send(c, "GET", target + "&_total=accurate");
  EXPECT_EQ(r.status, 200) << target << "\n" << r.body;
  json::Document doc = ParseBody(r);
  const json::Value* t = json::Member(doc, "total");
  return t != nullptr && t->IsInt64() ? t->GetInt64() : -1;
}

// Waits until every $reindex job is done; returns false on failure or timeout.
bool WaitForJobs(HttpClient& c, std::string* last_body) {
  for (int i = 0; i < 600; ++i) {
    HttpResponse r = Send(c, "GET", "/fhir/$reindex");
    *last_body = r.body;
    if (r.status != 200) return false;
    if (r.body.find("\"failed\"") != std::string::npos) return false;
    if (r.body.find("\"queued\"") == std::string::npos &&
        r.body.find("\"running\"") == std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(ReindexTest, RunTimeSearchParameterBecomesActiveAndSurvivesRestart) {
  ServerProcess::Options options;
  options.data_dir = MakeTempDir("hestia-reindex");
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  {
    HttpClient c("127.0.0.1", (*server)->port());
    // 450 patients before the parameter exists: more than two reindex batches.
    std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
    for (int i = 0; i < 450; ++i) {
      bundle += std::string(i ? "," : "") + R"({"resource":)" +
                EyePatient(i % 3 == 0 ? "blue" : "brown") +
                R"(,"request":{"method":"POST","url":"Patient"}})";
    }
    bundle += "]}";
    HttpResponse loaded = Send(c, "POST", "/fhir", kJson, bundle);
    ASSERT_EQ(loaded.status, 200) << loaded.body.substr(0, 2000);

    ASSERT_EQ(Send(c, "POST", "/fhir/SearchParameter", kJson, kEyeParameter).status, 201);
    HttpResponse before = Send(c, "GET", "/fhir/Patient?eye-colour=blue");
    EXPECT_EQ(before.status, 400) << "a parameter is not active before $reindex";

    HttpResponse started = Send(c, "POST", "/fhir/$reindex");
    ASSERT_EQ(started.status, 202) << started.body;
    EXPECT_NE(started.body.find("SearchParameter/"), std::string::npos);
    std::string progress;
    ASSERT_TRUE(WaitForJobs(c, &progress)) << progress;
    EXPECT_EQ(Total(c, "/fhir/Patient?eye-colour=blue"), 150);
    EXPECT_EQ(Total(c, "/fhir/Patient?eye-colour=brown"), 300);
    // Resources written after activation are indexed at write time.
    ASSERT_EQ(Send(c, "POST", "/fhir/Patient", kJson, EyePatient("blue")).status, 201);
    EXPECT_EQ(Total(c, "/fhir/Patient?eye-colour=blue"), 151);
    // Type- and instance-level forms.
    EXPECT_EQ(Send(c, "POST", "/fhir/Patient/$reindex").status, 202);
    EXPECT_EQ(Send(c, "POST", "/fhir/Patient/does-not-exist/$reindex").status, 404);
    ASSERT_TRUE(WaitForJobs(c, &progress)) << progress;

    // Kill the server right after queuing a job; the restarted server finishes it.
    ASSERT_EQ(Send(c, "POST", "/fhir/$reindex").status, 202);
  }
  (*server)->Kill();
  server->reset();
  auto again = ServerProcess::Start(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  HttpClient c("127.0.0.1", (*again)->port());
  std::string progress;
  ASSERT_TRUE(WaitForJobs(c, &progress)) << progress;
  EXPECT_EQ(progress.find("\"failed\""), std::string::npos);
  // Still active after the restart.
  EXPECT_EQ(Total(c, "/fhir/Patient?eye-colour=blue"), 151);
  EXPECT_EQ(Total(c, "/fhir/Patient?eye-colour=brown"), 300);
  EXPECT_EQ((*again)->Stop(), 0);
}

}  // namespace
}  // namespace hestia::testing
