// The R4 type registry, built at start-up from the StructureDefinitions of the definitions
// package (Bundle-resources.json and Bundle-types.json of hl7.fhir.r4.examples@4.0.1).
//
// Owns: the set of resource types the server serves, and for every resource and data type its
// elements (path, types, cardinality, choice types, content references). The same registry
// drives validation, FHIRPath typing, XML ↔ JSON and search extraction.
// Thread-safety: immutable after LoadFromPackage(); share it as shared_ptr<const TypeRegistry>.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::resources {

struct ElementInfo {
  std::string path;                // "Patient.name.given", "Observation.value[x]"
  std::string name;                // last segment without [x]: "given", "value"
  std::vector<std::string> types;  // type codes: "HumanName", "string", "BackboneElement", …
                                   // primitive FHIRPath system types appear as the FHIR code
                                   // ("string", "boolean", …)
  int min = 0;
  bool is_array = false;          // max is "*" or > 1
  bool is_choice = false;         // path ends in [x]
  std::string content_reference;  // "#Questionnaire.item" for recursive elements; else ""
  bool is_summary = false;        // part of the _summary=true view
};

struct TypeInfo {
  std::string name;  // "Patient", "HumanName", "string"
  std::string kind;  // "resource", "complex-type", "primitive-type", "logical"
  std::string base;  // base type name ("DomainResource"), "" for Base/Element roots
  bool is_abstract = false;
  std::vector<ElementInfo> elements;  // snapshot order; elements[0] is the type root
};

class TypeRegistry {
 public:
  // Loads Bundle-resources.json and Bundle-types.json from `package_dir`. Returns kInternal
  // with the file name when a file is missing or unreadable.
  static Result<std::shared_ptr<const TypeRegistry>> LoadFromPackage(
      const std::string& package_dir);

  // Concrete (non-abstract) resource types, sorted: "Account" … "VisionPrescription".
  const std::vector<std::string>& ResourceTypes() const { return resource_types_; }
  bool IsResourceType(std::string_view name) const;

  // Any type (resource, data type, primitive) by name; nullptr when unknown.
  const TypeInfo* FindType(std::string_view name) const;

  // An element by its full path ("Patient.name", "Observation.value[x]",
  // "Questionnaire.item.item" is *not* a path: follow content_reference). nullptr when unknown.
  const ElementInfo* FindElement(std::string_view path) const;

  // The child element `name` of the element or type at `parent_path`; resolves choice types:
  // ChildElement("Observation", "valueQuantity") finds "Observation.value[x]" and sets
  // *choice_type to "Quantity". nullptr when there is no such child.
  const ElementInfo* ChildElement(std::string_view parent_path, std::string_view name,
                                  std::string* choice_type = nullptr) const;

 private:
  std::vector<std::string> resource_types_;
  std::map<std::string, TypeInfo, std::less<>> types_;
  std::map<std::string, const ElementInfo*, std::less<>> elements_by_path_;
};

}  // namespace hestia::resources
