// The filter of a search: the WHERE condition over one resource row, combining the clauses
// (AND), their values (OR), the searched types and the compartment. Dispatches each clause to
// the rewriter of its concern (sql_rewrite.h).
// FHIR R4: http://hl7.org/fhir/R4/search.html#combining
// Thread-safety: stateless functions.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "hestia/search/index.h"
#include "sql_rewrite.h"

namespace hestia::search::internal {
namespace {

// One group of value predicates sharing a table, key suffix and polarity.
struct Group {
  std::string table;
  std::string suffix;
  bool negate = false;
  std::vector<std::string> predicates;
};

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += sep;
    out += parts[k];
  }
  return out;
}

std::string TypeTest(std::string_view column, const std::vector<std::string>& types, Rewriter& rw) {
  if (types.size() == 1) return std::string(column) + " = " + rw.Bind(types[0]);
  std::vector<std::string> binds;
  binds.reserve(types.size());
  for (const std::string& t : types) binds.push_back(rw.Bind(t));
  return std::string(column) + " IN (" + Join(binds, ", ") + ")";
}

}  // namespace

std::string_view TableFor(std::string_view type) {
  if (type == "token") return "idx_token";
  if (type == "string") return "idx_string";
  if (type == "date") return "idx_date";
  if (type == "number") return "idx_number";
  if (type == "quantity") return "idx_quantity";
  if (type == "uri") return "idx_uri";
  if (type == "reference") return "idx_reference";
  return "";
}

std::set<int64_t> KeyHashes(const ParameterRegistry& registry,
                            const std::vector<std::string>& types, std::string_view key) {
  std::set<int64_t> hashes;
  for (const std::string& t : types) {
    for (int64_t h : IndexKeys(registry, t, key)) hashes.insert(h);
  }
  return hashes;
}

std::string HashTest(const ParameterRegistry& registry, const std::vector<std::string>& types,
                     std::string_view key) {
  return HashTest(KeyHashes(registry, types, key));
}

std::string HashTest(const std::set<int64_t>& hashes) {
  if (hashes.empty()) return "IS NULL";  // no type has the parameter: matches no row
  if (hashes.size() == 1) return "= " + std::to_string(*hashes.begin());
  std::string out = "IN (";
  bool first = true;
  for (int64_t h : hashes) {
    if (!first) out += ", ";
    first = false;
    out += std::to_string(h);
  }
  return out + ")";
}

std::vector<std::string> ClauseTypes(const Clause& clause, const Scope& scope,
                                     const ParameterRegistry& registry) {
  if (!clause.resource_type.empty()) return {clause.resource_type};
  const std::string code = clause.param != nullptr ? clause.param->code : clause.name;
  std::vector<std::string> out;
  if (!scope.types.empty()) {
    for (const std::string& t : scope.types) {
      if (registry.Find(t, code) != nullptr) out.push_back(t);
    }
    return out;
  }
  // Every type: the types the registry knows parameters for.
  std::set<std::string> seen;
  for (const SearchParameterDef& p : registry.all()) {
    for (const std::string& base : p.base) {
      if (base == "Resource" || base == "DomainResource") continue;
      if (seen.insert(base).second && registry.Find(base, code) != nullptr) out.push_back(base);
    }
  }
  return out;
}

std::string LikeEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

Result<std::string> ParameterCondition(const Clause& clause, const Scope& scope, Rewriter& rw) {
  const SearchParameterDef& param = *clause.param;
  if (param.type == "composite") return CompositeCondition(clause, scope, rw);
  const std::string_view table = TableFor(param.type);
  if (table.empty()) {
    return NotSupportedError("search parameter '" + clause.name + "' of type " + param.type +
                             " is not supported");
  }
  std::vector<Group> groups;
  auto add = [&groups](std::string_view t, std::string_view suffix, bool negate,
                       std::string predicate) {
    for (Group& g : groups) {
      if (g.table == t && g.suffix == suffix && g.negate == negate) {
        g.predicates.push_back(std::move(predicate));
        return;
      }
    }
    groups.push_back(Group{std::string(t), std::string(suffix), negate, {std::move(predicate)}});
  };
  const std::string i = "i";
  for (const SearchValue& v : clause.values) {
    if (clause.modifier == Modifier::kMissing) {
      add(table, "", v.missing, "TRUE");
      continue;
    }
    if (param.type == "token") {
      if (clause.modifier == Modifier::kText) {
        const std::string& text = v.text.empty() ? v.token.code : v.text;
        HESTIA_ASSIGN_OR_RETURN(std::string p,
                                StringPredicate(param, Modifier::kText, text, i, rw));
        add("idx_string", ":text", false, std::move(p));
      } else if (clause.modifier == Modifier::kOfType) {
        HESTIA_ASSIGN_OR_RETURN(std::string p, OfTypePredicate(v, i, rw));
        add(table, ":of-type", false, std::move(p));
      } else if (clause.modifier == Modifier::kNone || clause.modifier == Modifier::kNot) {
        HESTIA_ASSIGN_OR_RETURN(std::string p, TokenPredicate(v.token, i, rw));
        add(table, "", clause.modifier == Modifier::kNot, std::move(p));
      } else {
        return NotSupportedError("modifier of '" + clause.name + "' is not supported on tokens");
      }
    } else if (param.type == "string") {
      HESTIA_ASSIGN_OR_RETURN(std::string p,
                              StringPredicate(param, clause.modifier, v.text, i, rw));
      add(table, "", false, std::move(p));
    } else if (param.type == "date") {
      HESTIA_ASSIGN_OR_RETURN(std::string p, DatePredicate(v, i, rw));
      add(table, "", false, std::move(p));
    } else if (param.type == "number") {
      HESTIA_ASSIGN_OR_RETURN(std::string p, NumberPredicate(v.prefix, v.number, i, rw));
      add(table, "", false, std::move(p));
    } else if (param.type == "quantity") {
      HESTIA_ASSIGN_OR_RETURN(std::string p, QuantityPredicate(v, i, rw));
      add(table, "", false, std::move(p));
    } else if (param.type == "uri") {
      HESTIA_ASSIGN_OR_RETURN(std::string p, UriPredicate(clause.modifier, v.text, i, rw));
      add(table, "", false, std::move(p));
    } else if (param.type == "reference") {
      if (clause.modifier == Modifier::kIdentifier) {
        HESTIA_ASSIGN_OR_RETURN(std::string p, TokenPredicate(v.token, i, rw));
        add("idx_token", ":identifier", false, std::move(p));
      } else {
        HESTIA_ASSIGN_OR_RETURN(std::string p, ReferencePredicate(clause, v, i, rw));
        add(table, "", false, std::move(p));
      }
    }
  }
  const std::vector<std::string> types = ClauseTypes(clause, scope, rw.registry());
  std::vector<std::string> alternatives;
  for (const Group& g : groups) {
    const std::string hash = HashTest(rw.registry(), types, param.code + g.suffix);
    std::string preds =
        g.predicates.size() == 1 ? g.predicates[0] : "(" + Join(g.predicates, " OR ") + ")";
    const bool trivial = preds == "TRUE";
    if (g.negate) {
      alternatives.push_back("NOT EXISTS (SELECT 1 FROM " + g.table +
                             " i WHERE i.res_pk = " + scope.alias + ".pk AND i.param_hash " + hash +
                             (trivial ? "" : " AND " + preds) + ")");
    } else {
      alternatives.push_back(scope.alias + ".pk IN (SELECT i.res_pk FROM " + g.table +
                             " i WHERE i.param_hash " + hash + (trivial ? "" : " AND " + preds) +
                             ")");
    }
  }
  if (alternatives.empty()) return std::string("FALSE");
  if (alternatives.size() == 1) return alternatives[0];
  return "(" + Join(alternatives, " OR ") + ")";
}

Result<std::string> ClauseCondition(const Clause& clause, const Scope& scope, Rewriter& rw) {
  switch (clause.kind) {
    case Clause::Kind::kParameter:
      if (clause.param == nullptr)
        return InternalError("clause '" + clause.name + "' lacks its parameter");
      return ParameterCondition(clause, scope, rw);
    case Clause::Kind::kChain:
      return ChainCondition(clause, scope, rw);
    case Clause::Kind::kHas:
      return HasCondition(clause, scope, rw);
    case Clause::Kind::kId:
    case Clause::Kind::kLastUpdated:
    case Clause::Kind::kText:
    case Clause::Kind::kContent:
    case Clause::Kind::kList:
    case Clause::Kind::kNear:
      return SpecialCondition(clause, scope, rw);
  }
  return InternalError("unknown clause kind");
}

Result<std::string> QueryFilter(const Query& query, std::string_view r, Rewriter& rw) {
  std::vector<std::string> conditions;
  conditions.push_back("NOT " + std::string(r) + ".deleted");
  std::vector<std::string> types = query.types;
  if (!query.compartment_type.empty()) {
    // FHIR R4: http://hl7.org/fhir/R4/compartmentdefinition.html — a resource is in the
    // compartment when one of its compartment parameters references the owner.
    std::vector<std::string> member_types;
    std::set<int64_t> hashes;
    auto add_type = [&](const std::string& type) {
      bool member = false;
      for (const SearchParameterDef* def : query.compartment_params) {
        if (std::find(def->base.begin(), def->base.end(), type) == def->base.end()) continue;
        for (int64_t h : IndexKeys(rw.registry(), type, def->code)) hashes.insert(h);
        member = true;
      }
      if (member) member_types.push_back(type);
    };
    if (!types.empty()) {
      for (const std::string& t : types) add_type(t);
    } else {
      std::set<std::string> candidates;
      for (const SearchParameterDef* def : query.compartment_params) {
        candidates.insert(def->base.begin(), def->base.end());
      }
      for (const std::string& t : candidates) add_type(t);
    }
    if (hashes.empty()) return std::string("FALSE");
    std::string list;
    for (int64_t h : hashes) list += (list.empty() ? "" : ", ") + std::to_string(h);
    conditions.push_back(
        std::string(r) + ".pk IN (SELECT i.res_pk FROM idx_reference i WHERE i.target_id = " +
        rw.Bind(query.compartment_id) + " AND i.target_type = " + rw.Bind(query.compartment_type) +
        " AND i.param_hash IN (" + list + "))");
    if (types.empty()) types = member_types;
  }
  if (!types.empty()) conditions.push_back(TypeTest(std::string(r) + ".res_type", types, rw));
  const Scope scope{std::string(r), types};
  for (const Clause& clause : query.clauses) {
    HESTIA_ASSIGN_OR_RETURN(std::string c, ClauseCondition(clause, scope, rw));
    conditions.push_back(std::move(c));
  }
  return Join(conditions, "\n  AND ");
}

}  // namespace hestia::search::internal
