// Instants and FHIR date/time text.
//
// Owns: the server's notion of "now" (microseconds since the Unix epoch, UTC), the FHIR
// instant text we write in meta.lastUpdated, parsing of FHIR date/dateTime/instant search
// values into half-open ranges by precision, and RFC 7231 HTTP dates.
// FHIR R4: http://hl7.org/fhir/R4/datatypes.html#dateTime, http://hl7.org/fhir/R4/search.html#date
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hestia/base/status.h"

namespace hestia {

// Microseconds since 1970-01-01T00:00:00Z.
using Micros = int64_t;

Micros NowMicros();

// "2024-05-01T10:20:30.123Z" — millisecond precision, as served in meta.lastUpdated.
std::string FormatInstant(Micros t);

// Truncates to whole milliseconds (the precision we store and serve).
inline Micros TruncateToMillis(Micros t) { return t - (((t % 1000) + 1000) % 1000); }

// A FHIR date, dateTime or instant ("2024", "2024-05", "2024-05-01", "2024-05-01T10:20Z",
// "2024-05-01T10:20:30.5+02:00") as the half-open interval [low, high) its precision covers.
// A dateTime with a time but no zone is an error (the server needs an instant); a date
// without time is taken as UTC.
struct TimeRange {
  Micros low = 0;
  Micros high = 0;
};
Result<TimeRange> ParseFhirDateTime(std::string_view text);

// RFC 7231 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string FormatHttpDate(Micros t);
// Accepts IMF-fixdate (and the obsolete RFC 850 / asctime forms are refused as kInvalid).
Result<Micros> ParseHttpDate(std::string_view text);

}  // namespace hestia
