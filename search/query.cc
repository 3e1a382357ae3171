// The search query parser: names, modifiers, chains, _has and result parameters into the
// expression tree of query.h. Value grammar per type lives in query_values.cc; the JSON view
// for _explain in query_json.cc.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#include "hestia/search/query.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "hestia/base/uri.h"
#include "query_values.h"

namespace hestia::search {
namespace {

using internal::SplitUnescaped;
using internal::Unescape;

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// Bounds on one parameter's tree (chains and _has nest; untyped chains fan out).
constexpr int kMaxDepth = 8;
constexpr int kMaxNodes = 256;

// Parameters FHIR defines that this server does not offer.
// FHIR R4: http://hl7.org/fhir/R4/search.html#query, #filter, #contained
bool IsUnsupportedSpecial(std::string_view code) {
  return code == "_query" || code == "_filter" || code == "_contained" || code == "_containedType";
}

bool IsResultParameter(std::string_view code) {
  return code == "_count" || code == "_total" || code == "_summary" || code == "_elements" ||
         code == "_sort" || code == "_include" || code == "_revinclude" || code == "_explain" ||
         code == "_type";
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// FHIR element names as _elements lists them ("identifier", "name", "value[x]" as "value").
bool IsElementName(std::string_view s) {
  return !s.empty() && std::isalpha(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
         });
}

class Parser {
 public:
  Parser(const ParameterRegistry& registry, const ParseOptions& options)
      : registry_(registry), options_(options) {
    context_.registry = &registry_;
    context_.options = &options_;
    context_.ignorable = &ignorable_;
  }

  Status Parse(const std::vector<std::string>& types, bool system_level,
               const std::vector<std::pair<std::string, std::string>>& query, bool conditional,
               Query* out);

 private:
  // Errors lenient handling may skip: unknown or unsupported names, modifiers, prefixes.
  Status Unknown(std::string message, std::string_view name) {
    ignorable_ = true;
    return InvalidError(std::move(message), std::string(name));
  }
  Status Unsupported(std::string message, std::string_view name) {
    ignorable_ = true;
    return {StatusCode::kNotSupported, std::move(message), std::string(name)};
  }

  bool IsKnownType(std::string_view type);
  Result<const SearchParameterDef*> Resolve(const std::vector<std::string>& types,
                                            std::string_view code, std::string_view name);
  Result<Modifier> ParseModifier(const SearchParameterDef& def, std::string_view resource_type,
                                 std::string_view modifier, std::string_view name,
                                 std::string* target_type);
  Result<Clause> ParseClause(const std::vector<std::string>& types, std::string_view name,
                             std::string_view value);
  Result<Clause> ParseHas(const std::vector<std::string>& types, std::string_view name,
                          std::string_view value);
  Result<Clause> ParseChain(const std::vector<std::string>& types, const SearchParameterDef& def,
                            std::string_view qualifier, std::string_view tail,
                            std::string_view name, std::string_view value);
  Status ParseResult(std::string_view code, std::string_view modifier, std::string_view raw_name,
                     std::string_view value, Query* out);
  Status ParseSort(std::string_view value, Query* out);
  Status ParseInclude(std::string_view modifier, std::string_view raw_name, std::string_view value,
                      bool reverse, Query* out);
  Status ParseTypes(std::string_view value, Query* out);

  const ParameterRegistry& registry_;
  const ParseOptions& options_;
  internal::ValueContext context_;
  bool ignorable_ = false;
  // Nesting of chains and _has, and clauses built, for the parameter being parsed: untyped
  // chains fan out per target type, so both are bounded.
  int depth_ = 0;
  int nodes_ = 0;
  std::set<std::string, std::less<>> known_types_;  // built on first use
  bool seen_count_ = false, seen_total_ = false, seen_summary_ = false, seen_explain_ = false,
       seen_sort_ = false;
};

// A resource type is known when some SearchParameter has it as base or target.
bool Parser::IsKnownType(std::string_view type) {
  if (known_types_.empty()) {
    for (const auto& p : registry_.all()) {
      for (const auto& b : p.base) {
        if (b != "Resource" && b != "DomainResource") known_types_.insert(b);
      }
      for (const auto& t : p.target) known_types_.insert(t);
    }
  }
  return known_types_.count(type) != 0;
}

// The definition of `code` for every type of `types` (empty: any type, so only parameters
// of Resource / DomainResource). Several types must share one definition.
Result<const SearchParameterDef*> Parser::Resolve(const std::vector<std::string>& types,
                                                  std::string_view code, std::string_view name) {
  if (types.empty()) {
    const SearchParameterDef* def = registry_.Find("Resource", code);
    if (def == nullptr) {
      return Unknown("search parameter " + Quote(code) +
                         " is not defined for every resource type (use _type to name the types)",
                     name);
    }
    return def;
  }
  const SearchParameterDef* found = nullptr;
  for (const auto& type : types) {
    const SearchParameterDef* def = registry_.Find(type, code);
    if (def == nullptr) {
      return Unknown("search parameter " + Quote(code) + " is not defined for " + type, name);
    }
    if (found != nullptr && def != found) {
      return Unsupported("search parameter " + Quote(code) + " has different definitions for " +
                             types.front() + " and " + type + "; search the types separately",
                         name);
    }
    found = def;
  }
  return found;
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#modifiers
Result<Modifier> Parser::ParseModifier(const SearchParameterDef& def,
                                       std::string_view resource_type, std::string_view modifier,
                                       std::string_view name, std::string* target_type) {
  if (modifier.empty()) return Modifier::kNone;
  if (modifier == "missing") return Modifier::kMissing;
  if (modifier == "iterate" || modifier == "recurse") {
    return InvalidError(
        "modifier ':" + std::string(modifier) + "' applies only to _include and _revinclude",
        std::string(name));
  }
  const std::string& type = def.type;
  if (type == "string") {
    if (modifier == "exact") return Modifier::kExact;
    if (modifier == "contains") return Modifier::kContains;
  } else if (type == "token") {
    if (modifier == "text") return Modifier::kText;
    if (modifier == "not") return Modifier::kNot;
    if (modifier == "of-type") {
      if (!internal::IsIdentifierToken(def, resource_type)) {
        return InvalidError(
            "modifier ':of-type' applies only to Identifier parameters, not " + Quote(def.code),
            std::string(name));
      }
      return Modifier::kOfType;
    }
    if (modifier == "in" || modifier == "not-in" || modifier == "below" || modifier == "above") {
      return Unsupported("modifier ':" + std::string(modifier) + "' on token parameter " +
                             Quote(def.code) + " is not supported until terminology is available",
                         name);
    }
  } else if (type == "uri") {
    if (modifier == "below") return Modifier::kBelow;
    if (modifier == "above") return Modifier::kAbove;
  } else if (type == "reference") {
    if (modifier == "identifier") return Modifier::kIdentifier;
    if (std::isupper(static_cast<unsigned char>(modifier[0])) != 0) {
      const bool allowed = def.target.empty() ? IsKnownType(modifier)
                                              : std::find(def.target.begin(), def.target.end(),
                                                          modifier) != def.target.end();
      if (!allowed) {
        return InvalidError(std::string(modifier) + " is not a target type of search parameter " +
                                Quote(def.code) + " (targets: " + Join(def.target) + ")",
                            std::string(name));
      }
      *target_type = std::string(modifier);
      return Modifier::kType;
    }
  }
  return Unknown("unknown modifier ':" + std::string(modifier) + "' on search parameter " +
                     Quote(def.code) + " of type " + type,
                 name);
}

// `name` is what is left of the parameter name: "code[:modifier]", "ref[:Type].rest" or
// "_has:…".
Result<Clause> Parser::ParseClause(const std::vector<std::string>& types, std::string_view name,
                                   std::string_view value) {
  if (depth_ > kMaxDepth || ++nodes_ > kMaxNodes) {
    return InvalidError("search parameter " + Quote(name) + " nests chains or _has deeper than " +
                            std::to_string(kMaxDepth) + " levels or expands to more than " +
                            std::to_string(kMaxNodes) + " clauses",
                        std::string(name));
  }
  if (name.rfind("_has:", 0) == 0) return ParseHas(types, name, value);
  std::string_view head = name;
  std::string_view tail;
  const bool chained = name.find('.') != std::string_view::npos;
  if (chained) {
    head = name.substr(0, name.find('.'));
    tail = name.substr(name.find('.') + 1);
  }
  std::string_view code = head;
  std::string_view modifier;
  if (auto colon = head.find(':'); colon != std::string_view::npos) {
    code = head.substr(0, colon);
    modifier = head.substr(colon + 1);
  }
  if (code.empty()) return InvalidError("empty search parameter name", std::string(name));
  if (IsUnsupportedSpecial(code)) {
    return Unsupported("search parameter " + Quote(code) + " is not supported", name);
  }
  if (IsResultParameter(code)) {
    return InvalidError("result parameter " + Quote(code) + " cannot be used here",
                        std::string(name));
  }
  if (code == "_has") {
    return InvalidError("_has is written _has:Type:reference:parameter", std::string(name));
  }

  Clause clause;
  clause.resource_type = types.size() == 1 ? types.front() : std::string();
  clause.name = std::string(name);
  auto no_modifier = [&]() -> Status {
    if (modifier.empty()) return Status::Ok();
    return Unknown("search parameter " + Quote(code) +
                       " takes no modifier (got ':" + std::string(modifier) + "')",
                   name);
  };
  auto not_chainable = [&]() -> Status {
    if (!chained) return Status::Ok();
    return Unknown("search parameter " + Quote(code) + " is not a reference and cannot be chained",
                   name);
  };
  const std::vector<std::string_view> alternatives = SplitUnescaped(value, ',');
  if (value.empty()) {
    return InvalidError("search parameter " + Quote(name) + " has no value", std::string(name));
  }

  // FHIR R4: http://hl7.org/fhir/R4/search.html#list
  if (code == "_list") {
    HESTIA_RETURN_IF_ERROR(no_modifier());
    HESTIA_RETURN_IF_ERROR(not_chainable());
    clause.kind = Clause::Kind::kList;
    for (std::string_view alt : alternatives) {
      SearchValue v;
      v.text = Unescape(alt);
      if (v.text.empty()) return InvalidError("_list has an empty value", std::string(name));
      if (v.text[0] == '$') {
        return Unsupported("functional list " + Quote(v.text) + " is not supported", name);
      }
      clause.values.push_back(std::move(v));
    }
    return clause;
  }

  HESTIA_ASSIGN_OR_RETURN(const SearchParameterDef* def, Resolve(types, code, name));
  clause.param = def;
  if (chained) {
    if (def->type != "reference") HESTIA_RETURN_IF_ERROR(not_chainable());
    return ParseChain(types, *def, modifier, tail, name, value);
  }

  if (code == "_id" || code == "_text" || code == "_content") {
    clause.kind = code == "_id"     ? Clause::Kind::kId
                  : code == "_text" ? Clause::Kind::kText
                                    : Clause::Kind::kContent;
    // _id is a token: :not and :missing apply (FHIR R4 search.html#token).
    if (code == "_id" && (modifier == "not" || modifier == "missing")) {
      clause.modifier = modifier == "not" ? Modifier::kNot : Modifier::kMissing;
    } else {
      HESTIA_RETURN_IF_ERROR(no_modifier());
    }
    for (std::string_view alt : alternatives) {
      if (clause.modifier == Modifier::kMissing) {
        HESTIA_ASSIGN_OR_RETURN(SearchValue v, internal::ParseMissingValue(alt, name));
        clause.values.push_back(std::move(v));
        continue;
      }
      SearchValue v;
      v.text = Unescape(alt);
      if (v.text.empty()) {
        return InvalidError("search parameter " + Quote(name) + " has an empty value",
                            std::string(name));
      }
      clause.values.push_back(std::move(v));
    }
    return clause;
  }
  if (code == "_lastUpdated") {
    clause.kind = Clause::Kind::kLastUpdated;
    if (modifier == "missing") {
      clause.modifier = Modifier::kMissing;
      for (std::string_view alt : alternatives) {
        HESTIA_ASSIGN_OR_RETURN(SearchValue v, internal::ParseMissingValue(alt, name));
        clause.values.push_back(std::move(v));
      }
      return clause;
    }
    HESTIA_RETURN_IF_ERROR(no_modifier());
    for (std::string_view alt : alternatives) {
      HESTIA_ASSIGN_OR_RETURN(SearchValue v, internal::ParseDateValue(alt, name, context_));
      clause.values.push_back(std::move(v));
    }
    return clause;
  }
  if (def->type == "special") {
    // FHIR R4: http://hl7.org/fhir/R4/location.html#positional
    if (def->code != "near" || def->xpath_usage != "nearby") {
      return Unsupported("special search parameter " + Quote(code) + " is not supported", name);
    }
    HESTIA_RETURN_IF_ERROR(no_modifier());
    clause.kind = Clause::Kind::kNear;
    for (std::string_view alt : alternatives) {
      HESTIA_ASSIGN_OR_RETURN(SearchValue v, internal::ParseNearValue(alt, name));
      clause.values.push_back(std::move(v));
    }
    return clause;
  }

  HESTIA_ASSIGN_OR_RETURN(clause.modifier, ParseModifier(*def, clause.resource_type, modifier, name,
                                                         &clause.target_type));
  for (std::string_view alt : alternatives) {
    HESTIA_ASSIGN_OR_RETURN(
        SearchValue v,
        internal::ParseValue(*def, clause.modifier, clause.target_type, alt, name, context_));
    clause.values.push_back(std::move(v));
  }
  return clause;
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#chaining
Result<Clause> Parser::ParseChain(const std::vector<std::string>& types,
                                  const SearchParameterDef& def, std::string_view qualifier,
                                  std::string_view tail, std::string_view name,
                                  std::string_view value) {
  Clause clause;
  clause.kind = Clause::Kind::kChain;
  clause.resource_type = types.size() == 1 ? types.front() : std::string();
  clause.name = std::string(name);
  clause.param = &def;
  if (tail.empty()) return InvalidError("chain " + Quote(name) + " ends in '.'", std::string(name));
  std::vector<std::string> candidates;
  if (!qualifier.empty()) {
    std::string target;
    HESTIA_ASSIGN_OR_RETURN(Modifier m,
                            ParseModifier(def, clause.resource_type, qualifier, name, &target));
    if (m != Modifier::kType) {
      return InvalidError(
          "a chained parameter takes only a type qualifier, not ':" + std::string(qualifier) + "'",
          std::string(name));
    }
    clause.target_type = target;
    candidates.push_back(target);
  } else {
    if (def.target.empty()) {
      return InvalidError("chain " + Quote(name) + " needs a type qualifier (" + def.code +
                              ":Type.…) because " + Quote(def.code) + " has no target types",
                          std::string(name));
    }
    // The next step's code decides which target types take part.
    std::string_view next = tail.substr(0, tail.find_first_of(".:"));
    for (const auto& target : def.target) {
      if (next == "_has" || registry_.Find(target, next) != nullptr) candidates.push_back(target);
    }
    if (candidates.empty()) {
      return Unknown("search parameter " + Quote(next) + " is not defined for any target type of " +
                         Quote(def.code) + " (" + Join(def.target) + ")",
                     name);
    }
  }
  for (const auto& target : candidates) {
    ++depth_;
    HESTIA_ASSIGN_OR_RETURN(Clause inner, ParseClause({target}, tail, value));
    --depth_;
    clause.chain.push_back(std::move(inner));
  }
  return clause;
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#has
Result<Clause> Parser::ParseHas(const std::vector<std::string>& types, std::string_view name,
                                std::string_view value) {
  std::string_view rest = name.substr(5);  // after "_has:"
  const auto c1 = rest.find(':');
  const auto c2 = c1 == std::string_view::npos ? c1 : rest.find(':', c1 + 1);
  if (c2 == std::string_view::npos || c1 == 0 || c2 == c1 + 1 || c2 + 1 == rest.size()) {
    return InvalidError("_has is written _has:Type:reference:parameter, got " + Quote(name),
                        std::string(name));
  }
  const std::string type(rest.substr(0, c1));
  const std::string_view ref = rest.substr(c1 + 1, c2 - c1 - 1);
  const std::string_view inner_name = rest.substr(c2 + 1);
  // Reference parameters are never Resource-level, so finding one also proves `type` exists.
  const SearchParameterDef* def = registry_.Find(type, ref);
  if (def == nullptr) {
    if (!IsKnownType(type)) return Unknown(Quote(type) + " in _has is not a resource type", name);
    return Unknown("search parameter " + Quote(ref) + " is not defined for " + type, name);
  }
  if (def->type != "reference") {
    return InvalidError("_has needs a reference parameter; " + type + "." + std::string(ref) +
                            " is of type " + def->type,
                        std::string(name));
  }
  if (!def->target.empty()) {
    for (const auto& t : types) {
      if (std::find(def->target.begin(), def->target.end(), t) == def->target.end()) {
        return InvalidError(type + "." + std::string(ref) + " does not reference " + t +
                                " (targets: " + Join(def->target) + ")",
                            std::string(name));
      }
    }
  }
  Clause clause;
  clause.kind = Clause::Kind::kHas;
  clause.resource_type = types.size() == 1 ? types.front() : std::string();
  clause.name = std::string(name);
  clause.has = std::make_unique<HasClause>();
  clause.has->type = type;
  clause.has->reference = def;
  ++depth_;
  HESTIA_ASSIGN_OR_RETURN(Clause inner, ParseClause({type}, inner_name, value));
  --depth_;
  clause.has->inner = std::make_unique<Clause>(std::move(inner));
  return clause;
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#sort
Status Parser::ParseSort(std::string_view value, Query* out) {
  if (seen_sort_) return InvalidError("_sort is given more than once", "_sort");
  seen_sort_ = true;
  std::vector<SortKey> keys;  // all or nothing: lenient handling drops the whole _sort
  for (std::string_view key : SplitUnescaped(value, ',')) {
    SortKey sort;
    if (!key.empty() && key[0] == '-') {
      sort.descending = true;
      key.remove_prefix(1);
    }
    if (key.empty()) return InvalidError("_sort has an empty key", "_sort");
    sort.code = std::string(key);
    HESTIA_ASSIGN_OR_RETURN(const SearchParameterDef* def, Resolve(out->types, key, "_sort"));
    // near sorts by distance (it needs a near clause to measure from).
    const bool near = def->type == "special" && def->code == "near";
    if (key == "_text" || key == "_content" || def->type == "composite" ||
        (def->type == "special" && !near)) {
      return Unsupported("sorting by " + Quote(key) + " is not supported", "_sort");
    }
    if (key != "_id" && key != "_lastUpdated") sort.param = def;
    keys.push_back(std::move(sort));
  }
  out->sort = std::move(keys);
  return Status::Ok();
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#include
Status Parser::ParseInclude(std::string_view modifier, std::string_view raw_name,
                            std::string_view value, bool reverse, Query* out) {
  Include include;
  include.reverse = reverse;
  if (modifier == "iterate" || modifier == "recurse") {
    include.iterate = true;
  } else if (!modifier.empty()) {
    return Unknown("unknown modifier ':" + std::string(modifier) + "' on " +
                       (reverse ? "_revinclude" : "_include") + " (use :iterate)",
                   raw_name);
  }
  if (value == "*") {
    include.source_type = "*";
    include.param_code = "*";
    out->includes.push_back(std::move(include));
    return Status::Ok();
  }
  const auto parts = SplitUnescaped(value, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return InvalidError(
        std::string(raw_name) + " is written Type:parameter[:TargetType], got " + Quote(value),
        std::string(raw_name));
  }
  include.source_type = std::string(parts[0]);
  include.param_code = std::string(parts[1]);
  // A reference parameter of the source proves the type exists (none is Resource-level).
  const SearchParameterDef* def =
      include.param_code == "*" ? nullptr : registry_.Find(include.source_type, include.param_code);
  if (def == nullptr && !IsKnownType(include.source_type)) {
    return Unknown(
        Quote(include.source_type) + " in " + std::string(raw_name) + " is not a resource type",
        raw_name);
  }
  auto searched = [&](std::string_view t) {
    return std::find(out->types.begin(), out->types.end(), t) != out->types.end();
  };
  if (!reverse && !include.iterate && !out->types.empty() && !searched(include.source_type)) {
    return InvalidError("_include=" + std::string(value) + " starts at " + include.source_type +
                            ", which this search does not return (use _include:iterate)",
                        std::string(raw_name));
  }
  if (include.param_code != "*") {
    if (def == nullptr) {
      return Unknown("search parameter " + Quote(include.param_code) + " is not defined for " +
                         include.source_type,
                     raw_name);
    }
    if (def->type != "reference") {
      return InvalidError(
          include.source_type + ":" + include.param_code + " is not a reference parameter",
          std::string(raw_name));
    }
    include.param = def;
    if (reverse && !include.iterate && !def->target.empty() && !out->types.empty() &&
        std::none_of(out->types.begin(), out->types.end(), [&](const std::string& t) {
          return std::find(def->target.begin(), def->target.end(), t) != def->target.end();
        })) {
      return InvalidError(
          include.source_type + ":" + include.param_code + " does not reference the searched type",
          std::string(raw_name));
    }
    if (parts.size() == 3) {
      include.target_type = std::string(parts[2]);
      const bool allowed = def->target.empty()
                               ? IsKnownType(include.target_type)
                               : std::find(def->target.begin(), def->target.end(),
                                           include.target_type) != def->target.end();
      if (!allowed) {
        return InvalidError(include.target_type + " is not a target type of " +
                                include.source_type + ":" + include.param_code,
                            std::string(raw_name));
      }
    }
  } else if (parts.size() == 3) {
    return InvalidError(std::string(raw_name) + " with '*' takes no target type",
                        std::string(raw_name));
  }
  out->includes.push_back(std::move(include));
  return Status::Ok();
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#_type
Status Parser::ParseTypes(std::string_view value, Query* out) {
  std::vector<std::string> types;
  for (std::string_view t : SplitUnescaped(value, ',')) {
    if (!IsKnownType(t)) return Unknown(Quote(t) + " in _type is not a resource type", "_type");
    if (std::find(types.begin(), types.end(), t) == types.end()) types.emplace_back(t);
  }
  out->types = std::move(types);
  return Status::Ok();
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#count, #total, #summary, #elements
Status Parser::ParseResult(std::string_view code, std::string_view modifier,
                           std::string_view raw_name, std::string_view value, Query* out) {
  if (code == "_include" || code == "_revinclude") {
    return ParseInclude(modifier, raw_name, value, code == "_revinclude", out);
  }
  if (!modifier.empty()) {
    return Unknown(std::string(code) + " takes no modifier (got ':" + std::string(modifier) + "')",
                   raw_name);
  }
  const std::string name(code);
  auto once = [&](bool* seen) -> Status {
    if (*seen) return InvalidError(name + " is given more than once", name);
    *seen = true;
    return Status::Ok();
  };
  if (code == "_count") {
    HESTIA_RETURN_IF_ERROR(once(&seen_count_));
    int n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 0) {
      return InvalidError("_count must be a non-negative integer, got " + Quote(value), name);
    }
    out->count = n;
  } else if (code == "_total") {
    HESTIA_RETURN_IF_ERROR(once(&seen_total_));
    if (value == "none") {
      out->total = Total::kNone;
    } else if (value == "estimate") {
      out->total = Total::kEstimate;
    } else if (value == "accurate") {
      out->total = Total::kAccurate;
    } else {
      return InvalidError("_total must be none, estimate or accurate, got " + Quote(value), name);
    }
  } else if (code == "_summary") {
    HESTIA_RETURN_IF_ERROR(once(&seen_summary_));
    static constexpr std::pair<std::string_view, Summary> kSummaries[] = {
        {"true", Summary::kTrue},
        {"text", Summary::kText},
        {"data", Summary::kData},
        {"count", Summary::kCount},
        {"false", Summary::kFalse}};
    auto it = std::find_if(std::begin(kSummaries), std::end(kSummaries),
                           [&](const auto& s) { return s.first == value; });
    if (it == std::end(kSummaries)) {
      return InvalidError("_summary must be true, text, data, count or false, got " + Quote(value),
                          name);
    }
    out->summary = it->second;
  } else if (code == "_explain") {
    HESTIA_RETURN_IF_ERROR(once(&seen_explain_));
    if (value != "true" && value != "false") {
      return InvalidError("_explain must be true or false, got " + Quote(value), name);
    }
    out->explain = value == "true";
  } else if (code == "_elements") {
    for (std::string_view e : SplitUnescaped(value, ',')) {
      if (!IsElementName(e))
        return InvalidError("_elements lists element names, got " + Quote(e), name);
      out->elements.emplace_back(e);
    }
  } else if (code == "_sort") {
    return ParseSort(value, out);
  }
  // _type was read before the clauses (ParseSearch).
  return Status::Ok();
}

Status Parser::Parse(const std::vector<std::string>& types, bool system_level,
                     const std::vector<std::pair<std::string, std::string>>& query,
                     bool conditional, Query* out) {
  out->types = types;
  out->system_level = system_level;
  const bool lenient = options_.lenient && !conditional;
  auto fail = [&](const Status& status, const std::string& raw_name) -> Status {
    if (lenient && ignorable_) {
      out->ignored.push_back(raw_name);
      return Status::Ok();
    }
    return {status.code(), status.message(), raw_name};
  };
  auto split_name = [](std::string_view raw) {
    const auto colon = raw.find(':');
    return colon == std::string_view::npos
               ? std::make_pair(raw, std::string_view())
               : std::make_pair(raw.substr(0, colon), raw.substr(colon + 1));
  };
  // _type first: it decides which types the other parameters resolve against.
  bool seen_type = false;
  for (const auto& [raw_name, value] : query) {
    auto [code, modifier] = split_name(raw_name);
    if (code != "_type") continue;
    ignorable_ = false;
    depth_ = 0;
    nodes_ = 0;
    Status status;
    if (conditional) {
      status = InvalidError("_type is not allowed in a conditional URL", raw_name);
    } else if (!system_level) {
      status = Unknown("_type applies only to system-level search", raw_name);
    } else if (!modifier.empty()) {
      status = Unknown("_type takes no modifier", raw_name);
    } else if (seen_type) {
      status = InvalidError("_type is given more than once", raw_name);
    } else {
      seen_type = true;
      status = ParseTypes(value, out);
    }
    if (!status.ok()) HESTIA_RETURN_IF_ERROR(fail(status, raw_name));
  }
  for (const auto& [raw_name, value] : query) {
    auto [code, modifier] = split_name(raw_name);
    if (code == "_type") continue;
    if (std::find(options_.passthrough.begin(), options_.passthrough.end(), code) !=
        options_.passthrough.end()) {
      continue;
    }
    ignorable_ = false;
    depth_ = 0;
    nodes_ = 0;
    Status status;
    if (IsResultParameter(code)) {
      if (conditional) {
        return InvalidError(
            "result parameter " + Quote(code) + " is not allowed in a conditional URL", raw_name);
      }
      status = ParseResult(code, modifier, raw_name, value, out);
    } else {
      auto clause = ParseClause(out->types, raw_name, value);
      if (clause.ok()) {
        out->clauses.push_back(std::move(clause).value());
      } else {
        status = clause.status();
      }
    }
    if (!status.ok()) HESTIA_RETURN_IF_ERROR(fail(status, raw_name));
  }
  return Status::Ok();
}

}  // namespace

Clause Clause::Clone() const {
  Clause c;
  c.kind = kind;
  c.resource_type = resource_type;
  c.name = name;
  c.param = param;
  c.modifier = modifier;
  c.target_type = target_type;
  c.values = values;
  c.chain.reserve(chain.size());
  for (const auto& link : chain) c.chain.push_back(link.Clone());
  if (has != nullptr) {
    c.has = std::make_unique<HasClause>();
    c.has->type = has->type;
    c.has->reference = has->reference;
    if (has->inner != nullptr) c.has->inner = std::make_unique<Clause>(has->inner->Clone());
  }
  return c;
}

Result<Query> ParseSearch(const std::vector<std::string>& types, bool system_level,
                          const std::vector<std::pair<std::string, std::string>>& query,
                          const ParameterRegistry& registry, const ParseOptions& options) {
  Query out;
  Parser parser(registry, options);
  HESTIA_RETURN_IF_ERROR(parser.Parse(types, system_level, query, /*conditional=*/false, &out));
  for (const SortKey& key : out.sort) {
    if (key.code != "near") continue;
    const bool has_near = std::any_of(out.clauses.begin(), out.clauses.end(), [](const Clause& c) {
      return c.kind == Clause::Kind::kNear;
    });
    if (!has_near) {
      return InvalidError("_sort=near sorts by distance and needs a near parameter to measure from",
                          "_sort");
    }
  }
  return out;
}

// FHIR R4: http://hl7.org/fhir/R4/http.html#ccreate, #cond-update, #cdelete
Result<Query> ParseConditional(std::string_view type, std::string_view query_string,
                               const ParameterRegistry& registry, const ParseOptions& options) {
  if (!query_string.empty() && query_string.front() == '?') query_string.remove_prefix(1);
  HESTIA_ASSIGN_OR_RETURN(auto pairs, ParseQuery(query_string));
  ParseOptions strict = options;
  strict.lenient = false;
  Query out;
  Parser parser(registry, strict);
  HESTIA_RETURN_IF_ERROR(
      parser.Parse({std::string(type)}, /*system_level=*/false, pairs, /*conditional=*/true, &out));
  if (out.clauses.empty()) {
    return InvalidError("a conditional interaction needs at least one search parameter");
  }
  return out;
}

}  // namespace hestia::search
