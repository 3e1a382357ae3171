// The differential test's own model of FHIR search semantics: what a resource's FHIRPath
// results mean for each search parameter type, and whether a search value matches them.
//
// Owns: an implementation of http://hl7.org/fhir/R4/search.html written from the spec,
// independent of hestia_search (no code shared with the extractor, the parser or the SQL):
// value extraction from FHIRPath items per parameter type, string normalization (ICU,
// written here), date ranges by precision, decimal comparison, reference parsing, great-circle
// distance and American Soundex.
// Used by: probes.cc (query generation and expected results) and search_diff_test.cc.
// Thread-safety: stateless functions.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/fhirpath/value.h"

namespace hestia::testing::sdiff {

// ---- token ---------------------------------------------------------------------------------
struct Token {
  enum class Kind { kCoded, kIdentifier, kContact, kPrimitive };
  Kind kind = Kind::kPrimitive;
  bool has_system = false;  // kCoded / kIdentifier with a system element
  std::string system;
  std::string code;  // Coding.code, Identifier.value, ContactPoint.value, the primitive text
};
std::vector<Token> Tokens(const fhirpath::Collection& items);

// A token search value: "code", "system|code", "|code", "system|".
struct TokenQuery {
  bool has_system = false;
  std::string system;
  std::string code;
};
bool TokenMatches(const Token& t, const TokenQuery& q);

// ---- string --------------------------------------------------------------------------------
// Every string a value offers to string search (HumanName and Address parts separately).
std::vector<std::string> Strings(const fhirpath::Collection& items);
// Case- and accent-insensitive form: NFD, drop non-spacing marks, case-fold, NFC, whitespace
// runs to one space, trimmed.
std::string Normalize(std::string_view text);
// American Soundex of each word's letters (after Normalize), words joined by ' '.
std::vector<std::string> SoundexWords(std::string_view text);

// ---- date ----------------------------------------------------------------------------------
struct DateRange {
  int64_t low = 0;   // microseconds since the epoch, UTC, inclusive
  int64_t high = 0;  // exclusive
};
inline constexpr int64_t kMinTime = INT64_MIN;
inline constexpr int64_t kMaxTime = INT64_MAX;
// "2020", "2020-02", "2020-02-03", "2020-02-03T10:11:12.5+01:00" (no zone = UTC).
std::optional<DateRange> ParseDate(std::string_view text);
std::vector<DateRange> Dates(const fhirpath::Collection& items);
// The prefix semantics of the R4 table (eq, gt, lt, ge, le, sa, eb) between the search
// value's range `q` and one target range `t`.
bool DateMatches(std::string_view prefix, const DateRange& q, const DateRange& t);
// "2020-02-03T10:11:12Z" / "2020-02-03" for a time.
std::string FormatSecond(int64_t micros);
std::string FormatDay(int64_t micros);

// ---- decimal -------------------------------------------------------------------------------
// An exact decimal: mantissa × 10^-scale (30 digits fit; __extension__ keeps -Wpedantic quiet).
__extension__ typedef __int128 Int128;
struct Dec {
  Int128 mantissa = 0;
  int scale = 0;
};
std::optional<Dec> ParseDec(std::string_view text);
int Compare(const Dec& a, const Dec& b);
// The implicit range of a search value's precision: [v - ½ulp, v + ½ulp).
void PrecisionRange(const Dec& v, Dec* low, Dec* high);

// ---- quantity ------------------------------------------------------------------------------
struct Qty {
  std::optional<Dec> low;  // a Quantity has low == high; a Range may leave either open
  std::optional<Dec> high;
  std::string value_text;  // Quantity.value as written ("" for ranges)
  std::string system;
  std::string code;
  std::string unit;
};
std::vector<Qty> Quantities(const fhirpath::Collection& items);
// "[prefix]value|system|code" / "value||code" / "value"; prefix in {eq, gt, lt, ge, le}.
// Number semantics of the spec: eq uses the value's implicit precision range, gt/lt/ge/le
// compare with the exact value.
bool QuantityMatches(std::string_view prefix, const Dec& value, bool has_system,
                     std::string_view system, std::string_view code, const Qty& q);

// ---- reference -----------------------------------------------------------------------------
struct Ref {
  std::string type;  // local reference ("Patient/1", or absolute on `base_url`)
  std::string id;
  std::string url;  // any other reference text (absolute elsewhere, canonical without |v)
  std::optional<Token> identifier;  // Reference.identifier
};
std::vector<Ref> References(const fhirpath::Collection& items, std::string_view base_url);
// True when the reference has a searchable value (reference text or canonical), which is what
// :missing asks about.
inline bool HasTarget(const Ref& r) { return !r.id.empty() || !r.url.empty(); }

// ---- uri -----------------------------------------------------------------------------------
std::vector<std::string> Uris(const fhirpath::Collection& items);

// ---- Location near -------------------------------------------------------------------------
struct Position {
  double latitude = 0;
  double longitude = 0;
};
std::vector<Position> Positions(const fhirpath::Collection& items);
// Great-circle distance in km (haversine, mean Earth radius).
double DistanceKm(const Position& a, const Position& b);

// ---- search value escaping -----------------------------------------------------------------
// True when `text` holds a character that needs escaping in a search value (\ , | $).
bool NeedsEscape(std::string_view text);
// Percent-encodes a query value (everything but unreserved characters).
std::string UrlEncode(std::string_view text);

}  // namespace hestia::testing::sdiff
