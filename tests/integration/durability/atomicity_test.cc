// Proof 1 of "nothing is lost": 1,000 transaction Bundles, each with one invalid entry at a
// random position among 3–6 entries, sent by 4 concurrent clients, commit nothing at all — no
// resource of the run exists afterwards, the system history head is unchanged, and the
// resource that the invalid PUT/PATCH entries aim at is still at version 1.
// FHIR R4: http://hl7.org/fhir/R4/http.html#transaction ("either all the actions succeed or
// all fail"), ARCHITECTURE.md §3 (a write and its index rows are one database transaction).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "durability_support.h"
#include "hestia/base/id.h"
#include "hestia/base/json.h"
#include "server_process.h"

namespace hestia::testing {
namespace {

constexpr int kTransactions = 1000;
constexpr int kClients = 4;
constexpr int kInvalidKinds = 7;

const std::vector<std::pair<std::string, std::string>> kFhirJson = {
    {"Content-Type", "application/fhir+json"}};

// An entry that makes the whole transaction fail, of kind `kind`; `existing` is "Patient/id"
// of a resource at version 1.
std::string InvalidEntry(int kind, const std::string& system, const std::string& value,
                         const std::string& existing) {
  const std::string existing_id = existing.substr(existing.find('/') + 1);
  switch (kind) {
    case 0:  // body type differs from the URL's type
      return TransactionEntry("POST", "Patient", R"({"resourceType":"Basic","code":{"text":"x"}})");
    case 1:  // reference to a urn:uuid that no entry has
      return TransactionEntry(
          "POST", "Observation",
          MarkedObservation(system, value, "urn:uuid:00000000-0000-4000-8000-000000000000"));
    case 2:  // version conflict
      return TransactionEntry("PUT", existing,
                              R"({"resourceType":"Patient","id":")" + existing_id + R"("})", "",
                              R"(,"ifMatch":"W/\"99\"")");
    case 3:  // conditional reference without a match
      return TransactionEntry(
          "POST", "Observation",
          MarkedObservation(system, value, "Patient?identifier=urn:nobody|" + NewId()));
    case 4:  // a JSON Patch whose test operation fails
      return TransactionEntry(
          "PATCH", existing,
          R"({"resourceType":"Binary","contentType":"application/json-patch+json",)"
          R"("data":"W3sib3AiOiJ0ZXN0IiwicGF0aCI6Ii9pZCIsInZhbHVlIjoibm8ifV0="})");
    case 5:  // a resource without resourceType
      return TransactionEntry("POST", "Patient",
                              R"({"identifier":[{"value":")" + value + R"("}]})");
    default:  // a type the server does not know
      return TransactionEntry("POST", "Unicorn", R"({"resourceType":"Unicorn"})");
  }
}

// What must not move: the newest entry of the system history and its total.
std::string HistoryHead(HttpClient& client) {
  auto r = client.Send("GET", "/fhir/_history?_count=1");
  if (!r.ok() || r->status != 200) return "history failed";
  json::Document doc;
  if (!json::Parse(r->body, {}, &doc).ok()) return "history is not JSON";
  std::string head;
  if (const json::Value* total = json::Member(doc, "total"); total && total->IsInt64()) {
    head = "total " + std::to_string(total->GetInt64());
  }
  const json::Value* entries = json::Member(doc, "entry");
  if (entries != nullptr && entries->IsArray() && !entries->Empty()) {
    const json::Value& first = (*entries)[0];
    head += " " + std::string(json::StringMember(first, "fullUrl"));
    if (const json::Value* res = json::Member(first, "resource"); res != nullptr) {
      if (const json::Value* meta = json::Member(*res, "meta"); meta != nullptr) {
        head += " v" + std::string(json::StringMember(*meta, "versionId")) + " " +
                std::string(json::StringMember(*meta, "lastUpdated"));
      }
    }
  }
  return head;
}

class AtomicityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = ServerProcess::Start({});
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(started).value();
  }
  void TearDown() override {
    if (server_ == nullptr) return;
    const std::string dir = server_->data_dir();
    server_.reset();
    RemoveTree(dir);
  }
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(AtomicityTest, ThousandTransactionsWithOneInvalidEntryCommitNothing) {
  const auto began = std::chrono::steady_clock::now();
  HttpClient client("127.0.0.1", server_->port());
  const std::string system = "urn:hestia:durability:atomicity:" + NewId();
  auto created =
      client.Send("POST", "/fhir/Patient", kFhirJson, MarkedPatient(system + ":kept", "kept"));
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  json::Document doc;
  ASSERT_TRUE(json::Parse(created->body, {}, &doc).ok());
  const std::string existing = "Patient/" + std::string(json::StringMember(doc, "id"));
  const std::string head_before = HistoryHead(client);
  ASSERT_NE(head_before.find(existing), std::string::npos) << head_before;

  std::atomic<int> next{0};
  std::atomic<int> rejected{0};
  std::mutex mu;
  std::vector<std::string> failures;  // guarded by mu
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(20261122u + static_cast<unsigned>(c));
      HttpClient http("127.0.0.1", server_->port());
      for (int i = next++; i < kTransactions; i = next++) {
        const int size = std::uniform_int_distribution<int>(3, 6)(rng);
        const int bad = std::uniform_int_distribution<int>(0, size - 1)(rng);
        const int patient_at = bad == 0 ? 1 : 0;
        const std::string patient_urn = "urn:uuid:" + NewId();
        std::vector<std::string> entries;
        for (int k = 0; k < size; ++k) {
          const std::string value = "a" + std::to_string(i) + "_" + std::to_string(k);
          if (k == bad) {
            entries.push_back(InvalidEntry(i % kInvalidKinds, system, value, existing));
          } else if (k == patient_at) {
            entries.push_back(
                TransactionEntry("POST", "Patient", MarkedPatient(system, value), patient_urn));
          } else {
            entries.push_back(TransactionEntry("POST", "Observation",
                                               MarkedObservation(system, value, patient_urn)));
          }
        }
        auto r = http.Send("POST", "/fhir", kFhirJson, TransactionBundle(entries));
        std::string failure;
        if (!r.ok()) {
          failure = r.status().ToString();
        } else if (r->status < 400 || r->status >= 500) {
          failure = std::to_string(r->status) + " " + r->body.substr(0, 300);
        } else if (r->body.find("OperationOutcome") == std::string::npos ||
                   r->body.find("Bundle.entry[" + std::to_string(bad) + "]") == std::string::npos) {
          failure = "no OperationOutcome naming the entry: " + r->body.substr(0, 300);
        }
        if (failure.empty()) {
          ++rejected;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        failures.push_back("transaction " + std::to_string(i) + " (kind " +
                           std::to_string(i % kInvalidKinds) + ", bad entry " +
                           std::to_string(bad) + " of " + std::to_string(size) + "): " + failure);
      }
    });
  }
  for (auto& t : clients) t.join();

  EXPECT_EQ(rejected.load(), kTransactions);
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i) ADD_FAILURE() << failures[i];
  // The server's database is this test's own: the one Patient is the kept one.
  EXPECT_EQ(SearchTotal(client, "/fhir/Patient?_count=1"), 1);
  EXPECT_EQ(SearchTotal(client, "/fhir/Observation?_count=1"), 0);
  EXPECT_EQ(HistoryHead(client), head_before);
  auto still = client.Send("GET", "/fhir/" + existing);
  ASSERT_TRUE(still.ok());
  EXPECT_NE(still->body.find(R"("versionId":"1")"), std::string::npos) << still->body;
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  RecordProperty("seconds", std::to_string(seconds));
  std::printf("%d rejected transactions in %.1f s\n", rejected.load(), seconds);
}

}  // namespace
}  // namespace hestia::testing
