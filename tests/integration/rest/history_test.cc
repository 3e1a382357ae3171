// history at instance, type and system level: newest first, paging, _since, _at.
// FHIR R4: http://hl7.org/fhir/R4/http.html#history
#include <chrono>
#include <set>
#include <thread>

#include "fixture.h"

namespace hestia::testing {
namespace {

std::string Body(const std::string& type, const std::string& id, int n) {
  return R"({"resourceType":")" + type + R"(","id":")" + id + R"(","name":"v)" + std::to_string(n) +
         R"("})";
}

// Follows `next` links from `url`, returning every entry's fullUrl + etag.
std::vector<std::string> FollowPages(HttpClient& c, std::string url, int* pages) {
  std::vector<std::string> seen;
  *pages = 0;
  const std::string base = "http://127.0.0.1:" + std::to_string(Server().port());
  while (!url.empty() && *pages < 100) {
    HttpResponse r = Send(c, "GET", url);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    ++*pages;
    json::Document doc = ParseBody(r);
    EXPECT_EQ(json::StringMember(doc, "type"), "history");
    if (const json::Value* entries = json::Member(doc, "entry")) {
      for (const auto& e : entries->GetArray()) {
        seen.push_back(std::string(json::StringMember(e, "fullUrl")) + " " +
                       std::string(json::StringMember(e["response"], "etag")));
      }
    }
    url.clear();
    if (const json::Value* links = json::Member(doc, "link")) {
      for (const auto& l : links->GetArray()) {
        if (json::StringMember(l, "relation") == "next") {
          url = std::string(json::StringMember(l, "url"));
          if (url.rfind(base, 0) == 0) url = url.substr(base.size());
        }
      }
    }
  }
  return seen;
}

TEST(HistoryTest, InstanceHistoryIsNewestFirstWithDeletions) {
  HttpClient c = Client();
  const std::string id = Unique("hist");
  for (int i = 1; i <= 3; ++i) {
    ASSERT_LT(Send(c, "PUT", "/fhir/Organization/" + id, kJson, Body("Organization", id, i)).status,
              300);
  }
  ASSERT_EQ(Send(c, "DELETE", "/fhir/Organization/" + id).status, 204);
  HttpResponse r = Send(c, "GET", "/fhir/Organization/" + id + "/_history");
  ASSERT_EQ(r.status, 200);
  json::Document doc = ParseBody(r);
  EXPECT_EQ(json::StringMember(doc, "type"), "history");
  const auto& entries = doc["entry"];
  ASSERT_EQ(entries.Size(), 4u);
  EXPECT_EQ(json::StringMember(entries[0]["request"], "method"), "DELETE");
  EXPECT_EQ(json::Member(entries[0], "resource"), nullptr);
  EXPECT_EQ(json::StringMember(entries[1]["resource"]["meta"], "versionId"), "3");
  EXPECT_EQ(json::StringMember(entries[3]["resource"]["meta"], "versionId"), "1");
  EXPECT_EQ(Send(c, "GET", "/fhir/Organization/" + Unique("none") + "/_history").status, 404);
}

TEST(HistoryTest, PagingVisitsEveryVersionOnceEvenWhileOthersWrite) {
  HttpClient c = Client();
  const std::string type = "Device";
  std::set<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    const std::string id = Unique("page");
    ids.insert(id);
    ASSERT_EQ(Send(c, "PUT", "/fhir/" + type + "/" + id, kJson,
                   R"({"resourceType":"Device","id":")" + id + R"("})")
                  .status,
              201);
  }
  int pages = 0;
  std::vector<std::string> seen = FollowPages(c, "/fhir/Device/_history?_count=3", &pages);
  EXPECT_GE(pages, 3);
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "a page repeated an entry";
  for (const auto& id : ids) {
    bool found = false;
    for (const auto& s : seen) found = found || s.find("/Device/" + id + " ") != std::string::npos;
    EXPECT_TRUE(found) << id;
  }

  // Writes between page fetches neither repeat nor skip what existed at the start.
  HttpResponse first = Send(c, "GET", "/fhir/Device/_history?_count=2");
  json::Document doc = ParseBody(first);
  std::string next;
  for (const auto& l : doc["link"].GetArray()) {
    if (json::StringMember(l, "relation") == "next") next = json::StringMember(l, "url");
  }
  ASSERT_FALSE(next.empty());
  const std::string extra = Unique("late");
  ASSERT_EQ(Send(c, "PUT", "/fhir/Device/" + extra, kJson,
                 R"({"resourceType":"Device","id":")" + extra + R"("})")
                .status,
            201);
  next = next.substr(next.find("/fhir/"));
  std::vector<std::string> rest = FollowPages(c, next, &pages);
  for (const auto& s : rest) EXPECT_EQ(s.find(extra), std::string::npos) << "new write leaked";
  EXPECT_EQ(rest.size() + 2, seen.size());
}

TEST(HistoryTest, SinceAndAt) {
  HttpClient c = Client();
  const std::string id = Unique("since");
  HttpResponse v1 = Send(c, "PUT", "/fhir/Location/" + id, kJson, Body("Location", id, 1));
  ASSERT_EQ(v1.status, 201);
  const std::string t1(json::StringMember(ParseBody(v1)["meta"], "lastUpdated"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  HttpResponse v2 = Send(c, "PUT", "/fhir/Location/" + id, kJson, Body("Location", id, 2));
  ASSERT_EQ(v2.status, 200);
  const std::string t2(json::StringMember(ParseBody(v2)["meta"], "lastUpdated"));

  HttpResponse since = Send(c, "GET", "/fhir/Location/" + id + "/_history?_since=" + t2);
  ASSERT_EQ(since.status, 200);
  EXPECT_EQ(ParseBody(since)["entry"].Size(), 1u);
  HttpResponse at = Send(c, "GET", "/fhir/Location/" + id + "/_history?_at=" + t1);
  ASSERT_EQ(at.status, 200);
  json::Document at_doc = ParseBody(at);
  ASSERT_EQ(at_doc["entry"].Size(), 1u);
  EXPECT_EQ(json::StringMember(at_doc["entry"][0]["resource"]["meta"], "versionId"), "1");
  EXPECT_EQ(Send(c, "GET", "/fhir/Location/_history?_since=yesterday").status, 400);
  EXPECT_EQ(Send(c, "GET", "/fhir/Location/_history?_bogus=1").status, 400);
}

TEST(HistoryTest, SystemHistoryCoversTypes) {
  HttpClient c = Client();
  const std::string id = Unique("sys");
  ASSERT_EQ(Send(c, "PUT", "/fhir/Basic/" + id, kJson,
                 R"({"resourceType":"Basic","id":")" + id + R"(","code":{"text":"x"}})")
                .status,
            201);
  HttpResponse r = Send(c, "GET", "/fhir/_history?_count=5");
  ASSERT_EQ(r.status, 200);
  json::Document doc = ParseBody(r);
  ASSERT_GE(doc["entry"].Size(), 1u);
  EXPECT_NE(std::string(json::StringMember(doc["entry"][0], "fullUrl")).find("/Basic/" + id),
            std::string::npos);
}

}  // namespace
}  // namespace hestia::testing
