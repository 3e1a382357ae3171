// UCUM canonical form of a quantity, shared by index extraction (idx_quantity.canon_*) and the
// quantity query, so that 5 mg and 0.005 g meet on the same key and value.
//
// Owns: the canonical-unit key (the UCUM base dimensions with their exponents, "g.m-3") and
// the conversion of a value to base units.
// FHIR R4: http://hl7.org/fhir/R4/search.html#quantity (canonical units)
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hestia::search {

inline constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";

struct CanonicalQuantity {
  std::string unit;  // key of the base dimensions: "g", "g.m-3", "s-1"; "1" for dimensionless
  double value = 0;  // the value in those base units
};

// The canonical form of `value` `code`, when `system` is UCUM (or empty) and `code` is a UCUM
// unit expression we know; nullopt otherwise (and for results that are not finite).
std::optional<CanonicalQuantity> Canonicalize(std::string_view system, std::string_view code,
                                              double value);

// The canonical-unit key of a UCUM unit expression (as in CanonicalQuantity::unit); "" when
// `code` is not UCUM we know.
std::string CanonicalUnitKey(std::string_view code);

}  // namespace hestia::search
