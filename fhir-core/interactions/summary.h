// _summary and _elements: the subsets of a resource a search or read may return (private).
// FHIR R4: http://hl7.org/fhir/R4/search.html#summary, #elements
#pragma once

#include <string>
#include <vector>

#include "hestia/resources/type_registry.h"
#include "hestia/search/query.h"

namespace hestia::interactions {

// Returns `body` (a stored resource's JSON text) reduced to the `summary` view, or to
// `elements` when that list is not empty, with meta.tag SUBSETTED added when anything was
// removed. resourceType, id and meta are always kept; _elements also keeps the type's
// mandatory top-level elements. `body` is returned unchanged for Summary::kFalse with no
// elements, and when it is not a JSON object.
std::string SubsetResource(const resources::TypeRegistry& types, const std::string& body,
                           search::Summary summary, const std::vector<std::string>& elements);

}  // namespace hestia::interactions
