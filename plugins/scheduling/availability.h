// Availability rules of a Schedule: the schedule-availability extension and its expansion into
// slot times.
//
// Owns: reading the extension (kAvailabilityUrl) of a Schedule resource into
// AvailabilityRules, expanding those rules into concrete UTC slot times for a range, and the
// FHIR instant/date text this needs. FHIR R4: http://hl7.org/fhir/R4/schedule.html,
// http://hl7.org/fhir/R4/extensibility.html#complex, http://hl7.org/fhir/R4/datatypes.html
//
// Used by: the scheduling plug-in (plugins/scheduling), which is a shared object and so may
// not link the server's libraries: this module uses only the standard library, RapidJSON and
// ICU (for IANA time zones). Errors are values; no exception escapes these functions.
//
// The extension (sub-extensions by url):
//   timeZone            valueCode, required: IANA zone id ("Europe/Berlin").
//   slotMinutes         valuePositiveInt, required, 1..1440.
//   bufferBeforeMinutes valueUnsignedInt, optional (0), <= 1440.
//   bufferAfterMinutes  valueUnsignedInt, optional (0), <= 1440.
//   capacity            valuePositiveInt, optional (1), <= 1000.
//   availableTime       repeating, complex: daysOfWeek (repeating valueCode mon..sun, at least
//                       one), availableStartTime and availableEndTime (valueTime "hh:mm" or
//                       "hh:mm:ss", local wall-clock time; end after start; "24:00" or
//                       "24:00:00" is accepted as an end meaning the next local midnight).
//   notAvailable        repeating, complex: description (valueString, optional), during
//                       (valuePeriod, required). A bound is a date or a dateTime with time and
//                       offset; a date start is local midnight of that day, a date end is the
//                       next local midnight, so start = end = 2026-12-25 blocks that whole
//                       local day. No start = unbounded past, no end = unbounded future.
// Unknown sub-extensions and repeats of the single ones are errors: a misspelt rule
// ("slotMinute") would otherwise be silently ignored.
//
// Expansion: for every local calendar date D in the zone that can hold a slot starting in the
// requested range, for each window whose days contain D's weekday, u1 and u2 are the UTC
// instants of (D, start_second) and (D, end_second) in the zone. A wall time inside a
// spring-forward gap moves to the first valid instant after the gap; an ambiguous fall-back
// wall time is its first occurrence; end_second = 86400 is the next day's local midnight.
// Slots are then laid in real (UTC) time: t = u1; loop { start = t + before; end = start +
// slot; stop if end + after > u2; emit [start, end) unless it overlaps a notAvailable interval
// (half-open); t = end + after }. Only starts in [from, to) are kept, sorted, duplicate starts
// (overlapping windows) removed. So a window's real length changes across a DST change: in
// Berlin 01:00-04:00 local is 2 real hours on 2026-03-29 and 4 on 2026-10-25.
//
// Thread-safety: stateless; every function may be called from any number of threads at once
// (each call builds its own ICU time zone and calendar).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hestia::scheduling {

inline constexpr const char* kAvailabilityUrl =
    "http://hestia.health/fhir/StructureDefinition/schedule-availability";

// The longest range ExpandAvailability accepts (about ten years): it bounds the work and the
// memory one request can ask for.
inline constexpr int64_t kMaxExpansionDays = 3660;

// A weekly recurring window of local wall-clock time.
struct WeeklyWindow {
  std::vector<int> days;  // 0 = Monday ... 6 = Sunday; sorted, no duplicates when parsed.
  int start_second = 0;   // Local seconds since midnight, 0 <= start_second < end_second.
  int end_second = 0;     // <= 86400; 86400 is the next local midnight.
};

// A period when nothing is available. UTC microseconds, half-open; nullopt is unbounded.
struct Unavailable {
  std::optional<int64_t> start_micros;
  std::optional<int64_t> end_micros;
  std::string description;
};

struct AvailabilityRules {
  std::string time_zone;  // IANA id, as written in the extension.
  int slot_minutes = 0;
  int buffer_before_minutes = 0;
  int buffer_after_minutes = 0;
  int capacity = 1;
  std::vector<WeeklyWindow> windows;
  std::vector<Unavailable> not_available;
};

// A slot's time: UTC microseconds since the Unix epoch, half-open [start, end).
struct SlotTime {
  int64_t start_micros;
  int64_t end_micros;
};

// Reads the availability extension of `schedule` (a parsed Schedule resource) into *rules.
// Returns true on success. Returns false and sets *error (naming the sub-extension, e.g.
// "schedule-availability.slotMinutes must be a positiveInt from 1 to 1440") when the
// extension is malformed or appears twice; returns false with *error empty when the resource
// has no such extension. *rules is written only on success. `error` must not be null.
bool ParseAvailability(const rapidjson::Value& schedule, AvailabilityRules* rules,
                       std::string* error);

// Replaces *slots with the slots `rules` produce whose start lies in [from_micros, to_micros),
// sorted by start, without duplicate starts (see the expansion rules above). An empty or
// inverted range gives no slots. Returns false and sets *error (leaving *slots empty) when the
// time zone is unknown, when the rules are outside the ranges ParseAvailability enforces (they
// may be built by hand), or when the range is longer than kMaxExpansionDays. Slots outside
// years 0001-9999 are never produced. `slots` and `error` must not be null.
bool ExpandAvailability(const AvailabilityRules& rules, int64_t from_micros, int64_t to_micros,
                        std::vector<SlotTime>* slots, std::string* error);

// FHIR instant text in UTC: "2026-03-29T07:00:00Z" for whole seconds, otherwise with the
// microseconds trimmed of trailing zeros ("2026-03-29T07:00:00.25Z"). Meant for years
// 0001-9999, the years FHIR can write.
std::string FormatInstant(int64_t micros);

// Parses a FHIR dateTime that has a time with seconds and an offset ("Z" or +/-hh:mm, at most
// 14:00) into UTC microseconds. A fraction of 1-9 digits is allowed and truncated to
// microseconds. nullopt for a date alone, a missing offset, an out-of-range field (month 13,
// 2026-02-30, hour 24, second 60) or anything else.
std::optional<int64_t> ParseInstant(std::string_view text);

// Parses a FHIR date ("2026-12-25") or an instant (as ParseInstant). A date is local midnight
// in `time_zone`, or with `end_of_day` the next local midnight (a midnight inside a DST gap
// is the first valid instant after it). nullopt when the text is malformed or the zone is
// not a known IANA zone.
std::optional<int64_t> ParseDateOrInstant(std::string_view text, const std::string& time_zone,
                                          bool end_of_day);

}  // namespace hestia::scheduling
