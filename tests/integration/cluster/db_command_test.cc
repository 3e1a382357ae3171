// Integration tests of `hestia db start|stop|status` (fhir-core/server/db_command.h): a
// detached cluster outlives the command, stops in immediate mode like an outage, and comes
// back with its data.
#include "db_command.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster_test_support.h"
#include "hestia/storage/embedded_cluster.h"

namespace hestia::server {
namespace {

using storage::testing::MakeTempDir;
using storage::testing::Psql;
using storage::testing::RemoveTree;

struct CommandResult {
  int exit_code;
  std::string out;
};

CommandResult Db(std::vector<std::string> args) {
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  int rc = RunDbCommand(static_cast<int>(argv.size()), argv.data());
  std::string out = ::testing::internal::GetCapturedStdout();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return {rc, out};
}

class DbCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    Db({"stop", "--data-dir", dir_, "--mode", "immediate"});
    RemoveTree(dir_);
  }
  std::string dir_;
};

TEST_F(DbCommandTest, StartStatusImmediateStopAndRestart) {
  EXPECT_EQ(Db({"status", "--data-dir", dir_}).exit_code, 3);

  CommandResult start = Db({"start", "--data-dir", dir_});
  ASSERT_EQ(start.exit_code, 0);
  const std::string conn = start.out;
  ASSERT_EQ(conn.rfind("postgresql:///postgres?host=", 0), 0u) << conn;
  ASSERT_EQ(Psql(conn, "CREATE TABLE t (v int); INSERT INTO t VALUES (42)").exit_code, 0);

  CommandResult status = Db({"status", "--data-dir", dir_});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("running pid="), std::string::npos) << status.out;
  EXPECT_NE(status.out.find(conn), std::string::npos) << status.out;

  // Starting again is idempotent and names the same server.
  CommandResult second = Db({"start", "--data-dir=" + dir_});
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_EQ(second.out, conn);

  // The server would refuse to embed a cluster someone else is running.
  storage::ClusterOptions options;
  options.data_dir = dir_;
  auto embedded = storage::EmbeddedCluster::Start(options);
  EXPECT_EQ(embedded.status().code(), StatusCode::kUnavailable);

  // An outage: immediate mode, no shutdown checkpoint.
  EXPECT_EQ(Db({"stop", "--data-dir", dir_, "--mode", "immediate"}).exit_code, 0);
  EXPECT_EQ(Db({"status", "--data-dir", dir_}).out, "stopped");
  EXPECT_NE(Psql(conn, "SELECT 1").exit_code, 0);

  // Back again, after crash recovery, with the committed row.
  CommandResult restarted = Db({"start", "--data-dir", dir_});
  ASSERT_EQ(restarted.exit_code, 0);
  EXPECT_EQ(restarted.out, conn) << "a server using the old URL reconnects by itself";
  EXPECT_EQ(Psql(restarted.out, "SELECT v FROM t").output, "42");
  EXPECT_EQ(Db({"stop", "--data-dir", dir_}).exit_code, 0);
  EXPECT_EQ(Db({"stop", "--data-dir", dir_}).exit_code, 0) << "stopping twice is fine";
}

TEST(DbCommandUsageTest, RejectsBadArguments) {
  EXPECT_EQ(Db({}).exit_code, 2);
  EXPECT_EQ(Db({"frobnicate", "--data-dir", "/tmp/x"}).exit_code, 2);
  EXPECT_EQ(Db({"stop", "--data-dir", "/tmp/x", "--mode", "gentle"}).exit_code, 2);
  EXPECT_EQ(Db({"start", "--bogus"}).exit_code, 2);
  EXPECT_EQ(Db({"--help"}).exit_code, 0);
}

}  // namespace
}  // namespace hestia::server
