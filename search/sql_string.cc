// String search over idx_string: starts-with (default) and :contains on the normalized form,
// :exact on the text as written; phonetic parameters compare Soundex keys. Token :text uses
// the default form over the token's ":text" rows.
// FHIR R4: http://hl7.org/fhir/R4/search.html#string
// Thread-safety: stateless functions.
#include "hestia/search/index.h"
#include "sql_rewrite.h"

namespace hestia::search::internal {

// Prefix patterns are bound whole ("smi%"), so PostgreSQL sees a constant prefix in its
// custom plan and scans idx_string_lookup (norm text_pattern_ops) as a range.
Result<std::string> StringPredicate(const SearchParameterDef& param, Modifier modifier,
                                    std::string_view text, std::string_view i, Rewriter& rw) {
  const std::string a(i);
  const bool phonetic = param.xpath_usage == "phonetic" && modifier != Modifier::kText;
  const std::string norm = phonetic ? PhoneticKey(text) : NormalizeString(text);
  switch (modifier) {
    case Modifier::kNone:
    case Modifier::kText:
      if (phonetic) return a + ".norm = " + rw.Bind(norm);
      return a + ".norm LIKE " + rw.Bind(LikeEscape(norm) + "%");
    case Modifier::kExact: {
      // norm = f(exact) holds for every row, so the equality on norm keeps the index.
      const std::string n = rw.Bind(norm);
      return "(" + a + ".norm = " + n + " AND " + a + ".exact = " + rw.Bind(std::string(text)) +
             ")";
    }
    case Modifier::kContains:
      if (phonetic) return a + ".norm = " + rw.Bind(norm);
      return a + ".norm LIKE " + rw.Bind("%" + LikeEscape(norm) + "%");
    default:
      return NotSupportedError("this modifier is not supported on string parameter '" + param.code +
                               "'");
  }
}

}  // namespace hestia::search::internal
