// Builds the TypeRegistry from the definitions package. See type_registry.h.
#include "hestia/resources/type_registry.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "hestia/base/json.h"

namespace hestia::resources {
namespace {

Status ReadJsonFile(const std::string& path, json::Document* doc) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InternalError("cannot read definitions file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  json::Limits limits;
  limits.max_bytes = 256u << 20;
  Status s = json::Parse(ss.str(), limits, doc);
  if (!s.ok()) return InternalError(path + ": " + s.message());
  return Status::Ok();
}

TypeInfo ToTypeInfo(const json::Value& sd) {
  TypeInfo t;
  t.name = std::string(json::StringMember(sd, "id"));
  t.kind = std::string(json::StringMember(sd, "kind"));
  const json::Value* abstract = json::Member(sd, "abstract");
  t.is_abstract = abstract != nullptr && abstract->IsBool() && abstract->GetBool();
  std::string_view base = json::StringMember(sd, "baseDefinition");
  if (auto slash = base.rfind('/'); slash != std::string_view::npos) base = base.substr(slash + 1);
  t.base = std::string(base);
  const json::Value* snapshot = json::Member(sd, "snapshot");
  const json::Value* elements = snapshot ? json::Member(*snapshot, "element") : nullptr;
  if (elements == nullptr || !elements->IsArray()) return t;
  for (const auto& e : elements->GetArray()) {
    ElementInfo info;
    info.path = std::string(json::StringMember(e, "path"));
    if (info.path.empty()) continue;
    std::string_view last = info.path;
    if (auto dot = last.rfind('.'); dot != std::string_view::npos) last = last.substr(dot + 1);
    info.is_choice = last.size() > 3 && last.substr(last.size() - 3) == "[x]";
    info.name = std::string(info.is_choice ? last.substr(0, last.size() - 3) : last);
    if (const json::Value* min = json::Member(e, "min"); min != nullptr && min->IsInt()) {
      info.min = min->GetInt();
    }
    const std::string_view max = json::StringMember(e, "max");
    info.is_array = max == "*" || (!max.empty() && max != "0" && max != "1");
    info.content_reference = std::string(json::StringMember(e, "contentReference"));
    if (const json::Value* types = json::Member(e, "type"); types != nullptr && types->IsArray()) {
      for (const auto& ty : types->GetArray()) {
        const std::string_view code = json::StringMember(ty, "code");
        if (!code.empty()) info.types.emplace_back(code);
      }
    }
    t.elements.push_back(std::move(info));
  }
  return t;
}

bool EqualsIgnoringFirstCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return std::tolower(static_cast<unsigned char>(a[0])) ==
             std::tolower(static_cast<unsigned char>(b[0])) &&
         a.substr(1) == b.substr(1);
}

}  // namespace

Result<std::shared_ptr<const TypeRegistry>> TypeRegistry::LoadFromPackage(
    const std::string& package_dir) {
  auto registry = std::make_shared<TypeRegistry>();
  for (const char* file : {"Bundle-types.json", "Bundle-resources.json"}) {
    json::Document doc;
    HESTIA_RETURN_IF_ERROR(ReadJsonFile(package_dir + "/" + file, &doc));
    const json::Value* entries = json::Member(doc, "entry");
    if (entries == nullptr || !entries->IsArray()) {
      return InternalError(std::string(file) + " is not a Bundle with entries");
    }
    for (const auto& entry : entries->GetArray()) {
      const json::Value* res = json::Member(entry, "resource");
      if (res == nullptr || json::StringMember(*res, "resourceType") != "StructureDefinition") {
        continue;
      }
      // Profiles (SimpleQuantity, MoneyQuantity, vitalsigns…) constrain a type; the registry
      // holds the base types only.
      if (json::StringMember(*res, "derivation") == "constraint") continue;
      TypeInfo info = ToTypeInfo(*res);
      if (info.name.empty()) continue;
      if (info.kind == "resource" && !info.is_abstract) {
        registry->resource_types_.push_back(info.name);
      }
      std::string name = info.name;
      registry->types_[name] = std::move(info);
    }
  }
  std::sort(registry->resource_types_.begin(), registry->resource_types_.end());
  for (const auto& [name, type] : registry->types_) {
    for (const auto& e : type.elements) registry->elements_by_path_[e.path] = &e;
  }
  if (registry->resource_types_.empty()) {
    return InternalError("no resource StructureDefinitions in " + package_dir);
  }
  return std::shared_ptr<const TypeRegistry>(std::move(registry));
}

bool TypeRegistry::IsResourceType(std::string_view name) const {
  return std::binary_search(resource_types_.begin(), resource_types_.end(), name);
}

const TypeInfo* TypeRegistry::FindType(std::string_view name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

const ElementInfo* TypeRegistry::FindElement(std::string_view path) const {
  auto it = elements_by_path_.find(path);
  return it == elements_by_path_.end() ? nullptr : it->second;
}

const ElementInfo* TypeRegistry::ChildElement(std::string_view parent_path, std::string_view name,
                                              std::string* choice_type) const {
  for (int hops = 0; hops < 8; ++hops) {
    const std::string prefix = std::string(parent_path) + ".";
    if (const ElementInfo* direct = FindElement(prefix + std::string(name))) {
      if (choice_type != nullptr) choice_type->clear();
      return direct;
    }
    // Choice type: "valueQuantity" → "value[x]" with type "Quantity".
    for (std::size_t i = 1; i < name.size(); ++i) {
      if (!std::isupper(static_cast<unsigned char>(name[i]))) continue;
      const ElementInfo* choice = FindElement(prefix + std::string(name.substr(0, i)) + "[x]");
      if (choice == nullptr) break;
      const std::string_view suffix = name.substr(i);
      for (const auto& t : choice->types) {
        if (EqualsIgnoringFirstCase(t, suffix)) {
          if (choice_type != nullptr) *choice_type = t;
          return choice;
        }
      }
      break;
    }
    // Not defined inline: follow the parent element's content reference or its data type.
    const ElementInfo* parent = FindElement(parent_path);
    if (parent == nullptr) return nullptr;
    if (!parent->content_reference.empty()) {
      parent_path = std::string_view(parent->content_reference).substr(1);
      continue;
    }
    if (parent->types.size() != 1 || parent->types[0] == "BackboneElement" ||
        parent->types[0] == "Element") {
      return nullptr;
    }
    parent_path = parent->types[0];
  }
  return nullptr;
}

}  // namespace hestia::resources
