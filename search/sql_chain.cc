// Chained parameters (subject:Patient.name=…, multi-level) and reverse chains (_has, nested):
// semi-joins through idx_reference between the resource rows of each level. Canonical
// references (url rows) are followed to the resources whose `url` parameter holds the URL.
// FHIR R4: http://hl7.org/fhir/R4/search.html#chaining, http://hl7.org/fhir/R4/search.html#has
// Thread-safety: stateless functions.
#include "hestia/search/index.h"
#include "sql_rewrite.h"

namespace hestia::search::internal {

// r.pk IN (SELECT i.res_pk FROM idx_reference i JOIN resource t ON (t.res_type, t.res_id) =
// (i.target_type, i.target_id) WHERE i.param_hash = … AND <criteria on t>): the planner finds
// the targets from their own selective index, then the referrers via idx_reference_target.
Result<std::string> ChainCondition(const Clause& clause, const Scope& scope, Rewriter& rw) {
  if (clause.param == nullptr)
    return InternalError("chain '" + clause.name + "' lacks its parameter");
  const std::vector<std::string> types = ClauseTypes(clause, scope, rw.registry());
  const std::string hash = HashTest(rw.registry(), types, clause.param->code);
  std::vector<std::string> selects;
  for (const Clause& inner : clause.chain) {
    std::string target_type =
        inner.resource_type.empty() ? clause.target_type : inner.resource_type;
    const std::string t = rw.ResourceAlias();
    Scope target{t, {}};
    if (!target_type.empty()) target.types.push_back(target_type);
    HESTIA_ASSIGN_OR_RETURN(std::string condition, ClauseCondition(inner, target, rw));
    std::string select = "SELECT i.res_pk FROM idx_reference i JOIN resource " + t + " ON " + t +
                         ".res_type = i.target_type AND " + t + ".res_id = i.target_id WHERE " +
                         "i.param_hash " + hash;
    if (!target_type.empty()) {
      const std::string bound = rw.Bind(target_type);
      select += " AND i.target_type = " + bound + " AND " + t + ".res_type = " + bound;
    }
    select += " AND NOT " + t + ".deleted AND " + condition;
    selects.push_back(std::move(select));
    // Canonical references ("url" rows) reach the resource whose url parameter holds them.
    const SearchParameterDef* url =
        target_type.empty() ? nullptr : rw.registry().Find(target_type, "url");
    if (url != nullptr && url->type == "uri") {
      const std::string c = rw.ResourceAlias();
      HESTIA_ASSIGN_OR_RETURN(std::string by_url,
                              ClauseCondition(inner, Scope{c, {target_type}}, rw));
      selects.push_back(
          "SELECT i.res_pk FROM idx_reference i JOIN idx_uri u ON u.uri = i.url AND " +
          std::string("u.param_hash = ") + std::to_string(ParamHash(target_type, "url")) +
          " JOIN resource " + c + " ON " + c + ".pk = u.res_pk WHERE i.param_hash " + hash +
          " AND i.url <> '' AND " + c + ".res_type = " + rw.Bind(target_type) + " AND NOT " + c +
          ".deleted AND " + by_url);
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

// (r.res_type, r.res_id) IN (SELECT i.target_type, i.target_id FROM idx_reference i JOIN
// resource o ON o.pk = i.res_pk WHERE i.param_hash = hash(Type, ref) AND <inner on o>); a
// reference parameter that shares rows tests its sources' keys.
Result<std::string> HasCondition(const Clause& clause, const Scope& scope, Rewriter& rw) {
  const HasClause* has = clause.has.get();
  if (has == nullptr || has->reference == nullptr || has->inner == nullptr) {
    return InternalError("_has clause '" + clause.name + "' is incomplete");
  }
  const std::string o = rw.ResourceAlias();
  HESTIA_ASSIGN_OR_RETURN(std::string inner,
                          ClauseCondition(*has->inner, Scope{o, {has->type}}, rw));
  std::string select = "SELECT i.target_type, i.target_id FROM idx_reference i JOIN resource " + o +
                       " ON " + o + ".pk = i.res_pk WHERE i.param_hash " +
                       HashTest(rw.registry(), {has->type}, has->reference->code);
  if (scope.types.size() == 1) select += " AND i.target_type = " + rw.Bind(scope.types[0]);
  select += " AND NOT " + o + ".deleted AND " + inner;
  return "(" + scope.alias + ".res_type, " + scope.alias + ".res_id) IN (" + select + ")";
}

}  // namespace hestia::search::internal
