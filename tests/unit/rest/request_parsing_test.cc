// Tests of the Pistache-free pieces of hestia_rest: target decoding, content negotiation,
// the request head parser and the response serializer.
// FHIR R4: http://hl7.org/fhir/R4/http.html#mime-type
#include <gtest/gtest.h>

#include "hestia/base/uri.h"
#include "negotiation.h"
#include "wire.h"

namespace hestia::rest {
namespace {

TEST(PercentDecode, DecodesEscapesAndPlus) {
  EXPECT_EQ(*PercentDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(*PercentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(*PercentDecode("%C3%A9", false), "\xC3\xA9");
  EXPECT_FALSE(PercentDecode("%4", false));
  EXPECT_FALSE(PercentDecode("%zz", false));
  EXPECT_FALSE(PercentDecode("%00", false));
  EXPECT_FALSE(PercentDecode("a%0Ab", true));
}

TEST(SplitPath, SplitsAndDecodesSegments) {
  auto p = SplitPath("/Patient/a%2Db/_history/2");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<std::string>{"Patient", "a-b", "_history", "2"}));
  EXPECT_TRUE(SplitPath("")->empty());
  EXPECT_TRUE(SplitPath("/")->empty());
  EXPECT_EQ(SplitPath("/Patient/")->size(), 1u);
}

TEST(SplitPath, RejectsTricks) {
  for (const char* bad : {"/Patient/..", "/Patient/%2e%2E", "/Patient/.", "/a%2Fb", "/a%2fb",
                          "/a%5Cb", "/a//b", "/a/%", "/a/%00"}) {
    auto p = SplitPath(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalid) << bad;
  }
}

TEST(ParseQuery, KeepsOrderAndDuplicates) {
  auto q = ParseQuery("date=ge2020&date=le2021&name=J%C3%B6rg+M&flag&&=x");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 4u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"date", "ge2020"}));
  EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"date", "le2021"}));
  EXPECT_EQ((*q)[2].second, "J\xC3\xB6rg M");
  EXPECT_EQ((*q)[3], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_FALSE(ParseQuery("a=%G1").ok());
}

Result<ResponseFormat> Negotiate(const char* format, const std::vector<std::string_view>& accept) {
  std::string f = format == nullptr ? "" : format;
  return NegotiateResponseFormat(format == nullptr ? nullptr : &f, accept);
}

TEST(Negotiation, Accept) {
  EXPECT_EQ(*Negotiate(nullptr, {}), ResponseFormat::kFhirJson);
  EXPECT_EQ(*Negotiate(nullptr, {"*/*"}), ResponseFormat::kFhirJson);
  EXPECT_EQ(*Negotiate(nullptr, {"application/*"}), ResponseFormat::kFhirJson);
  EXPECT_EQ(*Negotiate(nullptr, {"application/json"}), ResponseFormat::kJson);
  EXPECT_EQ(*Negotiate(nullptr, {"application/fhir+json"}), ResponseFormat::kFhirJson);
  EXPECT_EQ(*Negotiate(nullptr, {"application/json+fhir"}), ResponseFormat::kFhirJson);
  EXPECT_EQ(*Negotiate(nullptr, {"application/fhir+json;q=0.5, application/json;q=0.9"}),
            ResponseFormat::kJson);
  EXPECT_EQ(*Negotiate(nullptr, {"application/fhir+xml", "application/fhir+json;q=0.1"}),
            ResponseFormat::kFhirJson);
  EXPECT_EQ(
      *Negotiate(nullptr, {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}),
      ResponseFormat::kFhirJson);
  EXPECT_EQ(*Negotiate(nullptr, {"application/json; charset=utf-8"}), ResponseFormat::kJson);
  for (std::string_view bad : {"application/fhir+xml", "text/html", "application/xml",
                               "application/fhir+json;q=0", "*/*;q=0"}) {
    auto r = Negotiate(nullptr, {bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kNotAcceptable) << bad;
  }
}

TEST(Negotiation, FormatParameterWins) {
  EXPECT_EQ(*Negotiate("json", {"application/fhir+xml"}), ResponseFormat::kFhirJson);
  EXPECT_EQ(*Negotiate("application/fhir+json", {}), ResponseFormat::kFhirJson);
  EXPECT_EQ(*Negotiate("application/fhir json", {}), ResponseFormat::kFhirJson);  // '+' as space
  EXPECT_EQ(*Negotiate("application/json", {}), ResponseFormat::kJson);
  for (const char* bad : {"xml", "text/xml", "application/fhir+xml", "html", "ttl", "bogus"}) {
    auto r = Negotiate(bad, {"application/fhir+json"});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kNotAcceptable) << bad;
  }
}

TEST(Negotiation, RequestContentType) {
  auto check = [](const char* ct, BodyRules rules = {}) {
    std::string s = ct == nullptr ? "" : ct;
    return CheckRequestContentType(ct == nullptr ? nullptr : &s, rules);
  };
  EXPECT_EQ(*check("application/fhir+json"), BodyFormat::kFhirJson);
  EXPECT_EQ(*check("application/fhir+json; charset=UTF-8"), BodyFormat::kFhirJson);
  EXPECT_EQ(*check("Application/JSON;charset=\"utf-8\""), BodyFormat::kFhirJson);
  EXPECT_FALSE(check("application/fhir+json; charset=latin1").ok());
  EXPECT_FALSE(check("text/plain").ok());
  EXPECT_FALSE(check("application/fhir+xml").ok());
  EXPECT_FALSE(check(nullptr).ok());
  EXPECT_FALSE(check("application/json-patch+json").ok());
  BodyRules patch;
  patch.allow_json_patch = true;
  EXPECT_EQ(*check("application/json-patch+json", patch), BodyFormat::kJsonPatch);
  BodyRules form;
  form.allow_form = true;
  EXPECT_EQ(*check("application/x-www-form-urlencoded", form), BodyFormat::kForm);
  EXPECT_EQ(check("text/plain").status().code(), StatusCode::kUnsupportedMediaType);
}

TEST(Wire, ParsesRequestHead) {
  auto r =
      ParseRequestHead("GET /fhir/Patient?a=1 HTTP/1.1\r\nHost: x\r\nAccept: a\r\naccept:  b \r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->target, "/fhir/Patient?a=1");
  EXPECT_EQ(r->minor_version, 1);
  ASSERT_EQ(r->headers.size(), 3u);
  EXPECT_EQ(r->headers[2].second, "b");
  EXPECT_TRUE(WantsKeepAlive(*r));
}

TEST(Wire, RejectsMalformedHeads) {
  for (std::string_view bad :
       {"GET /x\r\n", "GET  /x HTTP/1.1\r\n", "GET /x HTTP/2.0\r\n", "G(T /x HTTP/1.1\r\n",
        "GET /x HTTP/1.1\r\n folded\r\n", "GET /x HTTP/1.1\r\nNo colon\r\n",
        "GET /x HTTP/1.1\r\nBad Name: v\r\n", "GET /x HTTP/1.1\r\nA: \x01\r\n",
        "GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n",
        "GET /\x80 HTTP/1.1\r\n"}) {
    EXPECT_FALSE(ParseRequestHead(bad).ok()) << bad;
  }
}

TEST(Wire, KeepAliveRules) {
  EXPECT_FALSE(WantsKeepAlive(*ParseRequestHead("GET / HTTP/1.0\r\n")));
  EXPECT_TRUE(WantsKeepAlive(*ParseRequestHead("GET / HTTP/1.0\r\nConnection: keep-alive\r\n")));
  EXPECT_FALSE(WantsKeepAlive(*ParseRequestHead("GET / HTTP/1.1\r\nConnection: Close\r\n")));
}

TEST(Wire, SerializesFraming) {
  WireResponse r;
  r.status = 200;
  r.body = "abc";
  r.headers.emplace_back("ETag", "W/\"1\"");
  EXPECT_EQ(SerializeResponse(r, 1, true),
            "HTTP/1.1 200 OK\r\nETag: W/\"1\"\r\nContent-Length: 3\r\n\r\nabc");
  r.head = true;
  EXPECT_EQ(SerializeResponse(r, 1, false),
            "HTTP/1.1 200 OK\r\nETag: W/\"1\"\r\nContent-Length: 3\r\nConnection: close\r\n\r\n");
  WireResponse none;
  none.status = 304;
  none.body = "ignored";
  EXPECT_EQ(SerializeResponse(none, 1, true), "HTTP/1.1 304 Not Modified\r\n\r\n");
  none.status = 299;
  none.body.clear();
  EXPECT_EQ(SerializeResponse(none, 0, true),
            "HTTP/1.0 299 Success\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

}  // namespace
}  // namespace hestia::rest
