// FHIRPath Patch: applying a Parameters resource of `operation`s to a resource.
//
// Owns: the semantics of the five operations (add, insert, delete, replace, move) over the
// FHIR JSON DOM: paths are FHIRPath expressions evaluated by the Engine against the resource
// as it stands after the previous operations; values are a primitive value[x], a complex data
// type, or nested `part`s building an anonymous (BackboneElement) value. Decimals are copied
// exactly (json raw numbers). The patch is all-or-nothing: operations run on a copy that
// replaces the caller's resource only when every operation succeeded.
// FHIR R4: http://hl7.org/fhir/R4/fhirpatch.html
// Thread-safety: stateless; the Engine is thread-safe; *resource belongs to the caller.
#pragma once

#include "hestia/base/json.h"
#include "hestia/base/status.h"
#include "hestia/fhirpath/engine.h"

namespace hestia::fhirpath {

// True when `body` looks like a FHIRPath Patch document (a Parameters resource), as opposed
// to a JSON Patch array.
bool IsFhirPathPatch(const json::Value& body);

// Applies the FHIRPath Patch `parameters` to *resource. On success *resource holds the patched
// resource; on failure it is unchanged and the Status says which operation failed and why:
// kInvalid for a malformed Parameters document, a path that does not evaluate, matches nothing
// where an element is required (add, insert, replace, move) or more than one where one is
// required (add, delete, replace), an out-of-range index, or a value of the wrong kind;
// kTooLarge when an evaluation limit is hit. Deleting an element that does not exist succeeds.
// Changing resourceType or id is not checked here (the HTTP layer does).
Status ApplyFhirPathPatch(const Engine& engine, const json::Value& parameters,
                          json::Document* resource);

}  // namespace hestia::fhirpath
