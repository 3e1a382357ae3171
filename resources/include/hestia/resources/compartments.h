// Compartments (FHIR R4 compartmentdefinition.html): which search parameters put a resource
// into the compartment of a Patient, Encounter, RelatedPerson, Practitioner or Device.
// Built from the CompartmentDefinition resources of the definitions package.
//
// Owns: the (compartment type, resource type) → parameter codes table that compartment
// search ([base]/Patient/123/Observation) turns into an OR of reference criteria.
// Thread-safety: immutable after LoadFromPackage().
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::resources {

class Compartments {
 public:
  // Reads CompartmentDefinition-{patient,encounter,relatedPerson,practitioner,device}.json
  // from `package_dir`. kInternal when one is missing or malformed.
  static Result<std::shared_ptr<const Compartments>> LoadFromPackage(
      const std::string& package_dir);

  // True when `type` (e.g. "Patient") defines a compartment.
  bool IsCompartmentType(std::string_view type) const;

  // The parameter codes linking `resource_type` to a `compartment_type` compartment
  // (empty when resources of that type are never in it). "{def}" entries are dropped.
  const std::vector<std::string>& Params(std::string_view compartment_type,
                                         std::string_view resource_type) const;

  // Resource types that can be in a `compartment_type` compartment, sorted.
  std::vector<std::string> MemberTypes(std::string_view compartment_type) const;

 private:
  std::map<std::string, std::map<std::string, std::vector<std::string>, std::less<>>, std::less<>>
      params_;
};

}  // namespace hestia::resources
