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
#include <vector>

#include "hestia/resources/type_registry.h"
#include "hestia/search/parameter_registry.h"

namespace hestia::conformance {

// A custom operation the server offers (from a plug-in): listed under rest.resource[type]
// .operation, or under rest.operation when `type` is empty (system level or any type).
struct OperationEntry {
  std::string name;        // without '$'
  std::string definition;  // canonical URL of its OperationDefinition
  std::string type;        // resource type; "" = system / any type
};

// Compact JSON text of the CapabilityStatement for `software_version`.
std::string BuildCapabilityStatement(const resources::TypeRegistry& types,
                                     const search::ParameterRegistry& params,
                                     const std::string& software_version,
                                     const std::vector<OperationEntry>& operations = {});

}  // namespace hestia::conformance
