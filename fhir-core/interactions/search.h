// Search at type, system and compartment level, GET and POST _search (private).
//
// Owns: collecting the parameters (query string, and the form body of POST _search), the
// parse into a search::Query, running it on a read snapshot with the configured statement
// timeout, and the searchset Bundle: total, self/next links (GET URLs, also for POST), match
// and include entries with _summary/_elements applied, the location-distance extension for
// near, and an OperationOutcome entry for parameters ignored under handling=lenient.
// _explain=true answers a Parameters resource with the expression tree, the SQL and its plan.
// FHIR R4: http://hl7.org/fhir/R4/search.html, http://hl7.org/fhir/R4/http.html#search
#pragma once

#include <string>
#include <vector>

#include "context.h"

namespace hestia::interactions {

struct SearchScope {
  std::vector<std::string> types;  // one type; empty with `system` = every type
  bool system = false;
  std::string compartment_type;  // compartment search: Patient/123/…
  std::string compartment_id;
  std::string link_path;  // path of self/next links after the base ("Patient", "")
};

Response RunSearch(const Context& ctx, const Request& req, const SearchScope& scope);

Response SearchSystem(const Context& ctx, const Request& req);
// [base]/Patient/123/Observation (type) or [base]/Patient/123/* (every member type).
Response SearchCompartment(const Context& ctx, const Request& req, const std::string& owner_type,
                           const std::string& owner_id, const std::string& type);

}  // namespace hestia::interactions
