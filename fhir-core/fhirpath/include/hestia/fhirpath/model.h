// The FHIR type model as FHIRPath navigates it.
//
// Owns: a navigation index built once from the TypeRegistry (the R4 StructureDefinitions):
// for every resource, data type and inline BackboneElement a TypeNode with its base type and
// its children by name, with choice types (value[x]) and content references resolved.
// Navigation uses it to find JSON keys ("valueQuantity", "_given") and the FHIR type of each
// child without string building or registry lookups on the hot path.
// Thread-safety: immutable after Build(); share as shared_ptr<const Model>.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hestia/base/json.h"
#include "hestia/base/status.h"
#include "hestia/resources/type_registry.h"

namespace hestia::fhirpath {

class TypeNode;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One child element of a type.
struct ChildDef {
  std::string name;     // "value", "given"
  std::string ext_key;  // "_given" (primitive types only; "" otherwise)
  bool is_array = false;
  bool is_choice = false;
  const TypeNode* type = nullptr;  // non-choice children
  // Choice children: JSON key ("valueQuantity"), its "_" key, and its type.
  struct Choice {
    std::string key;
    std::string ext_key;
    const TypeNode* type = nullptr;
  };
  std::vector<Choice> choices;
};

class TypeNode {
 public:
  const std::string& name() const { return name_; }  // "Patient", "BackboneElement", "code"
  const std::string& path() const { return path_; }  // "Patient", "Patient.contact"
  const TypeNode* base() const { return base_; }
  bool is_primitive() const { return primitive_; }
  bool is_resource() const { return resource_; }
  // Abstract Resource/DomainResource: the concrete type comes from "resourceType".
  bool is_abstract_resource() const { return abstract_resource_; }
  // A data type derived from Quantity (Age, Duration, …) or Quantity itself.
  bool is_quantity() const { return quantity_; }

  // Children by JSON-independent name; a profile without its own elements (SimpleQuantity)
  // answers with its base type's children.
  const ChildDef* FindChild(std::string_view name) const {
    if (children_.empty() && base_ != nullptr) return base_->FindChild(name);
    auto it = children_.find(name);
    return it == children_.end() ? nullptr : &it->second;
  }
  const std::vector<const ChildDef*>& ordered_children() const {
    if (ordered_.empty() && base_ != nullptr) return base_->ordered_children();
    return ordered_;
  }
  // True when this type is `name` or derives from it.
  bool IsA(std::string_view name) const;

 private:
  friend class Model;
  std::string name_;
  std::string path_;
  const TypeNode* base_ = nullptr;
  bool primitive_ = false;
  bool resource_ = false;
  bool abstract_resource_ = false;
  bool quantity_ = false;
  std::unordered_map<std::string, ChildDef, StringHash, std::equal_to<>> children_;
  std::vector<const ChildDef*> ordered_;
};

class Model {
 public:
  // Builds the index from `registry` (every resource type and every type reachable from
  // them). Fails with kInternal when the registry lacks a type an element refers to in a way
  // navigation cannot survive (it tolerates unknown types by leaving them untyped).
  static Result<std::shared_ptr<const Model>> Build(
      const std::shared_ptr<const resources::TypeRegistry>& registry);

  // A type by name ("Patient", "string") or by inline path ("Patient.contact"); nullptr
  // when unknown.
  const TypeNode* Find(std::string_view name) const;
  // The concrete resource type of a resource JSON object (its "resourceType"); nullptr when
  // absent or unknown.
  const TypeNode* ResourceTypeOf(const json::Value& resource) const;
  const resources::TypeRegistry& registry() const { return *registry_; }

 private:
  TypeNode* Intern(const std::string& key);
  std::shared_ptr<const resources::TypeRegistry> registry_;
  std::unordered_map<std::string, std::unique_ptr<TypeNode>, StringHash, std::equal_to<>> nodes_;
};

}  // namespace hestia::fhirpath
