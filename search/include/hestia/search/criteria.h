// Search criteria at the foundation stage: `_id`, `identifier` and `_lastUpdated`, with the
// result parameters `_count`, `_total` and `_summary=count`. Used by search-type and by the
// conditional interactions (If-None-Exist, conditional update and delete).
//
// Owns: parsing a query into Criteria (strict by default: unknown parameters, modifiers and
// prefixes are kInvalid/kNotSupported errors naming the parameter), index extraction for the
// parameters above, and the SQL text for them — with every user value bound as a parameter,
// never spliced into the text. The search issue replaces this file with the full engine.
// FHIR R4: http://hl7.org/fhir/R4/search.html
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "hestia/base/status.h"
#include "hestia/base/time.h"
#include "hestia/search/parameter_registry.h"

namespace hestia::search {

// 64-bit hash of (resource type, parameter code), the key of the index tables.
int64_t ParamHash(std::string_view resource_type, std::string_view code);

struct TokenValue {
  bool has_system = false;  // "system|code" or "|code" (system empty = no system)
  std::string system;
  std::string code;  // may be empty for "system|"
};

struct DateValue {
  std::string prefix = "eq";  // eq ne gt lt ge le sa eb ap
  TimeRange range;
};

struct Criteria {
  std::string resource_type;
  // Each inner vector is one parameter occurrence (comma = OR); occurrences AND together.
  std::vector<std::vector<std::string>> ids;
  std::vector<std::vector<TokenValue>> identifiers;
  std::vector<std::vector<DateValue>> last_updated;
  std::optional<int> count;          // _count
  bool total_none = false;           // _total=none
  bool summary_count = false;        // _summary=count
  std::vector<std::string> ignored;  // parameters skipped under Prefer: handling=lenient

  bool HasFilters() const { return !ids.empty() || !identifiers.empty() || !last_updated.empty(); }
};

// Parses `query` (decoded name/value pairs) for `resource_type`. Paging parameters
// (`_cursor`) and formatting parameters (`_format`, `_pretty`) are accepted and left to the
// caller. With `lenient`, unknown parameters are recorded in Criteria::ignored instead of
// failing.
Result<Criteria> ParseCriteria(std::string_view resource_type,
                               const std::vector<std::pair<std::string, std::string>>& query,
                               const ParameterRegistry& registry, bool lenient);

// Parses the query string of a conditional URL ("identifier=a|b&_id=x"; '?' optional).
Result<Criteria> ParseConditionalCriteria(std::string_view resource_type, std::string_view query,
                                          const ParameterRegistry& registry);

// Index rows for the foundation's indexed parameters.
struct TokenRow {
  int64_t param_hash;
  std::string system;  // "" = no system
  std::string code;
};
struct IndexRows {
  std::vector<TokenRow> tokens;
};
IndexRows ExtractIndex(std::string_view resource_type, const rapidjson::Value& resource,
                       const ParameterRegistry& registry);

// A WHERE clause over `resource r` with its bound parameters ($1…$n, numbered from
// `first_param`). Text contains only fixed SQL; all values are in `params`.
struct SqlFilter {
  std::string where;
  std::vector<std::string> params;
};
SqlFilter BuildFilter(const Criteria& criteria, int first_param = 1);

}  // namespace hestia::search
