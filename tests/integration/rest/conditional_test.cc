// Conditional create, update and delete, and search-type with the foundation parameters.
// FHIR R4: http://hl7.org/fhir/R4/http.html#ccreate, #cond-update, #cdelete, search.html
#include "fixture.h"

namespace hestia::testing {
namespace {

std::string PractitionerWith(const std::string& system, const std::string& value) {
  return R"({"resourceType":"Practitioner","identifier":[{"system":")" + system + R"(","value":")" +
         value + R"("}]})";
}

long long Total(HttpClient& c, const std::string& url) {
  HttpResponse r = Send(c, "GET", url);
  EXPECT_EQ(r.status, 200) << r.body;
  json::Document doc = ParseBody(r);
  const json::Value* total = json::Member(doc, "total");
  return total != nullptr && total->IsInt64() ? total->GetInt64() : -1;
}

TEST(ConditionalTest, CreateIfNoneExist) {
  HttpClient c = Client();
  const std::string value = Unique("npi");
  HeaderList headers = kJson;
  headers.emplace_back("If-None-Exist", "identifier=http://hl7.org/fhir/sid/us-npi|" + value);
  HttpResponse first = Send(c, "POST", "/fhir/Practitioner", headers,
                            PractitionerWith("http://hl7.org/fhir/sid/us-npi", value));
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResponse second = Send(c, "POST", "/fhir/Practitioner", headers,
                             PractitionerWith("http://hl7.org/fhir/sid/us-npi", value));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(json::StringMember(ParseBody(second), "id"),
            json::StringMember(ParseBody(first), "id"));
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=" + value), 1);

  // Two matches → 412.
  ASSERT_EQ(Send(c, "POST", "/fhir/Practitioner", kJson, PractitionerWith("other", value)).status,
            201);
  HeaderList ambiguous = kJson;
  ambiguous.emplace_back("If-None-Exist", "identifier=" + value);
  HttpResponse multiple =
      Send(c, "POST", "/fhir/Practitioner", ambiguous, PractitionerWith("x", value));
  EXPECT_EQ(multiple.status, 412);
  EXPECT_EQ(IssueCode(multiple), "multiple-matches");
  HeaderList bad = kJson;
  bad.emplace_back("If-None-Exist", "shoe-size=42");
  EXPECT_EQ(Send(c, "POST", "/fhir/Practitioner", bad, PractitionerWith("x", "y")).status, 400);
}

TEST(ConditionalTest, ConditionalUpdate) {
  HttpClient c = Client();
  const std::string value = Unique("mrn");
  const std::string url = "/fhir/Practitioner?identifier=urn:mrn|" + value;
  HttpResponse created = Send(c, "PUT", url, kJson, PractitionerWith("urn:mrn", value));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(json::StringMember(ParseBody(created), "id"));
  HttpResponse updated = Send(
      c, "PUT", url, kJson,
      R"({"resourceType":"Practitioner","active":true,"identifier":[{"system":"urn:mrn","value":")" +
          value + R"("}]})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(json::StringMember(ParseBody(updated), "id"), id);
  EXPECT_EQ(*updated.Header("ETag"), "W/\"2\"");
  HttpResponse wrong_id = Send(
      c, "PUT", url, kJson,
      R"({"resourceType":"Practitioner","id":"other","identifier":[{"system":"urn:mrn","value":")" +
          value + R"("}]})");
  EXPECT_EQ(wrong_id.status, 400);
  // No match, but the body names an existing resource that does not match: 409.
  HttpResponse conflict =
      Send(c, "PUT", "/fhir/Practitioner?identifier=urn:mrn|" + Unique("nomatch"), kJson,
           R"({"resourceType":"Practitioner","id":")" + id + R"("})");
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_EQ(IssueCode(conflict), "conflict");
  // No match and a new id in the body: created with that id.
  const std::string fresh = Unique("cu-new");
  HttpResponse with_id =
      Send(c, "PUT", "/fhir/Practitioner?identifier=urn:mrn|" + Unique("nomatch"), kJson,
           R"({"resourceType":"Practitioner","id":")" + fresh + R"("})");
  EXPECT_EQ(with_id.status, 201) << with_id.body;
  EXPECT_EQ(json::StringMember(ParseBody(with_id), "id"), fresh);
  ASSERT_EQ(Send(c, "POST", "/fhir/Practitioner", kJson, PractitionerWith("urn:mrn", value)).status,
            201);
  EXPECT_EQ(Send(c, "PUT", url, kJson, PractitionerWith("urn:mrn", value)).status, 412);
}

TEST(ConditionalTest, ConditionalDelete) {
  HttpClient c = Client();
  const std::string value = Unique("cdel");
  ASSERT_EQ(Send(c, "POST", "/fhir/Practitioner", kJson, PractitionerWith("s", value)).status, 201);
  EXPECT_EQ(Send(c, "DELETE", "/fhir/Practitioner?identifier=s|" + value).status, 204);
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=s|" + value), 0);
  EXPECT_EQ(Send(c, "DELETE", "/fhir/Practitioner?identifier=s|" + value).status, 204);
  ASSERT_EQ(Send(c, "POST", "/fhir/Practitioner", kJson, PractitionerWith("s", value)).status, 201);
  ASSERT_EQ(Send(c, "POST", "/fhir/Practitioner", kJson, PractitionerWith("s", value)).status, 201);
  HttpResponse many = Send(c, "DELETE", "/fhir/Practitioner?identifier=s|" + value);
  EXPECT_EQ(many.status, 412);
  EXPECT_EQ(IssueCode(many), "multiple-matches");
}

TEST(ConditionalTest, SearchTypeWithFoundationParameters) {
  HttpClient c = Client();
  const std::string value = Unique("srch");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Send(c, "POST", "/fhir/Practitioner", kJson,
                   PractitionerWith("urn:s" + std::to_string(i), value))
                  .status,
              201);
  }
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=" + value), 3);
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=urn:s1|" + value), 1);
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=urn:s1|" + value + ",urn:s2|" + value), 2);
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=|" + value), 0);
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=urn:s2|"), 1);  // system only
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=" + value + "&_lastUpdated=gt2000-01-01"), 3);
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=" + value + "&_lastUpdated=lt2000-01-01"), 0);

  HttpResponse page = Send(c, "GET", "/fhir/Practitioner?identifier=" + value + "&_count=2");
  json::Document doc = ParseBody(page);
  EXPECT_EQ(json::StringMember(doc, "type"), "searchset");
  EXPECT_EQ(doc["entry"].Size(), 2u);
  std::string next;
  for (const auto& l : doc["link"].GetArray()) {
    if (json::StringMember(l, "relation") == "next") next = json::StringMember(l, "url");
  }
  ASSERT_FALSE(next.empty());
  HttpResponse page2 = Send(c, "GET", next.substr(next.find("/fhir/")));
  EXPECT_EQ(ParseBody(page2)["entry"].Size(), 1u);

  const std::string id(json::StringMember(doc["entry"][0]["resource"], "id"));
  EXPECT_EQ(Total(c, "/fhir/Practitioner?_id=" + id), 1);
  HttpResponse count = Send(c, "GET", "/fhir/Practitioner?identifier=" + value + "&_summary=count");
  json::Document count_doc = ParseBody(count);
  EXPECT_EQ(count_doc["total"].GetInt64(), 3);
  EXPECT_EQ(json::Member(count_doc, "entry"), nullptr);

  HttpResponse strict = Send(c, "GET", "/fhir/Practitioner?bogus=1");
  EXPECT_EQ(strict.status, 400);
  EXPECT_NE(strict.body.find("bogus"), std::string::npos);
  HttpResponse lenient = Send(c, "GET", "/fhir/Practitioner?bogus=1&identifier=" + value,
                              {{"Prefer", "handling=lenient"}});
  ASSERT_EQ(lenient.status, 200);
  EXPECT_NE(lenient.body.find("\"mode\":\"outcome\""), std::string::npos);
}

TEST(ConditionalTest, IdentifierValuesWithSyntaxCharactersRoundTrip) {
  HttpClient c = Client();
  // Quotes, backslashes, braces and commas reach the index as bound array elements. The
  // stored value is: a"b\c{d},e
  const std::string body =
      R"({"resourceType":"Practitioner","identifier":[{"system":"urn:odd","value":"a\"b\\c{d},e"}]})";
  ASSERT_EQ(Send(c, "POST", "/fhir/Practitioner", kJson, body).status, 201) << body;
  // Search syntax escapes '\' and ',' with '\'; the URL percent-encodes the rest.
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=urn:odd%7Ca%22b%5C%5Cc%7Bd%7D%5C%2Ce"), 1);
  EXPECT_EQ(Total(c, "/fhir/Practitioner?identifier=urn:odd%7Ca%22b"), 0);
}

}  // namespace
}  // namespace hestia::testing
