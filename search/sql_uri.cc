// URI search over idx_uri: equality; :below (the stored URI starts with the value), :above
// (the value starts with the stored URI), :contains.
// FHIR R4: http://hl7.org/fhir/R4/search.html#uri
// Thread-safety: stateless functions.
#include "sql_rewrite.h"

namespace hestia::search::internal {

Result<std::string> UriPredicate(Modifier modifier, std::string_view uri, std::string_view i,
                                 Rewriter& rw) {
  const std::string a(i);
  switch (modifier) {
    case Modifier::kNone:
      return a + ".uri = " + rw.Bind(std::string(uri));
    case Modifier::kBelow:
      return a + ".uri LIKE " + rw.Bind(LikeEscape(uri) + "%");
    case Modifier::kAbove:
      return "starts_with(" + rw.Bind(std::string(uri)) + "::text, " + a + ".uri)";
    case Modifier::kContains:
      return a + ".uri LIKE " + rw.Bind("%" + LikeEscape(uri) + "%");
    default:
      return NotSupportedError("this modifier is not supported on uri parameters");
  }
}

}  // namespace hestia::search::internal
