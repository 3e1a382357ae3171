// Plug-ins over HTTP, against a real server and PostgreSQL: custom operations (and their
// place in the CapabilityStatement), a before-write interceptor rejecting with its
// OperationOutcome, a scheduled job, an outbox event, and failing plug-ins answering 500 for
// their request only. The fixtures are in tests/unit/plugins/fixtures.
// FHIR R4: http://hl7.org/fhir/R4/operations.html, http://hl7.org/fhir/R4/capabilitystatement.html
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hestia/base/id.h"
#include "hestia/base/json.h"
#include "http_client.h"
#include "server_process.h"

namespace hestia::testing {
namespace {

namespace fs = std::filesystem;
using Headers = std::vector<std::pair<std::string, std::string>>;
const Headers kJson = {{"Content-Type", "application/fhir+json"}};

// A plug-ins folder (0755) with copies of fixtures and the list file naming them.
std::string MakePluginDir(const std::vector<std::string>& fixtures, const std::string& list) {
  std::string dir = MakeTempDir("hestia-plugins-it");
  for (const auto& name : fixtures) {
    const std::string to = dir + "/" + name + ".so";
    fs::copy_file(std::string(HESTIA_FIXTURE_DIR) + "/fixture_" + name + ".so", to);
    chmod(to.c_str(), 0755);
  }
  std::ofstream(dir + "/plugins.yaml") << list;
  chmod((dir + "/plugins.yaml").c_str(), 0644);
  return dir;
}

std::unique_ptr<ServerProcess> g_server;

class PluginServer : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string dir = MakePluginDir({"feature", "thrower", "silent", "frozen"}, R"(plugins:
  - name: feature
    config:
      greeting: Howdy
  - name: thrower
  - name: silent
  - name: frozen
    config: {greeting: "from 1.0"}
)");
    // The shared server reads its plug-ins from hestia.yaml (plugins.dir + plugins.list); the
    // refusal test below uses the separate-file form (plugins.config).
    std::ofstream(dir + "/hestia.yaml") << "plugins:\n  dir: " << dir << R"(
  list:
    - name: feature
      config:
        greeting: Howdy
    - name: thrower
    - name: silent
    - name: frozen
      config: {greeting: "from 1.0"}
)";
    ServerProcess::Options options;
    options.extra_args = {"--config", dir + "/hestia.yaml", "--keepalive-timeout-ms", "1500"};
    auto started = ServerProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    g_server = std::move(started).value();
  }
  void TearDown() override {
    if (g_server) {
      EXPECT_EQ(g_server->Stop(), 0) << g_server->LogTail();
      g_server.reset();
    }
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PluginServer);

HttpResponse Send(std::string_view method, std::string_view target, const Headers& headers = {},
                  std::string_view body = {}) {
  HttpClient client("127.0.0.1", g_server->port());
  auto r = client.Send(method, target, headers, body);
  EXPECT_TRUE(r.ok()) << method << " " << target << ": " << r.status().ToString() << "\n"
                      << g_server->LogTail();
  return r.ok() ? std::move(r).value() : HttpResponse{};
}

json::Document Parse(const std::string& text) {
  json::Document doc;
  EXPECT_TRUE(json::Parse(text, json::Limits{}, &doc).ok()) << text;
  return doc;
}

std::string Issue(const HttpResponse& r, const char* member) {
  json::Document doc = Parse(r.body);
  if (json::StringMember(doc, "resourceType") != "OperationOutcome") return "";
  const json::Value* issue = json::Member(doc, "issue");
  if (issue == nullptr || !issue->IsArray() || issue->Empty()) return "";
  const json::Value* v = json::Member((*issue)[0], member);
  if (v == nullptr) return "";
  if (v->IsArray() && !v->Empty()) return std::string(json::AsStringView((*v)[0]));
  return v->IsString() ? std::string(json::AsStringView(*v)) : "";
}

// The valueString of parameter `name` in a Parameters response.
std::string Param(const HttpResponse& r, const std::string& name) {
  json::Document doc = Parse(r.body);
  const json::Value* list = json::Member(doc, "parameter");
  if (list == nullptr || !list->IsArray()) return "";
  for (const auto& p : list->GetArray()) {
    if (json::StringMember(p, "name") == name)
      return std::string(json::StringMember(p, "valueString"));
  }
  return "";
}

int Total(const std::string& search) {
  HttpResponse r = Send("GET", "/fhir/" + search);
  EXPECT_EQ(r.status, 200) << r.body;
  json::Document doc = Parse(r.body);
  const json::Value* entries = json::Member(doc, "entry");
  return entries != nullptr && entries->IsArray() ? static_cast<int>(entries->Size()) : 0;
}

std::string Unique(const std::string& prefix) { return prefix + "-" + NewId().substr(0, 8); }

std::string NewPatient(const std::string& family, const std::string& identifier) {
  return R"({"resourceType":"Patient","identifier":[{"system":"urn:test:plugins","value":")" +
         identifier + R"("}],"name":[{"family":")" + family + R"("}]})";
}

// Polls $feature-stats until `pred` holds (or 20 s pass); returns the last response.
template <typename Pred>
HttpResponse WaitForStats(Pred pred) {
  HttpResponse r;
  for (int i = 0; i < 80; ++i) {
    r = Send("GET", "/fhir/$feature-stats");
    if (r.status == 200 && pred(r)) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return r;
}

TEST(PluginOperations, TheCapabilityStatementListsThem) {
  HttpResponse r = Send("GET", "/fhir/metadata");
  ASSERT_EQ(r.status, 200);
  json::Document doc = Parse(r.body);
  const json::Value& rest = doc["rest"][0];
  std::vector<std::string> system;
  for (const auto& op : rest["operation"].GetArray()) {
    system.emplace_back(json::StringMember(op, "name"));
  }
  EXPECT_NE(std::find(system.begin(), system.end(), "feature-stats"), system.end());
  EXPECT_NE(std::find(system.begin(), system.end(), "frozen-ping"), system.end());
  bool hello = false;
  bool echo = false;
  for (const auto& res : rest["resource"].GetArray()) {
    if (json::StringMember(res, "type") != "Patient") continue;
    ASSERT_NE(json::Member(res, "operation"), nullptr);
    for (const auto& op : res["operation"].GetArray()) {
      if (json::StringMember(op, "name") == "hello") {
        hello = true;
        EXPECT_EQ(json::StringMember(op, "definition"),
                  "http://example.org/fhir/OperationDefinition/hello");
      }
      if (json::StringMember(op, "name") == "echo-read") echo = true;
    }
  }
  EXPECT_TRUE(hello);
  EXPECT_TRUE(echo);
}

TEST(PluginOperations, ATypeLevelOperationAnswersGetAndPost) {
  HttpResponse get = Send("GET", "/fhir/Patient/$hello?name=Ada");
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(Param(get, "greeting"), "Howdy, Ada");  // the greeting comes from its config
  HttpResponse post =
      Send("POST", "/fhir/Patient/$hello", kJson,
           R"({"resourceType":"Parameters","parameter":[{"name":"name","valueString":"Bo"}]})");
  ASSERT_EQ(post.status, 200) << post.body;
  EXPECT_EQ(Param(post, "greeting"), "Howdy, Bo");
  HttpResponse missing = Send("GET", "/fhir/Patient/$hello");
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_EQ(Issue(missing, "diagnostics"), "name is required");
  // Registered for Patient only.
  EXPECT_EQ(Send("GET", "/fhir/Observation/$hello?name=x").status, 400);
}

// A request that runs longer than the keep-alive timeout (1.5 s here) still gets its answer:
// the timeout counts from the last answer, not from the last request.
// FHIR R4: http://hl7.org/fhir/R4/http.html (every interaction answers)
TEST(PluginOperations, ALongRequestOutlivesTheKeepAliveTimeout) {
  HttpClient client("127.0.0.1", g_server->port());
  auto slow = client.Send("GET", "/fhir/$feature-sleep?ms=3000", {}, {});
  ASSERT_TRUE(slow.ok()) << slow.status().ToString() << "\n" << g_server->LogTail();
  EXPECT_EQ(slow->status, 200) << slow->body;
  EXPECT_EQ(Param(*slow, "slept"), "3000");
}

TEST(PluginOperations, AnInstanceOperationReadsThroughTheServer) {
  HttpResponse created = Send("POST", "/fhir/Patient", kJson, NewPatient("Echo", Unique("e")));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(json::StringMember(Parse(created.body), "id"));
  HttpResponse echo = Send("GET", "/fhir/Patient/" + id + "/$echo-read");
  ASSERT_EQ(echo.status, 200) << echo.body;
  EXPECT_EQ(json::StringMember(Parse(echo.body), "id"), id);
  HttpResponse missing = Send("GET", "/fhir/Patient/does-not-exist/$echo-read");
  EXPECT_EQ(missing.status, 404) << missing.body;
}

TEST(PluginOperations, UnknownOperationsAreStillNotSupported) {
  for (const char* target : {"/fhir/$nope", "/fhir/Patient/$nope", "/fhir/Patient/1/$nope"}) {
    HttpResponse r = Send("GET", target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(Issue(r, "code"), "not-supported") << target;
  }
}

TEST(PluginOperations, APluginBuiltAgainstTheFrozenV10HeaderServes) {
  HttpResponse r = Send("GET", "/fhir/$frozen-ping");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Param(r, "greeting"), "from 1.0");
  EXPECT_EQ(Param(r, "abi"), "1.0");
}

TEST(PluginInterceptors, ARejectedWriteAnswersTheOutcomeAndWritesNothing) {
  const std::string identifier = Unique("reject");
  HttpResponse r = Send("POST", "/fhir/Patient", kJson, NewPatient("Reject", identifier));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Issue(r, "diagnostics"), "the feature plug-in refuses the family name Reject");
  EXPECT_EQ(Issue(r, "expression"), "Patient.name.family");
  EXPECT_EQ(Total("Patient?identifier=urn:test:plugins|" + identifier), 0);

  // An update is intercepted too, and the stored version stays.
  HttpResponse ok = Send("POST", "/fhir/Patient", kJson, NewPatient("Keep", identifier));
  ASSERT_EQ(ok.status, 201) << ok.body;
  const std::string id(json::StringMember(Parse(ok.body), "id"));
  std::string changed = NewPatient("Reject", identifier);
  changed.insert(1, R"("id":")" + id + R"(",)");
  EXPECT_EQ(Send("PUT", "/fhir/Patient/" + id, kJson, changed).status, 400);
  EXPECT_EQ(json::StringMember(Parse(Send("GET", "/fhir/Patient/" + id).body)["meta"], "versionId"),
            "1");

  // Inside a transaction Bundle the whole Bundle is refused.
  const std::string other = Unique("tx");
  const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[)"
                             R"({"resource":)" +
                             NewPatient("Fine", other) +
                             R"(,"request":{"method":"POST","url":"Patient"}},)"
                             R"({"resource":)" +
                             NewPatient("Reject", other) +
                             R"(,"request":{"method":"POST","url":"Patient"}}]})";
  HttpResponse tx = Send("POST", "/fhir", kJson, bundle);
  EXPECT_EQ(tx.status, 400) << tx.body;
  EXPECT_EQ(Total("Patient?identifier=urn:test:plugins|" + other), 0);
}

TEST(PluginJobs, AJobRuns) {
  HttpResponse r = WaitForStats([](const HttpResponse& s) { return Param(s, "ticks") != "0"; });
  EXPECT_NE(Param(r, "ticks"), "0") << r.body;
}

TEST(PluginEvents, ACreateIsDeliveredFromTheOutbox) {
  HttpResponse created = Send("POST", "/fhir/Patient", kJson, NewPatient("Event", Unique("ev")));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(json::StringMember(Parse(created.body), "id"));
  HttpResponse r = WaitForStats(
      [&](const HttpResponse& s) { return Param(s, "created").find(id) != std::string::npos; });
  EXPECT_NE(Param(r, "created").find(id), std::string::npos) << r.body;
  EXPECT_NE(Param(r, "after-creates"), "0") << r.body;
}

TEST(PluginFailures, AThrowingPluginAnswers500AndTheServerStaysUp) {
  HttpResponse r = Send("POST", "/fhir/$throw", kJson, R"({"resourceType":"Parameters"})");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(Issue(r, "code"), "exception");
  EXPECT_NE(Issue(r, "diagnostics").find("boom from the thrower plug-in"), std::string::npos);
  EXPECT_EQ(Send("GET", "/fhir/metadata").status, 200);
  EXPECT_EQ(Send("POST", "/fhir/$throw", kJson, R"({"resourceType":"Parameters"})").status, 500);
}

TEST(PluginFailures, FailingWithoutAnErrorAnswers500AndWritesNothing) {
  const std::string identifier = Unique("silent");
  HttpResponse r = Send("POST", "/fhir/Basic", kJson,
                        R"({"resourceType":"Basic","identifier":[{"system":"urn:test:plugins",)"
                        R"("value":")" +
                            identifier + R"("}],"code":{"text":"x"}})");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(Issue(r, "diagnostics").find("without reporting an error"), std::string::npos);
  EXPECT_EQ(Total("Basic?identifier=urn:test:plugins|" + identifier), 0);
  EXPECT_EQ(Send("POST", "/fhir/$silent", kJson, R"({"resourceType":"Parameters"})").status, 500);
  EXPECT_EQ(Send("GET", "/fhir/metadata").status, 200);
}

TEST(PluginLoading, AnUnsafePluginFileStopsStartUpWithItsReason) {
  const std::string dir = MakePluginDir({"feature"}, "plugins:\n  - name: feature\n");
  chmod((dir + "/feature.so").c_str(), 0775);
  ServerProcess::Options options;
  options.extra_args = {"--plugins-dir", dir, "--plugins-config", dir + "/plugins.yaml"};
  options.ready_timeout_ms = 60000;
  auto started = ServerProcess::Start(options);
  ASSERT_FALSE(started.ok()) << "started with a group-writable plug-in";
  EXPECT_NE(started.status().message().find("group- or world-writable"), std::string::npos)
      << started.status().message();
}

}  // namespace
}  // namespace hestia::testing
