// The server's CapabilityStatement, generated from what this build really implements.
//
// Owns: the single description of supported interactions, formats and search parameters per
// resource type. It must never claim more than the router serves: when an interaction or
// parameter is added, it is added here in the same change (tests/integration checks that
// every listed interaction answers).
// FHIR R4: http://hl7.org/fhir/R4/capabilitystatement.html, http.html#capabilities
// Thread-safety: stateless.
#pragma once

#include <string>

#include "hestia/resources/type_registry.h"
#include "hestia/search/parameter_registry.h"

namespace hestia::conformance {

// Compact JSON text of the CapabilityStatement for `software_version`.
std::string BuildCapabilityStatement(const resources::TypeRegistry& types,
                                     const search::ParameterRegistry& params,
                                     const std::string& software_version);

}  // namespace hestia::conformance
