// The SearchParameter registry, built at start-up from Bundle-searchParams.json of the
// definitions package (the 1,375 R4 SearchParameters).
//
// Owns: lookup of a parameter by (resource type, code), including parameters whose base is
// Resource or DomainResource (_id, _lastUpdated, _tag, …) which apply to every type.
// Thread-safety: immutable after LoadFromPackage().
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::search {

struct SearchParameterDef {
  std::string url;
  std::string code;               // "identifier"
  std::string type;               // number | date | string | token | reference | composite |
                                  // quantity | uri | special
  std::vector<std::string> base;  // resource types, or "Resource"/"DomainResource"
  std::string expression;         // FHIRPath; may cover several bases ("Patient.name | …")
};

class ParameterRegistry {
 public:
  // Reads `package_dir`/Bundle-searchParams.json. kInternal when missing or malformed.
  static Result<std::shared_ptr<const ParameterRegistry>> LoadFromPackage(
      const std::string& package_dir);

  // The parameter `code` as it applies to `resource_type`; nullptr when not defined.
  const SearchParameterDef* Find(std::string_view resource_type, std::string_view code) const;

  // Every parameter applying to `resource_type` (own ones and Resource/DomainResource ones).
  std::vector<const SearchParameterDef*> ForType(std::string_view resource_type) const;

  std::size_t size() const { return params_.size(); }

 private:
  std::vector<SearchParameterDef> params_;
  // (base, code) → index into params_
  std::map<std::pair<std::string, std::string>, std::size_t, std::less<>> by_base_code_;
};

}  // namespace hestia::search
