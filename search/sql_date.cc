// Date search over idx_date: the search value's precision is a half-open range [sl, sh)
// (SearchValue::date), the stored value another [low, high); the prefixes compare the two
// ranges as search.html defines.
// FHIR R4: http://hl7.org/fhir/R4/search.html#date, http://hl7.org/fhir/R4/search.html#prefix
// Thread-safety: stateless functions.
#include <cmath>
#include <limits>

#include "sql_rewrite.h"

namespace hestia::search::internal {
namespace {

Micros Clamp(double v) {
  if (v <= static_cast<double>(std::numeric_limits<int64_t>::min())) {
    return std::numeric_limits<int64_t>::min();
  }
  if (v >= static_cast<double>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<Micros>(v);
}

}  // namespace

// Every form keeps a bound on `low` or `high` alone, so idx_date_low / idx_date_high
// (param_hash, low|high) drive the scan.
Result<std::string> DateRangePredicate(Prefix prefix, TimeRange range, Micros now,
                                       std::string_view low_col, std::string_view high_col,
                                       Rewriter& rw) {
  const std::string lo(low_col);
  const std::string hi(high_col);
  auto bind = [&rw](Micros m) { return rw.Bind(std::to_string(m)) + "::bigint"; };
  switch (prefix) {
    case Prefix::kEq: {  // the target range lies within the search range
      const std::string sl = bind(range.low);
      const std::string sh = bind(range.high);
      return "(" + lo + " >= " + sl + " AND " + lo + " < " + sh + " AND " + hi + " <= " + sh + ")";
    }
    case Prefix::kNe: {
      const std::string sl = bind(range.low);
      const std::string sh = bind(range.high);
      return "NOT (" + lo + " >= " + sl + " AND " + hi + " <= " + sh + ")";
    }
    case Prefix::kGt:  // the range above the search value overlaps the target
      return hi + " > " + bind(range.high);
    case Prefix::kLt:  // the range below the search value overlaps the target
      return lo + " < " + bind(range.low);
    case Prefix::kGe: {  // gt, or eq
      const std::string sl = bind(range.low);
      const std::string sh = bind(range.high);
      return "(" + hi + " > " + sh + " OR (" + lo + " >= " + sl + " AND " + hi + " <= " + sh + "))";
    }
    case Prefix::kLe: {  // lt, or eq
      const std::string sl = bind(range.low);
      const std::string sh = bind(range.high);
      return "(" + lo + " < " + sl + " OR (" + lo + " >= " + sl + " AND " + hi + " <= " + sh + "))";
    }
    case Prefix::kSa:  // starts after the search range ends
      return lo + " >= " + bind(range.high);
    case Prefix::kEb:  // ends before the search range starts
      return hi + " <= " + bind(range.low);
    case Prefix::kAp: {
      // Approximately: the search range widened by 10% of its distance from now, overlapping.
      const double distance = std::fabs(static_cast<double>(range.low) - static_cast<double>(now));
      const Micros slack = Clamp(distance * 0.1);
      const Micros sl = Clamp(static_cast<double>(range.low) - static_cast<double>(slack));
      const Micros sh = Clamp(static_cast<double>(range.high) + static_cast<double>(slack));
      return "(" + lo + " < " + bind(sh) + " AND " + hi + " > " + bind(sl) + ")";
    }
  }
  return InternalError("unknown prefix");
}

Result<std::string> DatePredicate(const SearchValue& value, std::string_view i, Rewriter& rw) {
  const std::string a(i);
  return DateRangePredicate(value.prefix, value.date, rw.now(), a + ".low", a + ".high", rw);
}

}  // namespace hestia::search::internal
