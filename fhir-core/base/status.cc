// Status names. Owns: the stable spelling of each StatusCode in logs.
#include "hestia/base/status.h"

namespace hestia {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalid:
      return "Invalid";
    case StatusCode::kStructure:
      return "Structure";
    case StatusCode::kValue:
      return "Value";
    case StatusCode::kNotSupported:
      return "NotSupported";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kUnknownType:
      return "UnknownType";
    case StatusCode::kMethodNotAllowed:
      return "MethodNotAllowed";
    case StatusCode::kNotAcceptable:
      return "NotAcceptable";
    case StatusCode::kConflict:
      return "Conflict";
    case StatusCode::kAborted:
      return "Aborted";
    case StatusCode::kDeleted:
      return "Deleted";
    case StatusCode::kPreconditionFailed:
      return "PreconditionFailed";
    case StatusCode::kMultipleMatches:
      return "MultipleMatches";
    case StatusCode::kTooLarge:
      return "TooLarge";
    case StatusCode::kUnsupportedMediaType:
      return "UnsupportedMediaType";
    case StatusCode::kInternal:
      return "Internal";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kTimeout:
      return "Timeout";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace hestia
