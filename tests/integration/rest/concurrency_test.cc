// Races settled by the database: 20 concurrent conditional creates make one resource; 20
// concurrent version-aware updates let exactly one win.
// FHIR R4: http://hl7.org/fhir/R4/http.html#ccreate, #concurrency
#include <atomic>
#include <thread>

#include "fixture.h"

namespace hestia::testing {
namespace {

constexpr int kClients = 20;

TEST(ConcurrencyTest, ConcurrentConditionalCreatesMakeOneResource) {
  const std::string value = Unique("race");
  std::atomic<int> created{0};
  std::atomic<int> found{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      HttpClient c = Client();
      HeaderList h = kJson;
      h.emplace_back("If-None-Exist", "identifier=urn:race|" + value);
      auto r = c.Send("POST", "/fhir/Patient", h,
                      R"({"resourceType":"Patient","identifier":[{"system":"urn:race","value":")" +
                          value + R"("}]})");
      if (!r.ok()) {
        ++other;
      } else if (r->status == 201) {
        ++created;
      } else if (r->status == 200) {
        ++found;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(found.load(), kClients - 1);
  EXPECT_EQ(other.load(), 0);
  HttpClient c = Client();
  HttpResponse r = Send(c, "GET", "/fhir/Patient?identifier=urn:race|" + value);
  EXPECT_EQ(ParseBody(r)["total"].GetInt64(), 1);
}

TEST(ConcurrencyTest, ConcurrentIfMatchUpdatesHaveOneWinner) {
  const std::string id = Unique("ifmatch");
  HttpClient setup = Client();
  ASSERT_EQ(Send(setup, "PUT", "/fhir/Patient/" + id, kJson,
                 R"({"resourceType":"Patient","id":")" + id + R"("})")
                .status,
            201);
  std::atomic<int> ok{0};
  std::atomic<int> precondition{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c = Client();
      HeaderList h = kJson;
      h.emplace_back("If-Match", "W/\"1\"");
      auto r = c.Send("PUT", "/fhir/Patient/" + id, h,
                      R"({"resourceType":"Patient","id":")" + id + R"(","gender":")" +
                          (i % 2 ? "male" : "female") + R"(","birthDate":"19)" +
                          std::to_string(10 + i) + R"(-01-01"})");
      if (r.ok() && r->status == 200) {
        ++ok;
      } else if (r.ok() && r->status == 412) {
        ++precondition;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(precondition.load(), kClients - 1);
  EXPECT_EQ(other.load(), 0);
  HttpResponse read = Send(setup, "GET", "/fhir/Patient/" + id);
  EXPECT_EQ(*read.Header("ETag"), "W/\"2\"");
}

TEST(ConcurrencyTest, ConcurrentUpdateAsCreateOfOneIdMakesOneResource) {
  const std::string id = Unique("same-id");
  std::atomic<int> created{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c = Client();
      auto r = c.Send("PUT", "/fhir/Patient/" + id, kJson,
                      R"({"resourceType":"Patient","id":")" + id + R"(","birthDate":"19)" +
                          std::to_string(10 + i) + R"(-01-01"})");
      if (!r.ok() || r->status >= 300) ++failed;
      if (r.ok() && r->status == 201) ++created;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(failed.load(), 0);
  HttpClient c = Client();
  HttpResponse history = Send(c, "GET", "/fhir/Patient/" + id + "/_history?_count=100");
  EXPECT_EQ(ParseBody(history)["entry"].Size(), static_cast<unsigned>(kClients));
}

}  // namespace
}  // namespace hestia::testing
