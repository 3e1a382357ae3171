// Content negotiation for the FHIR REST API: which format a client accepts, which it sends.
//
// Owns: the `_format` parameter, the Accept header (lists, q-values, wildcards) and the
// request Content-Type check. We produce and read JSON only; XML, Turtle and HTML are
// recognised and answered with 406/415 until they are implemented.
// FHIR R4: http://hl7.org/fhir/R4/http.html#mime-type, http://hl7.org/fhir/R4/http.html#parameters
// Used by: dispatcher.cc. Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::rest {

// What the response body is labelled as. kJson only when the client asked for
// application/json and not (at least as strongly) for application/fhir+json.
enum class ResponseFormat { kFhirJson, kJson };

// "application/fhir+json;charset=utf-8" or "application/json;charset=utf-8".
const char* ContentTypeFor(ResponseFormat format);

// Chooses the response format. `format_param` is the decoded `_format` value (nullptr when
// absent); it wins over `accept` (every Accept header value, in order; none means "*/*").
// Fails with kNotAcceptable when neither JSON flavour is acceptable.
Result<ResponseFormat> NegotiateResponseFormat(const std::string* format_param,
                                               const std::vector<std::string_view>& accept);

// What a request body is, as far as the HTTP layer is concerned.
enum class BodyFormat { kFhirJson, kJsonPatch, kForm };

struct BodyRules {
  bool allow_json_patch = false;  // PATCH: application/json-patch+json goes to the service
  bool allow_form = false;        // POST …/_search: application/x-www-form-urlencoded
};

// Checks the Content-Type of a request that has a body. `content_type` is nullptr when the
// header is absent. Fails with kUnsupportedMediaType for a missing or unsupported type or a
// charset other than UTF-8.
Result<BodyFormat> CheckRequestContentType(const std::string* content_type, const BodyRules& rules);

}  // namespace hestia::rest
