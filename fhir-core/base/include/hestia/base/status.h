// Status and Result<T>: errors as values for the whole server.
//
// Owns: the closed set of error categories (StatusCode) every layer reports in. The one place
// that maps a category to HTTP and to an OperationOutcome issue.code is
// hestia/base/operation_outcome.h; nothing else decides HTTP statuses for errors.
// Thread-safety: value types, no shared state.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace hestia {

// Each code names one FHIR-visible failure category. Keep the list closed: a new category
// needs a row in HttpStatusFor / IssueCodeFor (operation_outcome.cc) and a test.
enum class StatusCode {
  kOk = 0,
  kInvalid,               // 400 invalid: request breaks a rule (id mismatch, bad parameter)
  kStructure,             // 400 structure: body is not well-formed (malformed JSON, bad nesting)
  kValue,                 // 400 value: a value is out of range (numbers the reader refuses)
  kNotSupported,          // 400 not-supported: a parameter, modifier or feature we do not offer
  kNotFound,              // 404 not-found
  kUnknownType,           // 404 not-supported: the URL names no R4 resource type
  kMethodNotAllowed,      // 405 not-supported
  kNotAcceptable,         // 406 not-supported: Accept / _format asks for a format we lack
  kConflict,              // 409 conflict
  kAborted,               // 409 conflict: lost a race with a concurrent write; safe to retry
  kDeleted,               // 410 deleted
  kPreconditionFailed,    // 412 conflict: If-Match / If-None-Match did not hold
  kMultipleMatches,       // 412 multiple-matches: a conditional interaction matched >1
  kTooLarge,              // 413 too-long: body or bundle over the configured limit
  kUnsupportedMediaType,  // 415 not-supported: Content-Type we do not read
  kInternal,              // 500 exception: a defect on our side
  kUnavailable,           // 503 transient: the database is unreachable or the commit in doubt
  kTimeout,               // 503 timeout: a statement ran past its configured time limit
};

// A Status is kOk or an error with a human-readable diagnostic. `expression` optionally names
// the FHIRPath location of the problem (OperationOutcome.issue.expression).
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string expression = {})
      : code_(code), message_(std::move(message)), expression_(std::move(expression)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& expression() const { return expression_; }

  // "NotFound: Patient/1 is not known" — for logs and test failure messages.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string expression_;
};

// Short constructors, one per code, so call sites read like the spec.
inline Status InvalidError(std::string m, std::string e = {}) {
  return {StatusCode::kInvalid, std::move(m), std::move(e)};
}
inline Status StructureError(std::string m) { return {StatusCode::kStructure, std::move(m)}; }
inline Status ValueError(std::string m) { return {StatusCode::kValue, std::move(m)}; }
inline Status NotSupportedError(std::string m) { return {StatusCode::kNotSupported, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }

const char* StatusCodeName(StatusCode code);

// Either a value or a non-OK Status. Accessing value() of an error Result is a defect and
// aborts in debug builds.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = InternalError("Result constructed from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace hestia

#define HESTIA_STATUS_CONCAT_INNER(a, b) a##b
#define HESTIA_STATUS_CONCAT(a, b) HESTIA_STATUS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define HESTIA_RETURN_IF_ERROR(expr)                         \
  do {                                                       \
    ::hestia::Status hestia_status_tmp_ = (expr);            \
    if (!hestia_status_tmp_.ok()) return hestia_status_tmp_; \
  } while (false)

// `HESTIA_ASSIGN_OR_RETURN(auto x, MakeX());` — declares x from a Result or returns its Status.
#define HESTIA_ASSIGN_OR_RETURN(lhs, expr) \
  HESTIA_ASSIGN_OR_RETURN_IMPL(HESTIA_STATUS_CONCAT(hestia_result_, __LINE__), lhs, expr)
// `tmp` is an identifier and `lhs` a declaration: neither can be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define HESTIA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
