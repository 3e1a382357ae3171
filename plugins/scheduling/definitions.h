// The conformance resources of the scheduling plug-in: the OperationDefinition of each
// operation (listed in the CapabilityStatement through the host) and the StructureDefinitions
// of its extensions (installed into the server by the install-definitions job, so that
// GET [base]/StructureDefinition?url=… serves them). Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace hestia::scheduling {

struct OperationParameter {
  const char* name;
  const char* use;  // "in" or "out"
  int min;
  const char* max;
  const char* type;
  const char* documentation;
};

// An OperationDefinition for $code on `resource` at type and/or instance level.
std::string OperationDefinition(const std::string& code, const std::string& resource,
                                bool type_level, bool instance_level, bool affects_state,
                                const std::string& description,
                                const std::vector<OperationParameter>& parameters);

// The StructureDefinitions of the plug-in's extensions, as JSON texts.
std::vector<std::string> ExtensionDefinitions();

}  // namespace hestia::scheduling
