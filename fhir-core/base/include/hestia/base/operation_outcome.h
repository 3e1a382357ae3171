// The single mapping from a Status to the outside world: HTTP status and OperationOutcome.
//
// Owns: HttpStatusFor / IssueCodeFor (one row per StatusCode) and the OperationOutcome JSON
// text. Every 4xx/5xx the server sends is built here.
// FHIR R4: http://hl7.org/fhir/R4/operationoutcome.html, http://hl7.org/fhir/R4/http.html
// Thread-safety: stateless.
#pragma once

#include <string>
#include <string_view>

#include "hestia/base/status.h"

namespace hestia {

// HTTP status code for an error category (200 for kOk).
int HttpStatusFor(StatusCode code);

// OperationOutcome.issue.code (http://hl7.org/fhir/R4/valueset-issue-type.html) for a category.
const char* IssueCodeFor(StatusCode code);

// OperationOutcome JSON text with one issue for `status` (severity error, or fatal for 5xx).
std::string OperationOutcomeJson(const Status& status);

// OperationOutcome JSON text with one informational issue (for Prefer: return=OperationOutcome
// and successful deletes).
std::string InformationOutcomeJson(std::string_view message);

}  // namespace hestia
