// Integration tests of EmbeddedCluster against real PostgreSQL binaries: first start (initdb),
// durable settings, persistence across restarts, supervision after kill -9, stale
// postmaster.pid files, and (as root) the unprivileged cluster user and its fallback folder.
// The tests of this file share one data folder and run in order within one process.
#include "hestia/storage/embedded_cluster.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cluster_test_support.h"

namespace hestia::storage {
namespace {

using testing::MakeTempDir;
using testing::Psql;
using testing::RemoveTree;
using testing::WaitForSql;

class EmbeddedClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { data_dir_ = new std::string(MakeTempDir()); }
  static void TearDownTestSuite() {
    RemoveTree(*data_dir_);
    delete data_dir_;
  }

  static ClusterOptions Options() {
    ClusterOptions o;
    o.data_dir = *data_dir_;
    return o;
  }

  static std::unique_ptr<EmbeddedCluster> MustStart() {
    auto started = EmbeddedCluster::Start(Options());
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    return started.ok() ? std::move(started).value() : nullptr;
  }

  static std::string SocketDirOf(const std::string& conn) {
    size_t host = conn.find("host=");
    size_t end = conn.find('&', host);
    return conn.substr(host + 5, end - host - 5);
  }

  static std::string* data_dir_;
};

std::string* EmbeddedClusterTest::data_dir_ = nullptr;

TEST_F(EmbeddedClusterTest, StartsWithDurableSettingsAndKeepsDataAcrossRestarts) {
  ASSERT_FALSE(data_dir_->empty());
  auto cluster = MustStart();
  ASSERT_NE(cluster, nullptr);
  const std::string conn = cluster->ConnectionString();
  EXPECT_EQ(conn.rfind("postgresql:///postgres?host=/tmp/hestia-", 0), 0u) << conn;

  EXPECT_EQ(Psql(conn, "SHOW fsync").output, "on");
  EXPECT_EQ(Psql(conn, "SHOW full_page_writes").output, "on");
  EXPECT_EQ(Psql(conn, "SHOW synchronous_commit").output, "on");
  EXPECT_EQ(Psql(conn, "SHOW data_checksums").output, "on");
  EXPECT_EQ(Psql(conn, "SHOW listen_addresses").output, "");
  // A quarter of the memory, from 128MB to 1GB (cluster_setup.cc).
  const int64_t quarter_mb =
      static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE) / 4 / (1 << 20);
  EXPECT_EQ(Psql(conn, "SELECT pg_size_bytes(current_setting('shared_buffers')) / 1048576").output,
            std::to_string(std::clamp<int64_t>(quarter_mb, 128, 1024)));
  EXPECT_EQ(Psql(conn, "SHOW max_connections").output, "100");
  EXPECT_EQ(Psql(conn, "SELECT current_user").output, "hestia");
  EXPECT_EQ(Psql(conn,
                 "SELECT pg_encoding_to_char(encoding) FROM pg_database "
                 "WHERE datname = 'postgres'")
                .output,
            "UTF8");

  // A private socket folder, and postgres running as the cluster user.
  const std::string socket_dir = SocketDirOf(conn);
  struct stat st;
  ASSERT_EQ(stat(socket_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(("/proc/" + std::to_string(cluster->PostmasterPid())).c_str(), &st), 0);
  if (geteuid() == 0) {
    struct passwd* pw = getpwnam("hestia");
    ASSERT_NE(pw, nullptr);
    EXPECT_EQ(st.st_uid, pw->pw_uid);
  } else {
    EXPECT_EQ(st.st_uid, geteuid());
  }
  EXPECT_TRUE(std::filesystem::exists(*data_dir_ + "/postgres.log"));

  ASSERT_EQ(
      Psql(conn, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('persisted')").exit_code, 0);
  EXPECT_TRUE(cluster->Stop(EmbeddedCluster::StopMode::kFast).ok());
  EXPECT_TRUE(cluster->Stop(EmbeddedCluster::StopMode::kFast).ok()) << "Stop is idempotent";
  EXPECT_EQ(cluster->PostmasterPid(), -1);
  EXPECT_FALSE(std::filesystem::exists(socket_dir)) << "socket folder removed on stop";
  EXPECT_NE(Psql(conn, "SELECT 1").exit_code, 0);
  cluster.reset();

  auto again = MustStart();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->ConnectionString(), conn) << "same socket folder, same connection string";
  EXPECT_EQ(Psql(again->ConnectionString(), "SELECT v FROM kept").output, "persisted");
}

TEST_F(EmbeddedClusterTest, SupervisorRestartsPostgresAfterKill9) {
  auto cluster = MustStart();
  ASSERT_NE(cluster, nullptr);
  cluster->Supervise();
  const std::string conn = cluster->ConnectionString();
  const pid_t first = cluster->PostmasterPid();
  ASSERT_GT(first, 0);
  ASSERT_EQ(
      Psql(conn,
           "CREATE TABLE IF NOT EXISTS kept (v text); INSERT INTO kept VALUES ('before crash')")
          .exit_code,
      0);

  // A busy backend outlives its postmaster for a moment and holds the shared memory; the
  // restart must get past that.
  std::thread busy([conn] { Psql(conn, "SELECT pg_sleep(3)"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(first, SIGKILL), 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  pid_t second = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    second = cluster->PostmasterPid();
    if (second > 0 && second != first) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(second, 0);
  EXPECT_NE(second, first);
  EXPECT_EQ(cluster->ConnectionString(), conn) << "the pool reconnects to the same address";
  ASSERT_TRUE(WaitForSql(conn, 30000)) << "postgres came back";
  EXPECT_EQ(Psql(conn, "SELECT count(*) FROM kept WHERE v = 'before crash'").output, "1");
  busy.join();
  EXPECT_TRUE(cluster->Stop(EmbeddedCluster::StopMode::kFast).ok());
}

TEST_F(EmbeddedClusterTest, StalePostmasterPidDoesNotPreventStart) {
  // Start once so the cluster exists and is stopped, then leave pid files behind as a killed
  // run would: one naming a dead pid, one naming a live pid that is not a postmaster.
  { ASSERT_NE(MustStart(), nullptr); }
  std::string pid_file = *data_dir_ + "/pgdata/postmaster.pid";
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  waitpid(dead, nullptr, 0);
  for (pid_t stale : {dead, getpid()}) {
    {
      std::ofstream out(pid_file, std::ios::trunc);
      out << stale << "\n"
          << std::filesystem::canonical(*data_dir_ + "/pgdata").string()
          << "\n1700000000\n5432\n/tmp/hestia-gone\n\n  1234567   0\nready   \n";
    }
    auto cluster = EmbeddedCluster::Start(Options());
    ASSERT_TRUE(cluster.ok()) << "stale pid " << stale << ": " << cluster.status().ToString();
    EXPECT_EQ(Psql((*cluster)->ConnectionString(), "SELECT 1").output, "1");
  }
}

// A server killed with SIGKILL cannot stop its cluster; the postmaster must not live on as an
// orphan that blocks the next start.
TEST_F(EmbeddedClusterTest, PostmasterShutsDownWhenTheServerIsKilled) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t server = fork();
  ASSERT_GE(server, 0);
  if (server == 0) {
    close(fds[0]);
    auto cluster = EmbeddedCluster::Start(Options());
    pid_t pm = cluster.ok() ? (*cluster)->PostmasterPid() : -1;
    if (write(fds[1], &pm, sizeof pm) != sizeof pm) _exit(1);
    for (;;) pause();
  }
  close(fds[1]);
  pid_t postmaster = -1;
  ASSERT_EQ(read(fds[0], &postmaster, sizeof postmaster), static_cast<ssize_t>(sizeof postmaster));
  close(fds[0]);
  ASSERT_GT(postmaster, 0);
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);

  auto gone = [postmaster] {
    std::ifstream stat("/proc/" + std::to_string(postmaster) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    return line[line.rfind(')') + 2] == 'Z';  // exited; the container's init may not reap
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!gone() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone()) << "postmaster " << postmaster << " outlived the killed server";
  auto again = EmbeddedCluster::Start(Options());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Psql((*again)->ConnectionString(), "SELECT 1").output, "1");
}

TEST_F(EmbeddedClusterTest, StartFailureReportsThePostgresLogTail) {
  { ASSERT_NE(MustStart(), nullptr); }  // the cluster exists
  const std::string conf = *data_dir_ + "/pgdata/postgresql.conf";
  std::string original;
  {
    std::ifstream in(conf);
    original.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  { std::ofstream(conf, std::ios::app) << "hestia_no_such_setting = 1\n"; }
  auto broken = EmbeddedCluster::Start(Options());
  { std::ofstream(conf, std::ios::trunc) << original; }
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(broken.status().message().find("hestia_no_such_setting"), std::string::npos)
      << broken.status().ToString();
  auto fixed = EmbeddedCluster::Start(Options());
  EXPECT_TRUE(fixed.ok()) << fixed.status().ToString();
}

TEST_F(EmbeddedClusterTest, BadBinDirFailsWithoutStartingAnything) {
  ClusterOptions o = Options();
  o.bin_dir = "/nonexistent/bin";
  auto cluster = EmbeddedCluster::Start(o);
  ASSERT_FALSE(cluster.ok());
  EXPECT_NE(cluster.status().message().find("/nonexistent/bin"), std::string::npos);
}

TEST_F(EmbeddedClusterTest, VerifyDurableSettingsReportsUnreachableServer) {
  Status s = VerifyDurableSettings("postgresql:///postgres?host=/tmp/hestia-nowhere&user=hestia");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
}

// As root, a data folder the cluster user cannot traverse (a clone under /root, mode 0700)
// gets its cluster under /var/lib/hestia/clusters with a symlink in the data folder.
TEST(EmbeddedClusterFallbackTest, UntraversableDataDirUsesFallbackFolder) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: the fallback exists for the cluster user";
  const std::string private_root = MakeTempDir(/*traversable=*/false);
  ASSERT_FALSE(private_root.empty());
  ClusterOptions o;
  o.data_dir = private_root + "/clone/var";
  std::string target;
  {
    auto cluster = EmbeddedCluster::Start(o);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    const std::string link = o.data_dir + "/pgdata";
    ASSERT_TRUE(std::filesystem::is_symlink(link));
    target = std::filesystem::read_symlink(link).string();
    EXPECT_EQ(target.rfind("/var/lib/hestia/clusters/", 0), 0u) << target;
    EXPECT_EQ(Psql((*cluster)->ConnectionString(), "SHOW data_checksums").output, "on");
    EXPECT_TRUE((*cluster)->Stop(EmbeddedCluster::StopMode::kFast).ok());
  }
  {
    auto again = EmbeddedCluster::Start(o);
    ASSERT_TRUE(again.ok()) << "reuses the fallback cluster: " << again.status().ToString();
  }
  RemoveTree(private_root);
  std::error_code ec;
  if (target.rfind("/var/lib/hestia/clusters/", 0) == 0) std::filesystem::remove_all(target, ec);
}

}  // namespace
}  // namespace hestia::storage
