// UCUM units for Quantity comparison and arithmetic.
//
// Owns: parsing UCUM unit expressions (prefixes, atoms, exponents, '.', '/', parentheses,
// {annotations}) into a factor over the seven UCUM base dimensions, using the atom
// definitions of the UCUM specification (ucum-essence.xml) for the units clinical data and
// the FHIR search engine need: length, mass, time, volume, amount, pressure, energy,
// temperature (Cel, [degF]), angle, and the dimensionless '1', '%', 10*n.
// Also maps FHIRPath calendar duration keywords (week, days, …) to their UCUM codes.
// Thread-safety: stateless functions over immutable tables.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hestia::fhirpath::ucum {

// m, g, s, rad, K, C, cd.
using Dimensions = std::array<int8_t, 7>;

struct Canonical {
  double factor = 1;  // multiply a value in the unit by this to get base units
  Dimensions dims{};
  double offset = 0;     // for Cel and [degF] on their own: base = value * factor + offset
  bool special = false;  // the unit has an offset (only valid alone)
};

// Parses a UCUM unit expression; nullopt when it is not valid UCUM (or uses an atom we do
// not define).
std::optional<Canonical> Parse(std::string_view unit);

// Converts `value` from unit `from` to unit `to`; nullopt when either unit is unknown or
// the dimensions differ.
std::optional<double> Convert(double value, std::string_view from, std::string_view to);

// The UCUM code for a FHIRPath calendar duration keyword ("week" → "wk"), or "" when
// `word` is not one. Year and month map to "a" and "mo" but are not equal to them
// (see IsCalendarYearOrMonth).
std::string_view CalendarToUcum(std::string_view word);
bool IsCalendarWord(std::string_view word);
bool IsCalendarYearOrMonth(std::string_view word);

}  // namespace hestia::fhirpath::ucum
