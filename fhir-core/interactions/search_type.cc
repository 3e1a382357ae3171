// search-type: GET [base]/[type]?params and POST [base]/[type]/_search — a searchset Bundle.
// FHIR R4: http://hl7.org/fhir/R4/http.html#search
#include "interactions.h"
#include "search.h"

namespace hestia::interactions {

Response SearchType(const Context& ctx, const Request& req, const std::string& type) {
  SearchScope scope;
  scope.types = {type};
  scope.link_path = type;
  return RunSearch(ctx, req, scope);
}

}  // namespace hestia::interactions
