// The FHIR service as the HTTP layer sees it.
//
// Owns: the boundary between hestia_rest and everything FHIR. The HTTP layer owns sockets,
// content negotiation, size limits, /healthz, /readyz and /metrics; it hands every request
// under the FHIR base to Service::Handle.
// Thread-safety: Handle, CheckReady and AppendMetrics are called concurrently from all HTTP
// worker threads; implementations must be thread-safe.
#pragma once

#include <string>

#include "hestia/base/status.h"
#include "hestia/interactions/http_types.h"

namespace hestia::interactions {

class Service {
 public:
  virtual ~Service() = default;

  // Runs one FHIR request. Never throws; errors come back as a Response whose body is an
  // OperationOutcome (see ErrorResponse). `request.path` is relative to the FHIR base.
  virtual Response Handle(const Request& request) = 0;

  // OK when the service can answer requests now (database reachable); else kUnavailable.
  virtual Status CheckReady() = 0;

  // Appends Prometheus text-format lines for the service's own gauges (connection pool).
  virtual void AppendMetrics(std::string* out) = 0;
};

// Builds the error Response for a non-OK status: HTTP status, OperationOutcome body, and
// Retry-After for 503.
Response ErrorResponse(const Status& status);

}  // namespace hestia::interactions
