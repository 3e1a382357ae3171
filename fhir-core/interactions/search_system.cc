// search-system: GET [base]?params and POST [base]/_search, across every type or the ones
// `_type` names; and compartment search, GET [base]/Patient/123/Observation (or /*).
// FHIR R4: http://hl7.org/fhir/R4/http.html#search,
// http://hl7.org/fhir/R4/compartmentdefinition.html
#include "interactions.h"
#include "search.h"

namespace hestia::interactions {

Response SearchSystem(const Context& ctx, const Request& req) {
  SearchScope scope;
  scope.system = true;
  return RunSearch(ctx, req, scope);
}

Response SearchCompartment(const Context& ctx, const Request& req, const std::string& owner_type,
                           const std::string& owner_id, const std::string& type) {
  if (!ctx.compartments->IsCompartmentType(owner_type)) {
    return ErrorResponse(NotFoundError(owner_type +
                                       " does not define a compartment (R4 defines Patient, "
                                       "Encounter, RelatedPerson, Practitioner and Device)"));
  }
  SearchScope scope;
  scope.compartment_type = owner_type;
  scope.compartment_id = owner_id;
  scope.link_path = owner_type + "/" + owner_id + "/" + type;
  if (type == "*") {
    scope.types = ctx.compartments->MemberTypes(owner_type);
  } else {
    if (!ctx.types->IsResourceType(type)) {
      return ErrorResponse(
          {StatusCode::kUnknownType, "'" + type + "' is not a FHIR R4 resource type"});
    }
    if (ctx.compartments->Params(owner_type, type).empty()) {
      return ErrorResponse(
          InvalidError(type + " resources are never in a " + owner_type + " compartment"));
    }
    scope.types = {type};
  }
  return RunSearch(ctx, req, scope);
}

}  // namespace hestia::interactions
