// Token search: system|code, |code, system|, code, and :of-type, over idx_token rows
// (sql_filter.cc adds :not as an anti-join and :text through the ":text" string rows).
// FHIR R4: http://hl7.org/fhir/R4/search.html#token
// Thread-safety: stateless functions.
#include "sql_rewrite.h"

namespace hestia::search::internal {

// The lookups match the index idx_token_lookup (param_hash, code, res_pk) INCLUDE (system);
// "system|" (rare) scans that index over the parameter's rows: a system-only index would cost
// every token row written a second index entry.
Result<std::string> TokenPredicate(const TokenValue& value, std::string_view i, Rewriter& rw) {
  const std::string a(i);
  if (!value.has_system) return a + ".code = " + rw.Bind(value.code);
  if (value.code.empty()) return a + ".system = " + rw.Bind(value.system);
  const std::string code = rw.Bind(value.code);
  return "(" + a + ".code = " + code + " AND " + a + ".system = " + rw.Bind(value.system) + ")";
}

// The :of-type rows (index.h) hold system = the type's Coding system and code =
// "<type code>|<identifier value>".
Result<std::string> OfTypePredicate(const SearchValue& value, std::string_view i, Rewriter& rw) {
  const std::string a(i);
  const std::string code = rw.Bind(value.token.code + "|" + value.text);
  return "(" + a + ".code = " + code + " AND " + a + ".system = " + rw.Bind(value.token.system) +
         ")";
}

}  // namespace hestia::search::internal
