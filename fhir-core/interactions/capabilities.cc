// capabilities: GET [base]/metadata — the CapabilityStatement built once at start-up by
// hestia_conformance from what this build implements.
// FHIR R4: http://hl7.org/fhir/R4/http.html#capabilities
#include "interactions.h"

namespace hestia::interactions {

Response Capabilities(const Context& ctx, const Request&) {
  Response r;
  r.body = ctx.capability_statement;
  return r;
}

}  // namespace hestia::interactions
