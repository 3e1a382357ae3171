// Builds the FHIRPath navigation index from the type registry. See model.h.
// Thread-safety: Build() runs once; the result is immutable.
#include "hestia/fhirpath/model.h"

#include <deque>
#include <set>

namespace hestia::fhirpath {
namespace {

// The registry reports the FHIRPath system type of primitive values ("value" elements and
// Element.id) either as the FHIR code or as a System URL; map the URL to the FHIR code.
std::string NormalizeTypeCode(const std::string& code) {
  constexpr std::string_view kSystem = "http://hl7.org/fhirpath/System.";
  if (code.rfind(kSystem, 0) != 0) return code;
  std::string name = code.substr(kSystem.size());
  if (name == "DateTime") return "dateTime";
  if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  return name;
}

std::string Capitalized(const std::string& s) {
  std::string out = s;
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace

bool TypeNode::IsA(std::string_view name) const {
  for (const TypeNode* t = this; t != nullptr; t = t->base_) {
    if (t->name_ == name) return true;
  }
  return false;
}

TypeNode* Model::Intern(const std::string& key) {
  auto it = nodes_.find(key);
  if (it != nodes_.end()) return it->second.get();
  auto node = std::make_unique<TypeNode>();
  node->name_ = key;
  node->path_ = key;
  TypeNode* raw = node.get();
  nodes_.emplace(key, std::move(node));
  return raw;
}

Result<std::shared_ptr<const Model>> Model::Build(
    const std::shared_ptr<const resources::TypeRegistry>& registry) {
  if (registry == nullptr) return InternalError("FHIRPath model needs a type registry");
  auto model = std::shared_ptr<Model>(new Model());
  model->registry_ = registry;
  std::deque<std::string> queue(registry->ResourceTypes().begin(), registry->ResourceTypes().end());
  for (const char* extra : {"Resource",      "DomainResource",
                            "Element",       "BackboneElement",
                            "Quantity",      "Extension",
                            "string",        "boolean",
                            "integer",       "decimal",
                            "date",          "dateTime",
                            "time",          "instant",
                            "code",          "id",
                            "uri",           "url",
                            "canonical",     "uuid",
                            "oid",           "markdown",
                            "base64Binary",  "unsignedInt",
                            "positiveInt",   "xhtml",
                            "Age",           "Duration",
                            "Distance",      "Count",
                            "MoneyQuantity", "SimpleQuantity"}) {
    queue.emplace_back(extra);
  }
  std::set<std::string, std::less<>> seen;
  while (!queue.empty()) {
    const std::string type_name = queue.front();
    queue.pop_front();
    if (!seen.insert(type_name).second) continue;
    const resources::TypeInfo* info = registry->FindType(type_name);
    TypeNode* node = model->Intern(type_name);
    if (info == nullptr) continue;
    node->primitive_ = info->kind == "primitive-type";
    node->resource_ = info->kind == "resource";
    if (!info->base.empty()) {
      node->base_ = model->Intern(info->base);
      queue.push_back(info->base);
    }
    for (std::size_t i = 1; i < info->elements.size(); ++i) {
      const resources::ElementInfo& e = info->elements[i];
      const auto dot = e.path.rfind('.');
      if (dot == std::string::npos) continue;
      const std::string parent_path = e.path.substr(0, dot);
      // Primitive values live in the JSON value itself, not in a child.
      if (node->primitive_ && e.name == "value") continue;
      TypeNode* parent = parent_path == type_name ? node : model->Intern(parent_path);
      if (parent->children_.count(e.name) != 0) continue;
      ChildDef child;
      child.name = e.name;
      child.ext_key = "_" + e.name;
      child.is_array = e.is_array;
      child.is_choice = e.is_choice;
      std::vector<std::string> types;
      for (const auto& t : e.types) types.push_back(NormalizeTypeCode(t));
      // Resource.id is a FHIR id (the registry may only say "string").
      if (e.name == "id" && node->resource_ && parent == node) types = {"id"};
      // The registry keeps the System type of Extension.url; its FHIR type is uri.
      if (type_name == "Extension" && e.name == "url" && parent == node) types = {"uri"};
      if (!e.content_reference.empty()) {
        const std::string target = e.content_reference.substr(e.content_reference.find('#') + 1);
        child.type = model->Intern(target);
      } else if (types.size() == 1 && (types[0] == "BackboneElement" || types[0] == "Element") &&
                 !child.is_choice) {
        TypeNode* inline_node = model->Intern(e.path);
        inline_node->name_ = types[0];
        inline_node->path_ = e.path;
        inline_node->base_ = model->Intern(types[0]);
        child.type = inline_node;
        queue.push_back(types[0]);
      } else if (child.is_choice) {
        for (const auto& t : types) {
          ChildDef::Choice c;
          c.key = e.name + Capitalized(t);
          c.ext_key = "_" + c.key;
          c.type = model->Intern(t);
          child.choices.push_back(std::move(c));
          queue.push_back(t);
        }
      } else if (!types.empty()) {
        child.type = model->Intern(types[0]);
        queue.push_back(types[0]);
      }
      auto [it, inserted] = parent->children_.emplace(e.name, std::move(child));
      if (inserted) parent->ordered_.push_back(&it->second);
    }
  }
  for (auto& [key, node] : model->nodes_) {
    node->quantity_ = node->IsA("Quantity");
    node->abstract_resource_ = node->name_ == "Resource" || node->name_ == "DomainResource";
    if (node->IsA("Resource")) node->resource_ = true;
  }
  return std::shared_ptr<const Model>(std::move(model));
}

const TypeNode* Model::Find(std::string_view name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : it->second.get();
}

const TypeNode* Model::ResourceTypeOf(const json::Value& resource) const {
  const std::string_view type = json::StringMember(resource, "resourceType");
  if (type.empty()) return nullptr;
  const TypeNode* node = Find(type);
  return node != nullptr && node->is_resource() ? node : nullptr;
}

}  // namespace hestia::fhirpath
