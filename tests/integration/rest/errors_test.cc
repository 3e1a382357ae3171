// Every 4xx carries an OperationOutcome with the right issue.code, and nothing a client sends
// crashes the server. FHIR R4: http://hl7.org/fhir/R4/http.html#summary, #mime-type
#include "fixture.h"

namespace hestia::testing {
namespace {

struct Case {
  const char* name;
  const char* method;
  std::string target;
  HeaderList headers;
  std::string body;
  int status;
  const char* issue;
};

TEST(ErrorsTest, EachFailureHasItsStatusAndIssueCode) {
  const std::string deep =
      "{\"resourceType\":\"Basic\",\"x\":" + std::string(500, '[') + std::string(500, ']') + "}";
  const HeaderList xml = {{"Content-Type", "application/fhir+xml"}};
  const std::vector<Case> cases = {
      {"malformed JSON", "POST", "/fhir/Patient", kJson, "{\"resourceType\":", 400, "structure"},
      {"not an object", "POST", "/fhir/Patient", kJson, "[1,2]", 400, "structure"},
      {"too deep", "POST", "/fhir/Basic", kJson, deep, 400, "structure"},
      {"huge exponent", "POST", "/fhir/Basic", kJson,
       R"({"resourceType":"Basic","x":1e-2147483649})", 400, "value"},
      {"long number", "POST", "/fhir/Basic", kJson,
       R"({"resourceType":"Basic","x":)" + std::string(200, '1') + "}", 400, "value"},
      {"duplicate key", "POST", "/fhir/Basic", kJson,
       R"({"resourceType":"Basic","resourceType":"Basic"})", 400, "structure"},
      {"no resourceType", "POST", "/fhir/Patient", kJson, "{}", 400, "invalid"},
      {"type mismatch", "POST", "/fhir/Patient", kJson, R"({"resourceType":"Basic"})", 400,
       "invalid"},
      {"empty body", "POST", "/fhir/Patient", kJson, "", 400, "invalid"},
      {"unknown type", "GET", "/fhir/Patients/1", {}, "", 404, "not-supported"},
      {"lower-case type", "GET", "/fhir/patient", {}, "", 404, "not-supported"},
      {"not found", "GET", "/fhir/Patient/does-not-exist", {}, "", 404, "not-found"},
      {"bad id", "GET", "/fhir/Patient/a%20b", {}, "", 404, "not-found"},
      {"xml body", "POST", "/fhir/Patient", xml, "<Patient/>", 415, "not-supported"},
      {"form body",
       "POST",
       "/fhir/Patient",
       {{"Content-Type", "application/x-www-form-urlencoded"}},
       "a=b",
       415,
       "not-supported"},
      {"xml wanted",
       "GET",
       "/fhir/metadata",
       {{"Accept", "application/fhir+xml"}},
       "",
       406,
       "not-supported"},
      {"_format xml", "GET", "/fhir/metadata?_format=xml", {}, "", 406, "not-supported"},
      {"PATCH of nothing",
       "PATCH",
       "/fhir/Patient/does-not-exist",
       {{"Content-Type", "application/json-patch+json"}},
       "[]",
       404,
       "not-found"},
      {"PATCH media type",
       "PATCH",
       "/fhir/Patient/1",
       {{"Content-Type", "text/plain"}},
       "[]",
       415,
       "not-supported"},
      {"FHIRPath Patch not Parameters", "PATCH", "/fhir/Patient/1", kJson, "{}", 400, "invalid"},
      {"POST on instance", "POST", "/fhir/Patient/1", kJson, "{}", 405, "not-supported"},
      {"unknown operation", "GET", "/fhir/Patient/$everything", {}, "", 400, "not-supported"},
  };
  HttpClient c = Client();
  for (const Case& k : cases) {
    HttpResponse r = Send(c, k.method, k.target, k.headers, k.body);
    EXPECT_EQ(r.status, k.status) << k.name << ": " << r.body;
    EXPECT_EQ(IssueCode(r), k.issue) << k.name << ": " << r.body;
  }
}

TEST(ErrorsTest, BodyOverTheLimitIs413) {
  HttpClient c = Client();
  // The test server runs with the default 16 MiB limit.
  const std::string big =
      R"({"resourceType":"Basic","text":{"div":")" + std::string(17u << 20, 'x') + R"("}})";
  HttpResponse r = Send(c, "POST", "/fhir/Basic", kJson, big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(IssueCode(r), "too-long");
}

TEST(ErrorsTest, GarbageNeverCrashesTheServer) {
  const std::vector<std::string> garbage = {
      "GARBAGE\r\n\r\n",
      "GET /fhir/Patient HTTP/9.9\r\n\r\n",
      "GET " + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
      std::string("\0\1\2\3\xff\xfe", 6),
      "GET /fhir/Patient?%zz=%%% HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /fhir/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const auto& bytes : garbage) {
    HttpClient raw("127.0.0.1", Server().port(), 5000);
    auto r = raw.SendRaw(bytes);
    if (r.ok()) {
      EXPECT_GE(r->status, 400) << bytes.substr(0, 60);
    }
  }
  HttpClient c = Client();
  EXPECT_EQ(Send(c, "GET", "/healthz").status, 200) << Server().LogTail();
}

}  // namespace
}  // namespace hestia::testing
