// Composite search: every component value must match rows of the same composite item — one
// sub-select joining the component rows (key code + "#" + k, index.h) on res_pk and grp, per
// composite whose rows answer the parameter (its own, or those it shares).
// FHIR R4: http://hl7.org/fhir/R4/search.html#composite
// Thread-safety: stateless functions.
#include <map>

#include "sql_rewrite.h"

namespace hestia::search::internal {
namespace {

// The predicate of one component value over alias `c`.
Result<std::string> ComponentPredicate(const SearchParameterDef& component, const Clause& clause,
                                       const SearchValue& value, const std::string& c,
                                       Rewriter& rw) {
  const std::string& type = component.type;
  if (type == "token") return TokenPredicate(value.token, c, rw);
  if (type == "string") return StringPredicate(component, Modifier::kNone, value.text, c, rw);
  if (type == "date") return DatePredicate(value, c, rw);
  if (type == "number") return NumberPredicate(value.prefix, value.number, c, rw);
  if (type == "quantity") return QuantityPredicate(value, c, rw);
  if (type == "uri") return UriPredicate(Modifier::kNone, value.text, c, rw);
  if (type == "reference") return ReferencePredicate(clause, value, c, rw);
  return NotSupportedError("composite '" + clause.name + "' has a component of type " + type +
                           ", which is not supported");
}

}  // namespace

Result<std::string> CompositeCondition(const Clause& clause, const Scope& scope, Rewriter& rw) {
  const SearchParameterDef& def = *clause.param;
  const std::vector<std::string> types = ClauseTypes(clause, scope, rw.registry());
  std::vector<const SearchParameterDef*> components;
  for (const ComponentDef& component : def.components) {
    const SearchParameterDef* p = rw.registry().FindByUrl(component.definition);
    if (p == nullptr || TableFor(p->type).empty()) {
      return NotSupportedError("composite '" + clause.name + "' has the unknown component " +
                               component.definition);
    }
    components.push_back(p);
  }
  if (components.empty()) {
    return NotSupportedError("composite '" + clause.name + "' has no components");
  }
  if (clause.modifier == Modifier::kMissing) {
    // Present when the first component has rows.
    const std::string exists = "EXISTS (SELECT 1 FROM " +
                               std::string(TableFor(components[0]->type)) +
                               " c0 WHERE c0.res_pk = " + scope.alias + ".pk AND c0.param_hash " +
                               HashTest(rw.registry(), types, def.code + "#0") + ")";
    const bool missing = !clause.values.empty() && clause.values[0].missing;
    return missing ? "NOT " + exists : exists;
  }
  if (clause.modifier != Modifier::kNone) {
    return NotSupportedError("modifiers are not supported on composite '" + clause.name + "'");
  }
  // The composites whose rows answer `def`, with the types they do it for: `def` itself, or
  // the ones it shares rows with (ParameterRegistry::RowSources). The component rows of one
  // item are joined within one composite only: grp numbers items per parameter.
  std::map<std::string, std::vector<std::string>> row_codes;
  for (const std::string& t : types) {
    const std::vector<std::string>& sources = rw.registry().RowSources(t, def.code);
    if (sources.empty()) row_codes[def.code].push_back(t);
    for (const std::string& source : sources) row_codes[source].push_back(t);
  }
  std::vector<std::string> selects;
  for (const SearchValue& v : clause.values) {
    if (v.components.size() != components.size()) {
      return InvalidError("a value of '" + clause.name + "' needs " +
                              std::to_string(components.size()) + " components",
                          clause.name);
    }
    for (const auto& [code, code_types] : row_codes) {
      std::string from;
      std::string where;
      for (std::size_t k = 0; k < components.size(); ++k) {
        const std::string c = "c" + std::to_string(k);
        HESTIA_ASSIGN_OR_RETURN(std::string p,
                                ComponentPredicate(*components[k], clause, v.components[k], c, rw));
        const std::string hash =
            c + ".param_hash " +
            HashTest(rw.registry(), code_types, code + "#" + std::to_string(k));
        const std::string table(TableFor(components[k]->type));
        if (k == 0) {
          from = table + " c0";
          where = hash + " AND " + p;
        } else {
          from += " JOIN " + table + " " + c + " ON " + c + ".res_pk = c0.res_pk AND " + c +
                  ".grp = c0.grp AND " + hash;
          where += " AND " + p;
        }
      }
      selects.push_back("SELECT c0.res_pk FROM " + from + " WHERE " + where);
    }
  }
  if (selects.empty()) return std::string("FALSE");
  std::string unions;
  for (std::size_t k = 0; k < selects.size(); ++k) {
    if (k > 0) unions += " UNION ";
    unions += selects[k];
  }
  return scope.alias + ".pk IN (" + unions + ")";
}

}  // namespace hestia::search::internal
