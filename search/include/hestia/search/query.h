// A search request parsed into an expression tree (FHIR R4 search.html).
//
// Owns: the tree types and the parser from decoded (name, value) pairs. The parser checks
// every name, modifier, prefix and value against the ParameterRegistry and fails with a
// Status naming the offending parameter (kInvalid for malformed values and unknown
// parameters; kNotSupported for things FHIR defines that this server does not do, such as
// :in / :not-in / :below / :above on tokens). Under lenient handling, unknown or unsupported
// parameters, modifiers and prefixes are skipped (the whole parameter) and listed in
// Query::ignored instead; malformed values of known parameters still fail, and so does a
// parameter with an empty value ("given=").
// The SQL rewriter (sql.h) turns a Query into statements; nothing here touches SQL.
// Thread-safety: stateless functions; a Query is a plain value.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hestia/base/status.h"
#include "hestia/base/time.h"
#include "hestia/search/parameter_registry.h"

namespace hestia::search {

enum class Prefix { kEq, kNe, kGt, kLt, kGe, kLe, kSa, kEb, kAp };

enum class Modifier {
  kNone,
  kMissing,     // value is "true" / "false" (SearchValue::missing)
  kExact,       // string
  kContains,    // string
  kText,        // token: matches the :text rows (normalized prefix match); SearchValue::text
  kNot,         // token: no row equals the value (resources without the element match)
  kOfType,      // token on Identifier: "type-system|type-code|value" → SearchValue::token
                // {has_system, system: type system, code: type code}, SearchValue::text: value
  kBelow,       // uri (prefix); token → kNotSupported
  kAbove,       // uri (the value starts with the stored uri); token → kNotSupported
  kIdentifier,  // reference: the Reference.identifier token
  kType,        // reference: ":[type]", the type in Clause::target_type
};

struct TokenValue {
  bool has_system = false;  // "system|code" or "|code" ("|code" → has_system, system "")
  std::string system;
  std::string code;  // "" for "system|"
};

struct QuantityValue {
  std::string number;  // the decimal as written, without prefix
  bool has_system = false;
  std::string system;
  std::string code;  // code or unit; "" = any unit
};

struct ReferenceValue {
  std::string type;  // "" when the value is a bare id (then Clause targets decide)
  std::string id;    // local id
  std::string url;   // absolute URL not on our base, or canonical (without |version)
};

// Location near: latitude|longitude|distance|unit (distance in km after conversion from the
// UCUM length unit, km when omitted). A given distance is > 0; distance_km == 0 means the
// client gave no distance, which the spec leaves to the server: no distance limit (every
// located resource matches; sort by distance to get the nearest first).
struct NearValue {
  double latitude = 0;
  double longitude = 0;
  double distance_km = 0;
};

// One comma-separated alternative of a parameter value, parsed per parameter type.
struct SearchValue {
  Prefix prefix = Prefix::kEq;          // number, date, quantity
  std::string text;                     // unescaped: string, uri, _text, _content, _id, _list,
                                        // token :text; the identifier value of :of-type
  bool missing = false;                 // Modifier::kMissing: true = must be absent
  TokenValue token;                     // token, and reference :identifier
  TimeRange date;                       // date: the range the value's precision implies
  std::string number;                   // number: exact decimal text
  QuantityValue quantity;               // quantity
  ReferenceValue reference;             // reference (not :identifier, which fills `token`)
  NearValue near;                       // special near
  std::vector<SearchValue> components;  // composite: one per component, '$'-separated
};

struct Clause;

// _has:Type:ref:inner=… — resources referenced by some `type` resource through `reference`
// whose other criteria (`inner`, possibly another _has) match.
struct HasClause {
  std::string type;
  const SearchParameterDef* reference = nullptr;
  std::unique_ptr<Clause> inner;
};

// One parameter occurrence: the OR of its values. Clauses of a Query AND together.
struct Clause {
  enum class Kind {
    kParameter,  // an ordinary parameter of `param->type`
    kId,         // _id (token over resource ids)
    kLastUpdated,
    kText,     // _text (full text over the narrative)
    kContent,  // _content (full text over all strings)
    kList,     // _list=id: members of List/id
    kNear,     // Location near
    kChain,    // reference param chained: param.chain.(…)
    kHas,      // reverse chain
  };
  Kind kind = Kind::kParameter;
  // The type this clause filters; "" in a system-level search over several or all types
  // (the parameter then has one definition shared by all of them).
  std::string resource_type;
  std::string name;  // as written, for messages ("subject:Patient.name")
  // kParameter, kChain (the reference), kNear; also the registry's definition for kId,
  // kLastUpdated, kText and kContent. nullptr for kList and kHas.
  const SearchParameterDef* param = nullptr;
  Modifier modifier = Modifier::kNone;
  std::string target_type;          // kType / kChain: the type qualifier ("" = any target)
  std::vector<SearchValue> values;  // OR; empty for kChain and kHas
  // kChain: the criteria on the referenced resources, per candidate target type (several
  // when the reference has more than one target type and none was named).
  std::vector<Clause> chain;
  std::unique_ptr<HasClause> has;

  Clause() = default;
  Clause(Clause&&) = default;
  Clause& operator=(Clause&&) = default;
  Clause Clone() const;
};

struct Include {
  std::string source_type;                    // "Observation" or "*"
  std::string param_code;                     // "subject" or "*"
  std::string target_type;                    // optional type filter
  const SearchParameterDef* param = nullptr;  // the reference parameter; nullptr for "*"
  bool iterate = false;                       // :iterate (also :recurse)
  bool reverse = false;                       // _revinclude
};

struct SortKey {
  const SearchParameterDef* param = nullptr;  // nullptr for _id / _lastUpdated
  std::string code;                           // "date", "_id", "_lastUpdated"
  bool descending = false;
};

enum class Total { kDefault, kNone, kEstimate, kAccurate };
enum class Summary { kFalse, kTrue, kText, kData, kCount };

struct Query {
  // Types searched: one for type and compartment search; system search lists the _type
  // values, or is empty for every type.
  std::vector<std::string> types;
  bool system_level = false;
  // Compartment search ([base]/Patient/123/Observation): the compartment's owner.
  std::string compartment_type;
  std::string compartment_id;
  // Filled by the caller for compartment search: a resource is in the compartment when any
  // of these reference parameters points to compartment_type/compartment_id. With several
  // types (Patient/1/*), each parameter is paired with the types in Query::types that it
  // applies to (a resource type R uses the entries whose def->base contains R).
  std::vector<const SearchParameterDef*> compartment_params;
  std::vector<Clause> clauses;  // AND
  std::vector<Include> includes;
  std::vector<SortKey> sort;
  std::optional<int> count;
  Total total = Total::kDefault;
  Summary summary = Summary::kFalse;
  std::vector<std::string> elements;  // _elements
  bool explain = false;               // _explain=true
  std::vector<std::string> ignored;   // lenient: skipped parameters, as written
};

struct ParseOptions {
  bool lenient = false;
  // The server's own base URL: absolute references starting with it become local ones.
  std::string base_url;
  // Parameters the caller handles and the parser must skip (_format, _pretty, _cursor…).
  std::vector<std::string> passthrough = {"_format", "_pretty", "_cursor"};
};

// Parses `query` for a search over `types` (one type; or system search when
// `system_level`, where `_type` narrows the types). kInvalid / kNotSupported as above.
Result<Query> ParseSearch(const std::vector<std::string>& types, bool system_level,
                          const std::vector<std::pair<std::string, std::string>>& query,
                          const ParameterRegistry& registry, const ParseOptions& options);

// The query string of a conditional URL ("identifier=a|b&_id=x"; '?' optional), strict, for
// `type`. kInvalid when it has no filtering parameter.
Result<Query> ParseConditional(std::string_view type, std::string_view query_string,
                               const ParameterRegistry& registry, const ParseOptions& options);

// The expression tree as JSON text, for _explain.
std::string QueryToJson(const Query& query);

}  // namespace hestia::search
