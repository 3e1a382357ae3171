// The FHIR XML reader: FHIR XML text → the FHIR JSON DOM the rest of the server works on.
//
// Owns: the safe use of libxml2 for untrusted input (ARCHITECTURE §2: never NOENT, DTDLOAD,
// DTDVALID or HUGE; always NONET; any DOCTYPE refused before its internal subset is read, so
// no entity is ever declared or expanded), size and depth limits, and the registry-driven
// mapping of XML elements to JSON: arrays from cardinality, primitive JSON types (boolean,
// integer, decimal kept exact as json raw numbers), `id`/extension of primitives into `_name`
// siblings, choice types, xhtml `div` copied as text, and nested resources (contained,
// Bundle.entry.resource, Parameters.parameter.resource).
// FHIR R4: http://hl7.org/fhir/R4/xml.html
// Thread-safety: stateless; concurrent calls are safe (libxml2 parser contexts are per call;
// the process must not change libxml2's global settings concurrently).
#pragma once

#include <cstddef>
#include <string_view>

#include "hestia/base/json.h"
#include "hestia/base/status.h"
#include "hestia/resources/type_registry.h"

namespace hestia::resources {

struct XmlLimits {
  std::size_t max_bytes = 16 * 1024 * 1024;  // whole text; larger → kTooLarge
  int max_depth = 100;                       // nested elements; deeper → kStructure
};

// Parses the FHIR XML resource in `text` into *out (replacing its content) as FHIR JSON
// (resourceType first, then the elements in document order). Fails with kTooLarge over the
// size limit, kStructure for malformed XML, a DOCTYPE, too deep nesting or a root that is not
// a FHIR resource, and kInvalid/kValue for unknown elements and bad primitive values (the
// message names the element path). On failure *out is unspecified.
Status ParseXmlResource(std::string_view text, const TypeRegistry& registry, json::Document* out,
                        const XmlLimits& limits = {});

}  // namespace hestia::resources
