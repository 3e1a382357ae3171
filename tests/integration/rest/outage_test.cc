// The database goes away and comes back: requests get 503 + Retry-After + OperationOutcome
// (never a 2xx for a write whose commit is unknown), /readyz turns 503, and the server
// recovers by itself. Also: start-up refuses a cluster with fsync=off.
// Uses `hestia db start|stop` for a PostgreSQL the server reaches through --database-url.
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "hestia/base/json.h"
#include "http_client.h"
#include "server_process.h"

namespace hestia::testing {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class OutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_dir_ = MakeTempDir("hestia-outage-db");
    ASSERT_EQ(RunCommand({HestiaBinary(), "db", "start", "--data-dir", db_dir_}, &url_), 0);
    url_ = Trim(url_);
    ASSERT_FALSE(url_.empty());
  }
  void TearDown() override {
    RunCommand({HestiaBinary(), "db", "stop", "--data-dir", db_dir_, "--mode", "fast"});
  }
  std::string db_dir_;
  std::string url_;
};

TEST_F(OutageTest, UnavailableDatabaseGives503AndTheServerRecovers) {
  ServerProcess::Options options;
  options.database_url = url_;
  options.extra_args = {"--acquire-timeout-ms", "2000"};
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  HttpClient c("127.0.0.1", (*server)->port());
  const std::vector<std::pair<std::string, std::string>> json = {
      {"Content-Type", "application/fhir+json"}};
  auto created = c.Send("PUT", "/fhir/Patient/outage-1", json,
                        R"({"resourceType":"Patient","id":"outage-1"})");
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;

  ASSERT_EQ(
      RunCommand({HestiaBinary(), "db", "stop", "--data-dir", db_dir_, "--mode", "immediate"}), 0);
  for (int i = 0; i < 3; ++i) {
    auto write = c.Send("POST", "/fhir/Patient", json, R"({"resourceType":"Patient"})");
    ASSERT_TRUE(write.ok()) << write.status().ToString();
    EXPECT_EQ(write->status, 503) << write->body;
    ASSERT_NE(write->Header("Retry-After"), nullptr);
    json::Document doc;
    ASSERT_TRUE(json::Parse(write->body, {}, &doc).ok()) << write->body;
    EXPECT_EQ(json::StringMember(doc, "resourceType"), "OperationOutcome");
    auto read = c.Send("GET", "/fhir/Patient/outage-1");
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->status, 503);
  }
  auto ready = c.Send("GET", "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 503);

  ASSERT_EQ(RunCommand({HestiaBinary(), "db", "start", "--data-dir", db_dir_}), 0);
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    auto read = c.Send("GET", "/fhir/Patient/outage-1");
    status = read.ok() ? read->status : 0;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_EQ(status, 200) << (*server)->LogTail();
  auto again = c.Send("POST", "/fhir/Patient", json, R"({"resourceType":"Patient"})");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 201);
  auto ready_again = c.Send("GET", "/readyz");
  ASSERT_TRUE(ready_again.ok());
  EXPECT_EQ(ready_again->status, 200);
  EXPECT_EQ((*server)->Stop(), 0);
}

// A PostgreSQL started by hand with fsync=off (the embedded cluster pins fsync=on, so this
// stands for an operator's misconfigured server reached through --database-url).
TEST_F(OutageTest, StartupRefusesFsyncOff) {
  const std::string dir = MakeTempDir("hestia-fsync");
  std::vector<std::string> as_user;
  if (geteuid() == 0) {
    ASSERT_EQ(RunCommand({"chown", "-R", "hestia", dir}), 0);
    as_user = {"runuser", "-u", "hestia", "--"};
  }
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), as_user.begin(), as_user.end());
    return RunCommand(args);
  };
  const std::string bin = "/usr/lib/postgresql/15/bin/";
  ASSERT_EQ(run({bin + "initdb", "-D", dir + "/pg", "-U", "hestia", "--auth=trust", "-E", "UTF8"}),
            0);
  ASSERT_EQ(run({bin + "pg_ctl", "-D", dir + "/pg", "-l", dir + "/pg.log", "-w", "-o",
                 "-c fsync=off -c listen_addresses='' -c unix_socket_directories=" + dir, "start"}),
            0);
  ServerProcess::Options options;
  options.database_url = "postgresql:///postgres?host=" + dir + "&user=hestia";
  options.ready_timeout_ms = 60000;
  auto server = ServerProcess::Start(options);
  EXPECT_FALSE(server.ok());
  if (!server.ok()) {
    EXPECT_NE(server.status().message().find("fsync=off"), std::string::npos)
        << server.status().ToString();
  }
  EXPECT_EQ(run({bin + "pg_ctl", "-D", dir + "/pg", "-m", "fast", "-w", "stop"}), 0);
}

}  // namespace
}  // namespace hestia::testing
