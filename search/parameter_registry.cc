// Loads SearchParameters from the definitions package. See parameter_registry.h.
#include "hestia/search/parameter_registry.h"

#include <fstream>
#include <sstream>

#include "hestia/base/json.h"

namespace hestia::search {

Result<std::shared_ptr<const ParameterRegistry>> ParameterRegistry::LoadFromPackage(
    const std::string& package_dir) {
  const std::string path = package_dir + "/Bundle-searchParams.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) return InternalError("cannot read definitions file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  json::Document doc;
  json::Limits limits;
  limits.max_bytes = 64u << 20;
  if (Status s = json::Parse(ss.str(), limits, &doc); !s.ok()) {
    return InternalError(path + ": " + s.message());
  }
  auto registry = std::make_shared<ParameterRegistry>();
  const json::Value* entries = json::Member(doc, "entry");
  if (entries == nullptr || !entries->IsArray()) return InternalError(path + " has no entries");
  for (const auto& entry : entries->GetArray()) {
    const json::Value* res = json::Member(entry, "resource");
    if (res == nullptr || json::StringMember(*res, "resourceType") != "SearchParameter") continue;
    SearchParameterDef def;
    def.url = std::string(json::StringMember(*res, "url"));
    def.code = std::string(json::StringMember(*res, "code"));
    def.type = std::string(json::StringMember(*res, "type"));
    def.expression = std::string(json::StringMember(*res, "expression"));
    if (const json::Value* base = json::Member(*res, "base"); base != nullptr && base->IsArray()) {
      for (const auto& b : base->GetArray()) {
        if (json::IsText(b)) def.base.emplace_back(json::AsStringView(b));
      }
    }
    registry->params_.push_back(std::move(def));
  }
  for (std::size_t i = 0; i < registry->params_.size(); ++i) {
    for (const auto& b : registry->params_[i].base) {
      registry->by_base_code_[{b, registry->params_[i].code}] = i;
    }
  }
  return std::shared_ptr<const ParameterRegistry>(std::move(registry));
}

const SearchParameterDef* ParameterRegistry::Find(std::string_view resource_type,
                                                  std::string_view code) const {
  for (std::string_view base :
       {resource_type, std::string_view("DomainResource"), std::string_view("Resource")}) {
    auto it = by_base_code_.find(std::make_pair(std::string(base), std::string(code)));
    if (it != by_base_code_.end()) return &params_[it->second];
  }
  return nullptr;
}

std::vector<const SearchParameterDef*> ParameterRegistry::ForType(
    std::string_view resource_type) const {
  std::vector<const SearchParameterDef*> out;
  for (const auto& p : params_) {
    for (const auto& b : p.base) {
      if (b == resource_type || b == "Resource" || b == "DomainResource") {
        out.push_back(&p);
        break;
      }
    }
  }
  return out;
}

}  // namespace hestia::search
