// The SearchParameter registry: the 1,375 R4 SearchParameters of the definitions package
// (Bundle-searchParams.json) plus SearchParameter resources activated at run time ($reindex).
//
// Owns: lookup of a parameter by (resource type, code), including parameters whose base is
// Resource or DomainResource (_id, _lastUpdated, _tag, …) which apply to every type; lookup by
// canonical URL (composite components); the part of a multi-base expression that applies to
// one type; which parameters share the index rows of others (RowSources, ADR 0001).
// Thread-safety: a registry is immutable once built. Activating new parameters builds a new
// registry (WithAdded) that callers swap in; readers keep the one they hold.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/json.h"
#include "hestia/base/status.h"
#include "hestia/resources/type_registry.h"

namespace hestia::search {

struct ComponentDef {
  std::string definition;  // canonical URL of the component's SearchParameter
  std::string expression;  // FHIRPath relative to one item of the composite's expression
};

struct SearchParameterDef {
  std::string url;
  std::string code;                      // "identifier"
  std::string type;                      // number | date | string | token | reference | composite |
                                         // quantity | uri | special
  std::vector<std::string> base;         // resource types, or "Resource"/"DomainResource"
  std::string expression;                // FHIRPath; may cover several bases ("Patient.name | …")
  std::string xpath_usage;               // normal | phonetic | nearby | distance | other
  std::vector<std::string> target;       // reference: allowed target resource types
  std::vector<ComponentDef> components;  // composite
  bool runtime = false;                  // from a SearchParameter resource created over REST
  // Resource types (sorted) for which ExpressionFor(type) is one path of non-repeating
  // elements ending at an instant (Slot.start, Appointment.start): a resource then has at
  // most one idx_date row for the parameter, at most one second wide (extract_date.cc does
  // not index a coarser instant). The ordered sort bounds its index walk with the query's
  // own date clauses only for these (executor.cc). Filled by WithElementTypes.
  std::vector<std::string> single_instant;
  // (resource type, codes) for each type on which this parameter has no index rows of its
  // own: the parameters whose rows answer it there (ParameterRegistry::RowSources). Filled
  // by the registry; empty for almost every parameter.
  std::vector<std::pair<std::string, std::vector<std::string>>> row_sources;
  // For a string parameter over HumanName or Address items: the parts of those items whose
  // rows another parameter writes already (Patient name's `family` and `given`, address's
  // `city`, …), per resource type; see ParameterRegistry::PartSources. Filled by
  // WithElementTypes; empty for almost every parameter.
  struct PartSource {
    std::string type;  // resource type
    std::string part;  // element of the HumanName or Address ("family", "postalCode")
    std::string code;  // the parameter whose expression there is this one's + "." + part
    uint32_t bit = 0;  // StringPartBit(datatype, part) (index.h)
  };
  std::vector<PartSource> part_sources;

  // The union terms of `expression` that apply to `resource_type` ("Patient.name" out of
  // "Patient.name | Practitioner.name"), joined with " | "; terms rooted at Resource or
  // DomainResource apply to every type. "" when none applies.
  std::string ExpressionFor(std::string_view resource_type) const;
};

class ParameterRegistry {
 public:
  // Reads `package_dir`/Bundle-searchParams.json. kInternal when missing or malformed.
  static Result<std::shared_ptr<const ParameterRegistry>> LoadFromPackage(
      const std::string& package_dir);

  // Parses one SearchParameter resource (definitions or REST). kInvalid naming the element
  // when code, type, base or (for non-special, non-composite types) expression is missing.
  static Result<SearchParameterDef> FromResource(const json::Value& resource);

  // A new registry holding these parameters plus `added` (same base+code replaces).
  std::shared_ptr<const ParameterRegistry> WithAdded(
      const std::vector<SearchParameterDef>& added) const;

  // The parameter `code` as it applies to `resource_type`; nullptr when not defined.
  const SearchParameterDef* Find(std::string_view resource_type, std::string_view code) const;
  // The parameter with canonical `url`; nullptr when unknown.
  const SearchParameterDef* FindByUrl(std::string_view url) const;

  // A new registry with SearchParameterDef::single_instant and part_sources filled from
  // `types` for every parameter (parameters added later by WithAdded keep them empty: they are
  // searched without the bounded walk, which changes speed, never results, and write every
  // row of their own).
  std::shared_ptr<const ParameterRegistry> WithElementTypes(
      const resources::TypeRegistry& types) const;

  // Every parameter applying to `resource_type` (own ones and Resource/DomainResource ones).
  std::vector<const SearchParameterDef*> ForType(std::string_view resource_type) const;

  // The codes of the parameters whose index rows answer `code` on `resource_type`, when `code`
  // has no rows of its own there; empty when it has. A definitions-package parameter shares
  // rows when its expression for the type is the union of the expressions of other package
  // parameters of the same type (kind, xpathUsage and, for composites, the same components),
  // each of which has rows of its own: Observation combo-code = code | component-code, and
  // DeviceUseStatement patient = subject (same expression). Its rows would be exactly theirs
  // (rows are per item, and FHIRPath `|` is the union of the items), so extraction skips it and
  // search tests the sources' keys (IndexKeys). Parameters activated at run time neither share
  // nor lend rows (adding one never changes the answers of a package parameter); one that
  // replaces a source or a sharing parameter ends that sharing in the new registry, and the
  // sharing parameter's own rows are written from then on (by writes and by the $reindex that
  // the activation starts), like the replaced parameter's.
  const std::vector<std::string>& RowSources(std::string_view resource_type,
                                             std::string_view code) const;

  // The parts `code` leaves to other parameters on `resource_type` (empty for almost every
  // parameter). A definitions-package string parameter P whose expression for the type is one
  // path to HumanName or Address elements (Patient.name, Organization.address) indexes each
  // part of an item on its own row (extract_string.cc); when another package string parameter
  // Q of the type has the expression P's + "." + part (Patient.name.family), P's row for that
  // part would repeat Q's. Extraction leaves such parts out of P's rows, and search tests P's
  // key and the Qs' (IndexKeys): Patient name = its own rows (text, prefix, suffix, the whole
  // name) + family's + given's. Same run-time rules as RowSources: a parameter activated at
  // run time that replaces P or a Q ends the sharing in the new registry.
  std::vector<SearchParameterDef::PartSource> PartSources(std::string_view resource_type,
                                                          std::string_view code) const;

  // True when this server searches `def` on `resource_type`: its expression has a term for
  // the type (composites: and every component definition is known), or it is one of the
  // parameters handled without an expression (_id, _lastUpdated, _text, _content, near).
  // _query (named queries) is not supported.
  bool IsSupported(const SearchParameterDef& def, std::string_view resource_type) const;

  const std::vector<SearchParameterDef>& all() const { return params_; }
  std::size_t size() const { return params_.size(); }

 private:
  void BuildIndexes();
  // Fills each definition's row_sources (package parameters only).
  void FindSharedRows();
  // Fills each definition's part_sources (package string parameters only).
  void FindPartSources(const resources::TypeRegistry& types);
  std::vector<SearchParameterDef> params_;
  // (base, code) → index into params_
  std::map<std::pair<std::string, std::string>, std::size_t, std::less<>> by_base_code_;
  std::map<std::string, std::size_t, std::less<>> by_url_;
};

// The registry currently in force, swapped when $reindex activates SearchParameter resources.
// Thread-safety: Get and Set may race freely; a reader keeps the registry it got.
class RegistrySlot {
 public:
  explicit RegistrySlot(std::shared_ptr<const ParameterRegistry> initial)
      : current_(std::move(initial)) {}
  std::shared_ptr<const ParameterRegistry> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }
  void Set(std::shared_ptr<const ParameterRegistry> next) {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const ParameterRegistry> current_;
};

}  // namespace hestia::search
