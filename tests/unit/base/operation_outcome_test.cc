// Tests for the one Status → HTTP/OperationOutcome mapping (hestia/base/operation_outcome.h).
// FHIR R4: http://hl7.org/fhir/R4/http.html, valueset-issue-type.html
#include "hestia/base/operation_outcome.h"

#include <gtest/gtest.h>

#include "hestia/base/json.h"

namespace hestia {
namespace {

struct Row {
  StatusCode code;
  int http;
  const char* issue;
};

TEST(OperationOutcomeTest, EveryCodeHasItsHttpStatusAndIssueCode) {
  const Row rows[] = {
      {StatusCode::kInvalid, 400, "invalid"},
      {StatusCode::kStructure, 400, "structure"},
      {StatusCode::kValue, 400, "value"},
      {StatusCode::kNotSupported, 400, "not-supported"},
      {StatusCode::kNotFound, 404, "not-found"},
      {StatusCode::kUnknownType, 404, "not-supported"},
      {StatusCode::kMethodNotAllowed, 405, "not-supported"},
      {StatusCode::kNotAcceptable, 406, "not-supported"},
      {StatusCode::kConflict, 409, "conflict"},
      {StatusCode::kAborted, 409, "conflict"},
      {StatusCode::kDeleted, 410, "deleted"},
      {StatusCode::kPreconditionFailed, 412, "conflict"},
      {StatusCode::kMultipleMatches, 412, "multiple-matches"},
      {StatusCode::kTooLarge, 413, "too-long"},
      {StatusCode::kUnsupportedMediaType, 415, "not-supported"},
      {StatusCode::kInternal, 500, "exception"},
      {StatusCode::kUnavailable, 503, "transient"},
      {StatusCode::kTimeout, 503, "timeout"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(HttpStatusFor(row.code), row.http) << StatusCodeName(row.code);
    EXPECT_STREQ(IssueCodeFor(row.code), row.issue) << StatusCodeName(row.code);
  }
}

TEST(OperationOutcomeTest, BodyIsAValidOperationOutcome) {
  const std::string text =
      OperationOutcomeJson(InvalidError("id \"x\" does not match", "Patient.id"));
  json::Document doc;
  ASSERT_TRUE(json::Parse(text, json::Limits{}, &doc).ok()) << text;
  EXPECT_EQ(json::StringMember(doc, "resourceType"), "OperationOutcome");
  const json::Value& issue = doc["issue"][0];
  EXPECT_EQ(json::StringMember(issue, "severity"), "error");
  EXPECT_EQ(json::StringMember(issue, "code"), "invalid");
  EXPECT_EQ(json::StringMember(issue, "diagnostics"), "id \"x\" does not match");
  EXPECT_EQ(json::AsStringView(issue["expression"][0]), "Patient.id");
}

TEST(OperationOutcomeTest, ServerErrorsAreFatal) {
  json::Document doc;
  ASSERT_TRUE(json::Parse(OperationOutcomeJson(UnavailableError("db down")), {}, &doc).ok());
  EXPECT_EQ(json::StringMember(doc["issue"][0], "severity"), "fatal");
  EXPECT_EQ(json::StringMember(doc["issue"][0], "code"), "transient");
}

}  // namespace
}  // namespace hestia
