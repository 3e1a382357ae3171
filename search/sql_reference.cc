// Reference search over idx_reference: Type/id, a bare id (any target type, or the :[type]
// the parser folded into the value), and absolute or canonical URLs. :identifier (the
// ":identifier" token rows) and :missing are handled by sql_filter.cc.
// FHIR R4: http://hl7.org/fhir/R4/search.html#reference
// Thread-safety: stateless functions.
#include "sql_rewrite.h"

namespace hestia::search::internal {

// Local targets match idx_reference_target (target_id, target_type, param_hash); URLs match
// idx_reference_url (param_hash, url).
Result<std::string> ReferencePredicate(const Clause& clause, const SearchValue& value,
                                       std::string_view i, Rewriter& rw) {
  const std::string a(i);
  const ReferenceValue& r = value.reference;
  if (!r.url.empty()) return a + ".url = " + rw.Bind(r.url);
  std::string type = r.type;
  if (type.empty()) type = clause.target_type;
  const std::string id = a + ".target_id = " + rw.Bind(r.id);
  if (type.empty()) return id;
  return "(" + id + " AND " + a + ".target_type = " + rw.Bind(type) + ")";
}

}  // namespace hestia::search::internal
