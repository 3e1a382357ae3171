// search.statement_timeout_ms: a search that runs longer answers 503 with an
// OperationOutcome (issue code timeout) instead of hanging, and the server stays healthy.
// Runs its own server with a 1 ms limit.
// FHIR R4: http://hl7.org/fhir/R4/search.html (servers may refuse expensive searches)
#include <gtest/gtest.h>

#include "fixture.h"

namespace hestia::testing {
namespace {

TEST(SearchTimeoutTest, SlowSearchAnswers503Timeout) {
  ServerProcess::Options options;
  options.extra_args = {"--search-timeout-ms", "1"};
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  HttpClient c("127.0.0.1", (*server)->port());
  // 4,000 patients (two transactions), each with several name rows.
  for (int batch = 0; batch < 2; ++batch) {
    std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
    for (int i = 0; i < 2000; ++i) {
      bundle +=
          std::string(i ? "," : "") +
          R"({"resource":{"resourceType":"Patient","name":[{"family":"Slowfamily)" +
          std::to_string(i) +
          R"(","given":["Alpha","Beta","Gamma"]}]},"request":{"method":"POST","url":"Patient"}})";
    }
    bundle += "]}";
    HttpResponse loaded = Send(c, "POST", "/fhir", kJson, bundle);
    ASSERT_EQ(loaded.status, 200) << loaded.body.substr(0, 1000);
  }
  // A substring search over every name row, counted: far beyond 1 ms.
  HttpResponse slow =
      Send(c, "GET", "/fhir/Patient?name:contains=zzz&_total=accurate&_sort=-family");
  EXPECT_EQ(slow.status, 503) << slow.body.substr(0, 500);
  EXPECT_EQ(IssueCode(slow), "timeout");
  EXPECT_NE(slow.body.find("search.statement_timeout_ms"), std::string::npos);
  // Writes are not bound by the search limit, and the server keeps answering.
  EXPECT_EQ(Send(c, "GET", "/fhir/metadata").status, 200);
  EXPECT_EQ(Send(c, "POST", "/fhir/Patient", kJson, R"({"resourceType":"Patient"})").status, 201);
  EXPECT_EQ((*server)->Stop(), 0);
}

}  // namespace
}  // namespace hestia::testing
