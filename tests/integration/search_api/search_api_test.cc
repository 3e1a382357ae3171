// Search API over HTTP: searchset Bundles, totals and links, keyset paging under concurrent
// writes, POST _search, system search with _type, compartment search, _summary / _elements,
// strict and lenient handling, _explain and $explain, includes.
// FHIR R4: http://hl7.org/fhir/R4/search.html, http://hl7.org/fhir/R4/http.html#search
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "fixture.h"

namespace hestia::testing {
namespace {

std::string Target(const std::string& url) {
  // Links are absolute; the client wants the path after host:port.
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

struct Page {
  std::vector<std::string> ids;       // match entries, as Type/id
  std::vector<std::string> included;  // include entries
  std::vector<std::string> outcomes;  // outcome entry diagnostics
  std::string next;                   // next link target, "" when none
  long long total = -1;
  json::Document doc;
};

Page GetPage(HttpClient& c, const std::string& target) {
  Page p;
  HttpResponse r = Send(c, "GET", target);
  EXPECT_EQ(r.status, 200) << target << "\n" << r.body;
  p.doc = ParseBody(r);
  if (const json::Value* t = json::Member(p.doc, "total"); t != nullptr && t->IsInt64()) {
    p.total = t->GetInt64();
  }
  if (const json::Value* links = json::Member(p.doc, "link"); links && links->IsArray()) {
    for (const auto& l : links->GetArray()) {
      if (json::StringMember(l, "relation") == "next") {
        p.next = Target(std::string(json::StringMember(l, "url")));
      }
    }
  }
  if (const json::Value* entries = json::Member(p.doc, "entry"); entries && entries->IsArray()) {
    for (const auto& e : entries->GetArray()) {
      const json::Value* res = json::Member(e, "resource");
      const json::Value* search = json::Member(e, "search");
      const std::string mode(search ? json::StringMember(*search, "mode") : "");
      if (res == nullptr) continue;
      const std::string ref = std::string(json::StringMember(*res, "resourceType")) + "/" +
                              std::string(json::StringMember(*res, "id"));
      if (mode == "match") p.ids.push_back(ref);
      if (mode == "include") p.included.push_back(ref);
      if (mode == "outcome") {
        const json::Value* issue = json::Member(*res, "issue");
        if (issue && issue->IsArray() && !issue->Empty()) {
          p.outcomes.emplace_back(json::StringMember((*issue)[0], "diagnostics"));
        }
      }
    }
  }
  return p;
}

std::vector<std::string> AllPages(HttpClient& c, std::string target, int* pages = nullptr) {
  std::vector<std::string> ids;
  int n = 0;
  while (!target.empty() && n < 200) {
    Page p = GetPage(c, target);
    ids.insert(ids.end(), p.ids.begin(), p.ids.end());
    target = p.next;
    ++n;
  }
  if (pages) *pages = n;
  return ids;
}

std::string CreatePatient(HttpClient& c, const std::string& family, const std::string& given,
                          const std::string& birth = "1970-01-01", const std::string& extra = "") {
  HttpResponse r =
      Send(c, "POST", "/fhir/Patient", kJson,
           R"({"resourceType":"Patient","name":[{"family":")" + family + R"(","given":[")" + given +
               R"("]}],"gender":"female","birthDate":")" + birth + "\"" + extra + "}");
  EXPECT_EQ(r.status, 201) << r.body;
  json::Document doc = ParseBody(r);
  return std::string(json::StringMember(doc, "id"));
}

TEST(SearchApiTest, SearchsetBundleHasTotalSelfAndNextLinks) {
  HttpClient c = Client();
  const std::string family = Unique("Linkfam");
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i)
    created.insert("Patient/" + CreatePatient(c, family, "G" + std::to_string(i)));
  Page first = GetPage(c, "/fhir/Patient?family=" + family + "&_count=2&_total=accurate");
  EXPECT_EQ(json::StringMember(first.doc, "type"), "searchset");
  EXPECT_EQ(first.total, 5);
  // Without _total, a multi-page result carries no total (it would cost a count).
  EXPECT_EQ(GetPage(c, "/fhir/Patient?family=" + family + "&_count=2").total, -1);
  EXPECT_EQ(GetPage(c, "/fhir/Patient?family=" + family).total, 5);  // one page: free
  EXPECT_EQ(first.ids.size(), 2u);
  ASSERT_FALSE(first.next.empty());
  EXPECT_NE(first.next.find("_cursor="), std::string::npos);
  int pages = 0;
  auto all = AllPages(c, "/fhir/Patient?family=" + family + "&_count=2", &pages);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), created);
  EXPECT_EQ(all.size(), created.size());
  // A tampered cursor is a 400 naming _cursor, not a crash or a wrong page.
  HttpResponse bad = Send(c, "GET", "/fhir/Patient?family=" + family + "&_cursor=AAAA");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("_cursor"), std::string::npos);
}

// A page sequence must not skip or repeat resources while other clients write: new
// resources, updates of others and of the ones being paged, and deletions of others.
TEST(SearchApiTest, PagingNeverSkipsOrRepeatsUnderConcurrentWrites) {
  HttpClient c = Client();
  HttpClient writer = Client();
  const std::string family = Unique("Pagefam");
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    ids.push_back(CreatePatient(
        c, family, "P" + std::to_string(i),
        "19" + std::to_string(50 + i % 7) + "-0" + std::to_string(1 + i % 9) + "-15"));
  }
  for (const std::string sort : {"", "&_sort=birthdate", "&_sort=-birthdate,given"}) {
    std::vector<std::string> seen;
    std::string target = "/fhir/Patient?family=" + family + "&_count=4" + sort;
    int round = 0;
    while (!target.empty()) {
      Page p = GetPage(c, target);
      seen.insert(seen.end(), p.ids.begin(), p.ids.end());
      target = p.next;
      // Between pages: a new matching patient, an update of an already-seen one and of a
      // not-yet-seen one (sort values unchanged), and a non-matching write.
      CreatePatient(writer, family, "New" + std::to_string(round), "1960-06-06");
      const std::string& a = ids[static_cast<std::size_t>(round) % ids.size()];
      const std::string& b = ids[ids.size() - 1 - static_cast<std::size_t>(round) % ids.size()];
      for (const auto& id : {a, b}) {
        HttpResponse got = Send(writer, "GET", "/fhir/Patient/" + id);
        ASSERT_EQ(got.status, 200);
        json::Document doc = ParseBody(got);
        doc.RemoveMember("active");
        doc.AddMember("active", round % 2 == 0, doc.GetAllocator());
        EXPECT_EQ(Send(writer, "PUT", "/fhir/Patient/" + id, kJson, json::Write(doc)).status, 200);
      }
      CreatePatient(writer, Unique("Other"), "X");
      ++round;
    }
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "a resource was repeated" << sort;
    for (const auto& id : ids) {
      EXPECT_EQ(unique.count("Patient/" + id), 1u) << "Patient/" << id << " skipped" << sort;
    }
  }
}

TEST(SearchApiTest, PostSearchMatchesGetAndLinksAreGetUrls) {
  HttpClient c = Client();
  const std::string family = Unique("Postfam");
  for (int i = 0; i < 3; ++i) CreatePatient(c, family, "Q" + std::to_string(i));
  auto get = AllPages(c, "/fhir/Patient?family=" + family);
  HttpResponse r = Send(c, "POST", "/fhir/Patient/_search",
                        {{"Content-Type", "application/x-www-form-urlencoded"}},
                        "family=" + family + "&_count=2&_total=accurate");
  ASSERT_EQ(r.status, 200) << r.body;
  json::Document doc = ParseBody(r);
  EXPECT_EQ(doc["total"].GetInt(), 3);
  std::string next;
  for (const auto& l : doc["link"].GetArray()) {
    if (json::StringMember(l, "relation") == "next") next = json::StringMember(l, "url");
  }
  ASSERT_FALSE(next.empty());
  EXPECT_NE(next.find("family=" + family), std::string::npos);
  EXPECT_EQ(GetPage(c, Target(next)).ids.size(), 1u);
  HttpResponse json_body = Send(c, "POST", "/fhir/Patient/_search", kJson, "{}");
  EXPECT_EQ(json_body.status, 415) << json_body.body;
  EXPECT_EQ(get.size(), 3u);
  // System-level POST _search.
  HttpResponse sys =
      Send(c, "POST", "/fhir/_search", {{"Content-Type", "application/x-www-form-urlencoded"}},
           "_type=Patient&family=" + family);
  ASSERT_EQ(sys.status, 200) << sys.body;
  EXPECT_EQ(ParseBody(sys)["total"].GetInt(), 3);
}

TEST(SearchApiTest, SystemSearchAcrossTypes) {
  HttpClient c = Client();
  const std::string name = Unique("Sysname");
  CreatePatient(c, name, "A");
  HttpResponse pr = Send(c, "POST", "/fhir/Practitioner", kJson,
                         R"({"resourceType":"Practitioner","name":[{"family":")" + name + "\"}]}");
  ASSERT_EQ(pr.status, 201);
  Page both = GetPage(c, "/fhir?_type=Patient,Practitioner&family=" + name);
  EXPECT_EQ(both.total, 2);
  std::set<std::string> types;
  for (const auto& id : both.ids) types.insert(id.substr(0, id.find('/')));
  EXPECT_EQ(types, (std::set<std::string>{"Patient", "Practitioner"}));
  const std::string pid = std::string(json::StringMember(ParseBody(pr), "id"));
  Page by_id = GetPage(c, "/fhir?_id=" + pid);
  ASSERT_GE(by_id.ids.size(), 1u);
  EXPECT_NE(std::find(by_id.ids.begin(), by_id.ids.end(), "Practitioner/" + pid), by_id.ids.end());
  HttpResponse unknown_type = Send(c, "GET", "/fhir?_type=Nonsense");
  EXPECT_EQ(unknown_type.status, 400) << unknown_type.body;
}

TEST(SearchApiTest, CompartmentSearch) {
  HttpClient c = Client();
  const std::string p1 = CreatePatient(c, Unique("Comp"), "One");
  const std::string p2 = CreatePatient(c, Unique("Comp"), "Two");
  auto obs = [&](const std::string& patient, const std::string& code) {
    HttpResponse r = Send(
        c, "POST", "/fhir/Observation", kJson,
        R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" +
            code + R"("}]},"subject":{"reference":"Patient/)" + patient + "\"}}");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::StringMember(ParseBody(r), "id"));
  };
  const std::string o1 = obs(p1, "8480-6");
  obs(p1, "8462-4");
  obs(p2, "8480-6");
  Page mine = GetPage(c, "/fhir/Patient/" + p1 + "/Observation");
  EXPECT_EQ(mine.total, 2);
  Page coded = GetPage(c, "/fhir/Patient/" + p1 + "/Observation?code=http://loinc.org|8480-6");
  ASSERT_EQ(coded.ids.size(), 1u);
  EXPECT_EQ(coded.ids[0], "Observation/" + o1);
  Page everything = GetPage(c, "/fhir/Patient/" + p1 + "/*");
  EXPECT_EQ(std::count_if(everything.ids.begin(), everything.ids.end(),
                          [](const std::string& s) { return s.rfind("Observation/", 0) == 0; }),
            2);
  EXPECT_EQ(Send(c, "GET", "/fhir/Observation/" + o1 + "/Patient").status, 404);
}

TEST(SearchApiTest, SummaryAndElements) {
  HttpClient c = Client();
  const std::string family = Unique("Sumfam");
  CreatePatient(
      c, family, "S", "1980-02-02",
      R"(,"contact":[{"name":{"family":"Kin"}}],"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">S</div>"})");
  Page count = GetPage(c, "/fhir/Patient?family=" + family + "&_summary=count");
  EXPECT_EQ(count.total, 1);
  EXPECT_TRUE(count.ids.empty());
  Page summary = GetPage(c, "/fhir/Patient?family=" + family + "&_summary=true");
  ASSERT_EQ(summary.ids.size(), 1u);
  const json::Value& res = summary.doc["entry"][0]["resource"];
  EXPECT_NE(json::Member(res, "name"), nullptr);     // isSummary
  EXPECT_EQ(json::Member(res, "contact"), nullptr);  // not in the summary
  EXPECT_NE(json::Write(res).find("SUBSETTED"), std::string::npos);
  Page data = GetPage(c, "/fhir/Patient?family=" + family + "&_summary=data");
  EXPECT_EQ(json::Member(data.doc["entry"][0]["resource"], "text"), nullptr);
  EXPECT_NE(json::Member(data.doc["entry"][0]["resource"], "contact"), nullptr);
  Page elements = GetPage(c, "/fhir/Patient?family=" + family + "&_elements=birthDate");
  const json::Value& el = elements.doc["entry"][0]["resource"];
  EXPECT_NE(json::Member(el, "birthDate"), nullptr);
  EXPECT_EQ(json::Member(el, "name"), nullptr);
  EXPECT_NE(json::Member(el, "id"), nullptr);
}

TEST(SearchApiTest, StrictByDefaultLenientReportsIgnored) {
  HttpClient c = Client();
  HttpResponse strict = Send(c, "GET", "/fhir/Patient?shoe-size=42");
  EXPECT_EQ(strict.status, 400);
  EXPECT_NE(strict.body.find("shoe-size"), std::string::npos);
  HttpResponse modifier = Send(c, "GET", "/fhir/Patient?gender:sideways=female");
  EXPECT_EQ(modifier.status, 400);
  EXPECT_NE(modifier.body.find("sideways"), std::string::npos);
  HttpResponse in = Send(c, "GET", "/fhir/Observation?code:in=http://example.org/vs");
  EXPECT_EQ(in.status, 400);
  EXPECT_EQ(IssueCode(in), "not-supported");
  const std::string family = Unique("Lenfam");
  CreatePatient(c, family, "L");
  HttpResponse lenient = Send(c, "GET", "/fhir/Patient?family=" + family + "&shoe-size=42",
                              {{"Prefer", "handling=lenient"}});
  ASSERT_EQ(lenient.status, 200) << lenient.body;
  json::Document doc = ParseBody(lenient);
  bool outcome = false;
  int matches = 0;
  for (const auto& e : doc["entry"].GetArray()) {
    const std::string mode(json::StringMember(e["search"], "mode"));
    if (mode == "match") ++matches;
    if (mode == "outcome") {
      outcome = true;
      EXPECT_NE(json::Write(e).find("shoe-size"), std::string::npos);
    }
  }
  EXPECT_TRUE(outcome);
  EXPECT_EQ(matches, 1);
}

TEST(SearchApiTest, ExplainShowsTreeSqlAndPlan) {
  HttpClient c = Client();
  for (const std::string target : {"/fhir/Observation?code=http://loinc.org|8480-6&_explain=true",
                                   "/fhir/Observation/$explain?code=http://loinc.org|8480-6"}) {
    HttpResponse r = Send(c, "GET", target);
    ASSERT_EQ(r.status, 200) << r.body;
    json::Document doc = ParseBody(r);
    EXPECT_EQ(json::StringMember(doc, "resourceType"), "Parameters");
    const std::string text = json::Write(doc);
    EXPECT_NE(text.find("expression-tree"), std::string::npos);
    EXPECT_NE(text.find("idx_token"), std::string::npos) << text;
    EXPECT_NE(text.find("Plan"), std::string::npos) << text;
    EXPECT_NE(text.find("8480-6"), std::string::npos);  // the bound value, shown as a parameter
    // The value is bound, never spliced into the SQL.
    const json::Value* params = json::Member(doc, "parameter");
    ASSERT_NE(params, nullptr);
    for (const auto& p : params->GetArray()) {
      if (json::StringMember(p, "name") != "statement") continue;
      for (const auto& part : p["part"].GetArray()) {
        if (json::StringMember(part, "name") == "sql") {
          EXPECT_EQ(std::string(json::StringMember(part, "valueString")).find("8480-6"),
                    std::string::npos);
        }
      }
    }
  }
}

TEST(SearchApiTest, IncludeAndRevinclude) {
  HttpClient c = Client();
  HttpResponse pr = Send(c, "POST", "/fhir/Practitioner", kJson,
                         R"({"resourceType":"Practitioner","name":[{"family":"Inc"}]})");
  ASSERT_EQ(pr.status, 201);
  const std::string prac = std::string(json::StringMember(ParseBody(pr), "id"));
  const std::string code = Unique("spec");
  HttpResponse role =
      Send(c, "POST", "/fhir/PractitionerRole", kJson,
           R"({"resourceType":"PractitionerRole","practitioner":{"reference":"Practitioner/)" +
               prac + R"("},"specialty":[{"coding":[{"system":"http://example.org/s","code":")" +
               code + R"("}]}]})");
  ASSERT_EQ(role.status, 201) << role.body;
  Page p = GetPage(
      c, "/fhir/PractitionerRole?specialty=" + code + "&_include=PractitionerRole:practitioner");
  ASSERT_EQ(p.ids.size(), 1u);
  ASSERT_EQ(p.included.size(), 1u);
  EXPECT_EQ(p.included[0], "Practitioner/" + prac);
  EXPECT_EQ(p.total, 1);  // includes are not counted
  Page rev =
      GetPage(c, "/fhir/Practitioner?_id=" + prac + "&_revinclude=PractitionerRole:practitioner");
  ASSERT_EQ(rev.ids.size(), 1u);
  ASSERT_EQ(rev.included.size(), 1u);
  EXPECT_EQ(rev.included[0].rfind("PractitionerRole/", 0), 0u);
}

TEST(SearchApiTest, CapabilityStatementListsSearchParameters) {
  HttpClient c = Client();
  HttpResponse r = Send(c, "GET", "/fhir/metadata");
  ASSERT_EQ(r.status, 200);
  json::Document doc = ParseBody(r);
  std::set<std::string> patient;
  std::size_t total = 0;
  for (const auto& res : doc["rest"][0]["resource"].GetArray()) {
    for (const auto& p : res["searchParam"].GetArray()) {
      ++total;
      if (json::StringMember(res, "type") == "Patient") {
        patient.insert(std::string(json::StringMember(p, "name")));
      }
    }
  }
  for (const char* name : {"name", "family", "birthdate", "identifier", "general-practitioner",
                           "phonetic", "_id", "_lastUpdated", "_tag", "_text", "_content"}) {
    EXPECT_EQ(patient.count(name), 1u) << name;
  }
  EXPECT_EQ(patient.count("_query"), 0u);
  EXPECT_GT(total, 2500u);  // every type lists its own and the Resource-level parameters
}

}  // namespace
}  // namespace hestia::testing
