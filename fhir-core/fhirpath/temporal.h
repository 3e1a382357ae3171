// Date, DateTime and Time semantics (private to hestia_fhirpath).
//
// Owns: comparison with precision (FHIRPath N1 §"Date/Time Equality" — a comparison that
// runs out of common precision is unknown), time-zone normalisation, calendar arithmetic
// with durations (+/- 1 month clamps the day), boundaries and precision(), and the clock.
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string_view>

#include "hestia/base/time.h"
#include "hestia/fhirpath/value.h"

namespace hestia::fhirpath {

// <0, 0, >0, or nullopt when the values differ only below the common precision. Date and
// DateTime compare with each other; Time only with Time (callers check kinds).
std::optional<int> CompareTemporal(ItemKind ka, const DateTime& a, ItemKind kb, const DateTime& b);

// dt + sign * quantity. Returns false for a unit that is not a time unit (an error).
bool AddDuration(ItemKind kind, const DateTime& dt, const Decimal& amount, std::string_view unit,
                 int sign, DateTime* out);

// Boundaries at `digits` precision (4 = year … 17 = millisecond for DateTime; 2 … 9 for
// Time). False when `digits` is not a valid precision for the kind.
bool TemporalBoundary(ItemKind kind, const DateTime& dt, int digits, bool high, DateTime* out);
int TemporalPrecisionDigits(ItemKind kind, const DateTime& dt);

// The clock as a DateTime (UTC, millisecond precision).
DateTime DateTimeFromMicros(Micros t);

}  // namespace hestia::fhirpath
