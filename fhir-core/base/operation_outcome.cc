// Status → HTTP status and OperationOutcome. See operation_outcome.h.
#include "hestia/base/operation_outcome.h"

#include "hestia/base/json.h"

namespace hestia {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalid:
    case StatusCode::kStructure:
    case StatusCode::kValue:
    case StatusCode::kNotSupported:
      return 400;
    case StatusCode::kNotFound:
    case StatusCode::kUnknownType:
      return 404;
    case StatusCode::kMethodNotAllowed:
      return 405;
    case StatusCode::kNotAcceptable:
      return 406;
    case StatusCode::kConflict:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kDeleted:
      return 410;
    case StatusCode::kPreconditionFailed:
    case StatusCode::kMultipleMatches:
      return 412;
    case StatusCode::kTooLarge:
      return 413;
    case StatusCode::kUnsupportedMediaType:
      return 415;
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout:
      return 503;
  }
  return 500;
}

const char* IssueCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "informational";
    case StatusCode::kInvalid:
      return "invalid";
    case StatusCode::kStructure:
      return "structure";
    case StatusCode::kValue:
      return "value";
    case StatusCode::kNotSupported:
    case StatusCode::kUnknownType:
    case StatusCode::kMethodNotAllowed:
    case StatusCode::kNotAcceptable:
    case StatusCode::kUnsupportedMediaType:
      return "not-supported";
    case StatusCode::kNotFound:
      return "not-found";
    case StatusCode::kConflict:
    case StatusCode::kAborted:
    case StatusCode::kPreconditionFailed:
      return "conflict";
    case StatusCode::kDeleted:
      return "deleted";
    case StatusCode::kMultipleMatches:
      return "multiple-matches";
    case StatusCode::kTooLarge:
      return "too-long";
    case StatusCode::kInternal:
      return "exception";
    case StatusCode::kUnavailable:
      return "transient";
    case StatusCode::kTimeout:
      return "timeout";
  }
  return "exception";
}

namespace {

std::string Outcome(const char* severity, const char* code, std::string_view diagnostics,
                    std::string_view expression) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("resourceType", "OperationOutcome", a);
  json::Value issue(rapidjson::kObjectType);
  issue.AddMember("severity", rapidjson::StringRef(severity), a);
  issue.AddMember("code", rapidjson::StringRef(code), a);
  if (!diagnostics.empty()) issue.AddMember("diagnostics", json::MakeString(diagnostics, a), a);
  if (!expression.empty()) {
    json::Value expr(rapidjson::kArrayType);
    expr.PushBack(json::MakeString(expression, a), a);
    issue.AddMember("expression", expr, a);
  }
  json::Value issues(rapidjson::kArrayType);
  issues.PushBack(issue, a);
  doc.AddMember("issue", issues, a);
  return json::Write(doc);
}

}  // namespace

std::string OperationOutcomeJson(const Status& status) {
  const char* severity = HttpStatusFor(status.code()) >= 500 ? "fatal" : "error";
  if (status.ok()) severity = "information";
  return Outcome(severity, IssueCodeFor(status.code()), status.message(), status.expression());
}

std::string InformationOutcomeJson(std::string_view message) {
  return Outcome("information", "informational", message, {});
}

}  // namespace hestia
