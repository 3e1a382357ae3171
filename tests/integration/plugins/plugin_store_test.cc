// The plug-in host's storage (fhir-core/storage/plugin_store.h, migration 4) against a real
// PostgreSQL: the outbox holds exactly the committed writes, delivers them in commit order
// without ever skipping a transaction that commits late, keeps each subscriber's position,
// and a due job run is claimed by exactly one of many concurrent claimants.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "cluster_test_support.h"
#include "hestia/base/time.h"
#include "hestia/storage/embedded_cluster.h"
#include "hestia/storage/plugin_store.h"
#include "hestia/storage/store.h"

namespace hestia::storage {
namespace {

class PluginStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir());
    ClusterOptions options;
    options.data_dir = *dir_;
    auto cluster = EmbeddedCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = cluster->release();
    StoreOptions store_options;
    store_options.url = cluster_->ConnectionString();
    auto store = Store::Open(store_options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store->release();
    auto plugin_store = PluginStore::Open(store_options);
    ASSERT_TRUE(plugin_store.ok()) << plugin_store.status().ToString();
    plugin_store_ = plugin_store->release();
  }
  static void TearDownTestSuite() {
    delete plugin_store_;
    delete store_;
    delete cluster_;
    testing::RemoveTree(*dir_);
    delete dir_;
  }

  static NewVersion Version(const std::string& id) {
    NewVersion v;
    v.type = "Basic";
    v.id = id;
    v.version = 1;
    v.last_updated = NowMicros();
    v.method = "POST";
    v.body = R"({"resourceType":"Basic","id":")" + id + R"("})";
    return v;
  }

  // Every event the subscriber gets now, as ids, advancing its position.
  static std::vector<std::string> Drain(const std::string& subscriber) {
    std::vector<std::string> ids;
    auto n = plugin_store_->DeliverEvents(subscriber, 100, [&](const OutboxEvent& e) {
      ids.push_back(e.id);
      return Delivery::kDone;
    });
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return ids;
  }

  static std::string* dir_;
  static EmbeddedCluster* cluster_;
  static Store* store_;
  static PluginStore* plugin_store_;
};

std::string* PluginStoreTest::dir_ = nullptr;
EmbeddedCluster* PluginStoreTest::cluster_ = nullptr;
Store* PluginStoreTest::store_ = nullptr;
PluginStore* PluginStoreTest::plugin_store_ = nullptr;

TEST_F(PluginStoreTest, ANewSubscriberSeesOnlyLaterCommitsInOrder) {
  ASSERT_TRUE(store_->WriteAutocommit(Version("before-subscribe")).ok());
  ASSERT_TRUE(plugin_store_->EnsureSubscriber("t/order").ok());
  for (const char* id : {"o1", "o2", "o3"}) ASSERT_TRUE(store_->WriteAutocommit(Version(id)).ok());
  EXPECT_EQ(Drain("t/order"), (std::vector<std::string>{"o1", "o2", "o3"}));
  EXPECT_TRUE(Drain("t/order").empty()) << "the position was stored";
  // Events carry the stored version.
  ASSERT_TRUE(store_->WriteAutocommit(Version("o4")).ok());
  auto n = plugin_store_->DeliverEvents("t/order", 10, [](const OutboxEvent& e) {
    EXPECT_EQ(e.type, "Basic");
    EXPECT_EQ(e.version, 1);
    EXPECT_EQ(e.method, "POST");
    EXPECT_EQ(e.body, R"({"resourceType":"Basic","id":"o4"})");
    return Delivery::kDone;
  });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
}

TEST_F(PluginStoreTest, ALateCommittingTransactionIsNeitherSkippedNorReordered) {
  ASSERT_TRUE(plugin_store_->EnsureSubscriber("t/late").ok());
  auto early = store_->Begin();
  ASSERT_TRUE(early.ok());
  ASSERT_TRUE((*early)->Write(Version("late-early")).ok());
  // Writes are deferred (store.h); LockCurrent of the waiting resource sends it, so the open
  // transaction now holds the smaller xid.
  ASSERT_TRUE((*early)->LockCurrent("Basic", "late-early").ok());
  ASSERT_TRUE(store_->WriteAutocommit(Version("late-second")).ok());
  EXPECT_TRUE(Drain("t/late").empty()) << "nothing may pass a transaction still running";
  ASSERT_TRUE((*early)->Commit().ok());
  EXPECT_EQ(Drain("t/late"), (std::vector<std::string>{"late-early", "late-second"}));
}

TEST_F(PluginStoreTest, RolledBackWritesHaveNoEvents) {
  ASSERT_TRUE(plugin_store_->EnsureSubscriber("t/rollback").ok());
  {
    auto txn = store_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Write(Version("rolled-back")).ok());
  }  // destroyed without Commit: rolled back
  ASSERT_TRUE(store_->WriteAutocommit(Version("kept")).ok());
  EXPECT_EQ(Drain("t/rollback"), (std::vector<std::string>{"kept"}));
}

TEST_F(PluginStoreTest, RetryStopsTheRoundAndRedeliversLater) {
  ASSERT_TRUE(plugin_store_->EnsureSubscriber("t/retry").ok());
  for (const char* id : {"r1", "r2"}) ASSERT_TRUE(store_->WriteAutocommit(Version(id)).ok());
  std::vector<std::string> seen;
  auto n = plugin_store_->DeliverEvents("t/retry", 10, [&](const OutboxEvent& e) {
    seen.push_back(e.id);
    return e.id == "r2" ? Delivery::kRetry : Delivery::kDone;
  });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(Drain("t/retry"), (std::vector<std::string>{"r2"}));
}

TEST_F(PluginStoreTest, ADueJobRunIsClaimedOnce) {
  const Micros now = NowMicros();
  const Micros minute = 60LL * 1000000;
  auto first = plugin_store_->ClaimJobRun("t/job", 42, now - minute + 1, now);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  auto again = plugin_store_->ClaimJobRun("t/job", 42, now - minute + 1, now + 1);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "ran less than an interval ago";

  // Eight nodes racing for the next due run: one wins.
  const Micros later = now + minute;
  std::atomic<int> winners{0};
  std::vector<std::thread> nodes;
  for (int i = 0; i < 8; ++i) {
    nodes.emplace_back([&] {
      auto won = plugin_store_->ClaimJobRun("t/job", 42, later - minute + 1, later);
      if (won.ok() && *won) ++winners;
    });
  }
  for (auto& t : nodes) t.join();
  EXPECT_EQ(winners.load(), 1);
}

}  // namespace
}  // namespace hestia::storage
