// Proof 3 of "nothing is lost": PostgreSQL (a `hestia db start` cluster that the server reaches
// through --database-url) is stopped with `hestia db stop --mode immediate` — the server is
// not told — in the middle of a load of transaction Bundles from 6 clients, three times. While
// it is down every request gets 503 + Retry-After (never another status, never a dropped
// connection); after `hestia db start` the same server process recovers by itself; and a 2xx
// always meant committed: every acknowledged transaction is present afterwards, none is partly
// present, nothing is duplicated.
// ARCHITECTURE.md §7 ("never 2xx for a write whose commit is in doubt; 503 with Retry-After
// when the database is unavailable"); FHIR R4: http://hl7.org/fhir/R4/http.html#transaction.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "durability_support.h"
#include "hestia/base/id.h"
#include "server_process.h"

namespace hestia::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kOutages = 3;
constexpr int kClients = 6;

class DbOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_dir_ = MakeTempDir("hestia-dbout-db");
    ASSERT_EQ(RunHestia({"db", "start", "--data-dir", db_dir_}, &url_), 0);
    ASSERT_FALSE(url_.empty());
  }
  void TearDown() override {
    if (server_ != nullptr) {
      const std::string dir = server_->data_dir();
      server_.reset();
      RemoveTree(dir);
    }
    RunHestia({"db", "stop", "--data-dir", db_dir_, "--mode", "fast"});
    RemoveTree(db_dir_);
  }
  std::string db_dir_;
  std::string url_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(DbOutageTest, ImmediateStopDuringLoadNever2xxForUnknownOutcome) {
  const auto began = Clock::now();
  ServerProcess::Options options;
  options.database_url = url_;
  options.extra_args = {"--acquire-timeout-ms", "1000"};
  auto started = ServerProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  server_ = std::move(started).value();

  const std::string system = "urn:hestia:durability:outage:" + NewId();
  std::mt19937 rng(std::random_device{}());
  TransactionLoad load(server_->port(), system, "o", kClients, rng());
  int acked_before_outage = 0;
  for (int outage = 0; outage < kOutages; ++outage) {
    // Commits are flowing, then the database goes away at a random moment.
    const auto flowing = Clock::now() + std::chrono::seconds(30);
    const int wanted = load.acked() + 5;
    while (load.acked() < wanted && Clock::now() < flowing) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GE(load.acked(), wanted) << "outage " << outage << ": the load does not get through\n"
                                    << server_->LogTail();
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 500)(rng)));
    ASSERT_EQ(RunHestia({"db", "stop", "--data-dir", db_dir_, "--mode", "immediate"}), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    acked_before_outage = load.acked();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    // Nothing commits while the database is down.
    EXPECT_EQ(load.acked(), acked_before_outage) << "outage " << outage;
    {
      HttpClient probe("127.0.0.1", server_->port());
      auto ready = probe.Send("GET", "/readyz");
      ASSERT_TRUE(ready.ok());
      EXPECT_EQ(ready->status, 503) << "outage " << outage;
    }
    std::string url;
    ASSERT_EQ(RunHestia({"db", "start", "--data-dir", db_dir_}, &url), 0);
    ASSERT_EQ(url, url_);
    // The same server process recovers by itself: commits flow again.
    const auto recovered = Clock::now() + std::chrono::seconds(30);
    while (load.acked() <= acked_before_outage && Clock::now() < recovered) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GT(load.acked(), acked_before_outage)
        << "outage " << outage << ": no commit after the database came back\n"
        << server_->LogTail();
  }
  load.Stop();
  const auto& counts = load.counts();
  for (std::size_t i = 0; i < counts.unexpected.size() && i < 10; ++i) {
    ADD_FAILURE() << "neither 2xx nor 503 + Retry-After: " << counts.unexpected[i];
  }
  EXPECT_EQ(counts.transport_errors, 0);
  EXPECT_GT(counts.unavailable, 0) << "no request met the outage";

  HttpClient client("127.0.0.1", server_->port());
  EXPECT_TRUE(WaitReady(server_->port(), 10000));
  int rows = 0;
  const auto problems = VerifyRun(client, system, load.acks(), &rows);
  for (std::size_t i = 0; i < problems.size() && i < 10; ++i) ADD_FAILURE() << problems[i];
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(server_->Stop(), 0);
  const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
  std::printf(
      "%d outages: %d acknowledged transactions (all present, %d resources), %d answered 503 + "
      "Retry-After, %.1f s in all\n",
      kOutages, counts.acked, rows, counts.unavailable, seconds);
}

}  // namespace
}  // namespace hestia::testing
