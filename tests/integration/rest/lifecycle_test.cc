// The server's life cycle as `make run` uses it: first start initialises the embedded cluster
// and loads the demo clinic; SIGTERM/Ctrl-C stops server and cluster cleanly; the next start
// finds the same data and does not load the demo twice.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "hestia/base/json.h"
#include "http_client.h"
#include "server_process.h"

namespace hestia::testing {
namespace {

long long Total(HttpClient& c, const std::string& url) {
  auto r = c.Send("GET", url + "?_total=accurate");
  if (!r.ok() || r->status != 200) return -1;
  json::Document doc;
  if (!json::Parse(r->body, {}, &doc).ok()) return -1;
  const json::Value* total = json::Member(doc, "total");
  return total != nullptr && total->IsInt64() ? total->GetInt64() : -1;
}

TEST(LifecycleTest, DemoDataPersistenceAndCleanStop) {
  const std::string dir = MakeTempDir("hestia-life");
  ServerProcess::Options options;
  options.data_dir = dir;
  options.extra_args = {"--demo", "true"};
  long long patients = 0;
  {
    auto server = ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    HttpClient c("127.0.0.1", (*server)->port());
    patients = Total(c, "/fhir/Patient");
    EXPECT_GE(patients, 5);
    EXPECT_GE(Total(c, "/fhir/Practitioner"), 3);
    EXPECT_GE(Total(c, "/fhir/PractitionerRole"), 3);
    EXPECT_GE(Total(c, "/fhir/Location"), 2);
    EXPECT_GE(Total(c, "/fhir/Schedule"), 1);
    EXPECT_GE(Total(c, "/fhir/Slot"), 10);
    EXPECT_GE(Total(c, "/fhir/Appointment"), 2);
    auto created =
        c.Send("PUT", "/fhir/Patient/survivor", {{"Content-Type", "application/fhir+json"}},
               R"({"resourceType":"Patient","id":"survivor"})");
    ASSERT_TRUE(created.ok());
    ASSERT_EQ(created->status, 201);
    EXPECT_EQ((*server)->Stop(), 0) << (*server)->LogTail();
  }
  // The cluster stopped with the server.
  EXPECT_FALSE(std::filesystem::exists(dir + "/pgdata/postmaster.pid"));

  auto again = ServerProcess::Start(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  HttpClient c("127.0.0.1", (*again)->port());
  auto read = c.Send("GET", "/fhir/Patient/survivor");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(Total(c, "/fhir/Patient"), patients + 1);  // demo not loaded twice
  EXPECT_EQ((*again)->Stop(), 0) << (*again)->LogTail();
}

TEST(LifecycleTest, HelpListsEveryOptionWithItsEnvironmentVariable) {
  std::string out;
  ASSERT_EQ(RunCommand({HestiaBinary(), "serve", "--help"}, &out), 0);
  for (const char* needle :
       {"--port", "--data-dir", "--database-url", "HESTIA_SERVER_PORT", "HESTIA_DATABASE_URL",
        "server.port", "database.data_dir", "--max-request-bytes", "--json-max-depth"}) {
    EXPECT_NE(out.find(needle), std::string::npos) << needle;
  }
  EXPECT_NE(RunCommand({HestiaBinary(), "serve", "--no-such-option", "1"}), 0);
}

}  // namespace
}  // namespace hestia::testing
