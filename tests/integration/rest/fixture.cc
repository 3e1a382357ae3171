// The shared integration server. See fixture.h.
#include "fixture.h"

#include <atomic>

#include "hestia/base/id.h"

namespace hestia::testing {
namespace {

std::unique_ptr<ServerProcess> g_server;

class ServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto started = ServerProcess::Start({});
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    g_server = std::move(started).value();
  }
  void TearDown() override {
    if (g_server) {
      EXPECT_EQ(g_server->Stop(), 0) << "hestia serve did not stop cleanly:\n"
                                     << g_server->LogTail();
      g_server.reset();
    }
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ServerEnvironment);

}  // namespace

ServerProcess& Server() { return *g_server; }

HttpClient Client() { return HttpClient("127.0.0.1", g_server->port()); }

HttpResponse Send(HttpClient& client, std::string_view method, std::string_view target,
                  const HeaderList& headers, std::string_view body) {
  auto r = client.Send(method, target, headers, body);
  EXPECT_TRUE(r.ok()) << method << " " << target << ": " << r.status().ToString() << "\n"
                      << (g_server ? g_server->LogTail() : "");
  return r.ok() ? std::move(r).value() : HttpResponse{};
}

json::Document ParseBody(const HttpResponse& r) {
  json::Document doc;
  Status s = json::Parse(r.body, json::Limits{}, &doc);
  EXPECT_TRUE(s.ok()) << s.ToString() << "\nbody: " << r.body;
  return doc;
}

std::string IssueCode(const HttpResponse& r) {
  json::Document doc;
  if (!json::Parse(r.body, json::Limits{}, &doc).ok()) return "";
  if (json::StringMember(doc, "resourceType") != "OperationOutcome") return "";
  const json::Value* issue = json::Member(doc, "issue");
  if (issue == nullptr || !issue->IsArray() || issue->Empty()) return "";
  return std::string(json::StringMember((*issue)[0], "code"));
}

std::string Unique(const std::string& prefix) { return prefix + "-" + NewId().substr(0, 8); }

}  // namespace hestia::testing
