// Number search over idx_number: the search value's significant digits give the range
// [low, high) that eq and ne test (search.html: "100" means [99.5, 100.5)); gt/lt/ge/le
// compare with the exact value; sa/eb with the range; ap with ±10% of the value. Stored
// values are closed ranges [low, high] with NULL for an open end. Quantities reuse
// NumericRangePredicate.
// FHIR R4: http://hl7.org/fhir/R4/search.html#number, http://hl7.org/fhir/R4/search.html#prefix
// Thread-safety: stateless functions.
#include <cctype>

#include "sql_rewrite.h"

namespace hestia::search::internal {
namespace {

// Decrements a decimal digit string > 0 ("100" → "099").
std::string Decrement(std::string digits) {
  for (std::size_t k = digits.size(); k-- > 0;) {
    if (digits[k] == '0') {
      digits[k] = '9';
    } else {
      --digits[k];
      break;
    }
  }
  return digits;
}

// digits × 10^-scale as decimal text, negative when `negative`.
std::string Format(bool negative, std::string digits, int scale) {
  std::size_t nz = digits.find_first_not_of('0');
  digits = nz == std::string::npos ? "0" : digits.substr(nz);
  if (scale <= 0) {
    if (digits != "0") digits.append(static_cast<std::size_t>(-scale), '0');
  } else {
    const auto s = static_cast<std::size_t>(scale);
    if (digits.size() <= s) digits.insert(0, s + 1 - digits.size(), '0');
    digits.insert(digits.size() - s, ".");
  }
  const bool zero = digits.find_first_not_of("0.") == std::string::npos;
  return (negative && !zero ? "-" : "") + digits;
}

}  // namespace

Result<DecimalRange> ImpliedRange(std::string_view number) {
  auto bad = [&number]() {
    return InvalidError("'" + std::string(number) + "' is not a decimal number");
  };
  std::size_t p = 0;
  bool negative = false;
  if (p < number.size() && (number[p] == '-' || number[p] == '+')) negative = number[p++] == '-';
  std::string digits;
  int fraction = 0;
  bool point = false;
  for (; p < number.size(); ++p) {
    const char c = number[p];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
      if (point) ++fraction;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (digits.empty() || digits.size() > 60) return bad();
  int exponent = 0;
  if (p < number.size()) {
    if (number[p] != 'e' && number[p] != 'E') return bad();
    ++p;
    bool exp_negative = false;
    if (p < number.size() && (number[p] == '-' || number[p] == '+')) {
      exp_negative = number[p++] == '-';
    }
    if (p == number.size() || number.size() - p > 4) return bad();
    for (; p < number.size(); ++p) {
      if (!std::isdigit(static_cast<unsigned char>(number[p]))) return bad();
      exponent = exponent * 10 + (number[p] - '0');
    }
    if (exp_negative) exponent = -exponent;
  }
  // value = ±M × 10^-s; the range is ±(10M ∓ 5) × 10^-(s+1).
  const int scale = fraction - exponent + 1;
  const bool is_zero = digits.find_first_not_of('0') == std::string::npos;
  const std::string up = digits + "5";                              // 10M + 5
  const std::string down = is_zero ? "" : Decrement(digits) + "5";  // 10M - 5, "" = -5
  DecimalRange range;
  if (!negative) {
    range.low = is_zero ? Format(true, "5", scale) : Format(false, down, scale);
    range.high = Format(false, up, scale);
  } else {
    range.low = Format(true, up, scale);
    range.high = is_zero ? Format(false, "5", scale) : Format(true, down, scale);
  }
  return range;
}

// `low_col`/`high_col` hold a closed range with NULL for an open end; `cast` is the SQL type
// of the columns ("numeric" or "double precision"); value/low/high are the search value and
// its implied range as text.
std::string NumericRangePredicate(Prefix prefix, std::string_view low_col,
                                  std::string_view high_col, const std::string& value,
                                  const DecimalRange& range, std::string_view cast, Rewriter& rw) {
  const std::string lo(low_col);
  const std::string hi(high_col);
  const std::string c = "::" + std::string(cast);
  switch (prefix) {
    case Prefix::kEq:
      return "(" + lo + " >= " + rw.Bind(range.low) + c + " AND " + hi + " < " +
             rw.Bind(range.high) + c + ")";
    case Prefix::kNe:
      return "NOT coalesce(" + lo + " >= " + rw.Bind(range.low) + c + " AND " + hi + " < " +
             rw.Bind(range.high) + c + ", false)";
    case Prefix::kGt:
      return "(" + hi + " IS NULL OR " + hi + " > " + rw.Bind(value) + c + ")";
    case Prefix::kLt:
      return "(" + lo + " IS NULL OR " + lo + " < " + rw.Bind(value) + c + ")";
    case Prefix::kGe:
      return "(" + hi + " IS NULL OR " + hi + " >= " + rw.Bind(value) + c + ")";
    case Prefix::kLe:
      return "(" + lo + " IS NULL OR " + lo + " <= " + rw.Bind(value) + c + ")";
    case Prefix::kSa:
      return lo + " >= " + rw.Bind(range.high) + c;
    case Prefix::kEb:
      return hi + " < " + rw.Bind(range.low) + c;
    case Prefix::kAp: {
      // ±10% of the value, and never narrower than the value's own precision.
      const std::string v = rw.Bind(value) + c;
      const std::string top =
          "greatest(" + rw.Bind(range.high) + c + ", " + v + " + abs(" + v + ") * 0.1)";
      const std::string bottom =
          "least(" + rw.Bind(range.low) + c + ", " + v + " - abs(" + v + ") * 0.1)";
      return "((" + lo + " IS NULL OR " + lo + " <= " + top + ") AND (" + hi + " IS NULL OR " + hi +
             " >= " + bottom + "))";
    }
  }
  return "FALSE";
}

Result<std::string> NumberPredicate(Prefix prefix, std::string_view number, std::string_view i,
                                    Rewriter& rw) {
  HESTIA_ASSIGN_OR_RETURN(DecimalRange range, ImpliedRange(number));
  const std::string a(i);
  return NumericRangePredicate(prefix, a + ".low", a + ".high", std::string(number), range,
                               "numeric", rw);
}

}  // namespace hestia::search::internal
