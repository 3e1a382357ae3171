// Quantity search over idx_quantity: prefixes as for numbers; with a unit, rows in the same
// UCUM base units compare on their canonical values (5 mg meets 0.005 g), and any row with
// the literal system/code compares on its value as written; without a unit every row does.
// FHIR R4: http://hl7.org/fhir/R4/search.html#quantity
// Thread-safety: stateless functions.
#include <cstdio>
#include <cstdlib>

#include "hestia/search/canonical_unit.h"
#include "sql_rewrite.h"

namespace hestia::search::internal {
namespace {

std::string DoubleText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

Result<std::string> QuantityPredicate(const SearchValue& value, std::string_view i, Rewriter& rw) {
  const QuantityValue& q = value.quantity;
  HESTIA_ASSIGN_OR_RETURN(DecimalRange range, ImpliedRange(q.number));
  const std::string a(i);
  const std::string literal_value =
      NumericRangePredicate(value.prefix, a + ".low", a + ".high", q.number, range, "numeric", rw);
  if (q.code.empty()) {
    if (!q.has_system) return literal_value;
    return "(" + a + ".system = " + rw.Bind(q.system) + " AND " + literal_value + ")";
  }
  std::string literal = "(" + a + ".code = " + rw.Bind(q.code);
  if (q.has_system) literal += " AND " + a + ".system = " + rw.Bind(q.system);
  literal += " AND " + literal_value + ")";

  const double v = std::strtod(q.number.c_str(), nullptr);
  const auto canon_v = Canonicalize(q.has_system ? q.system : "", q.code, v);
  const auto canon_low =
      Canonicalize(q.has_system ? q.system : "", q.code, std::strtod(range.low.c_str(), nullptr));
  const auto canon_high =
      Canonicalize(q.has_system ? q.system : "", q.code, std::strtod(range.high.c_str(), nullptr));
  if (!canon_v || !canon_low || !canon_high) return literal;
  const DecimalRange canon_range{DoubleText(canon_low->value), DoubleText(canon_high->value)};
  const std::string canonical =
      "(" + a + ".canon_unit = " + rw.Bind(canon_v->unit) + " AND " +
      NumericRangePredicate(value.prefix, a + ".canon_low", a + ".canon_high",
                            DoubleText(canon_v->value), canon_range, "double precision", rw) +
      ")";
  return "(" + canonical + " OR " + literal + ")";
}

}  // namespace hestia::search::internal
