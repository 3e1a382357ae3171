// Search index rows: what a resource contributes to the index tables when it is written, and
// the extraction that computes them with each SearchParameter's FHIRPath expression.
//
// Owns: the row shapes (one per index table of the schema, fhir-core/storage/migrations.cc
// v3), the hash keys, the string normal form shared by extraction and queries, and the
// Extractor.
//
// Keys. Every row carries param_hash = ParamHash(resource type, code). Derived rows use a
// suffix on the code, so they live in the same tables without colliding:
//   ParamHash(T, code + ":text")        token :text — StringRow of CodeableConcept.text,
//                                        Coding.display, Identifier.type.text
//   ParamHash(T, code + ":of-type")     token :of-type — TokenRow{system: type's Coding
//                                        system, code: type code + "|" + identifier value}
//   ParamHash(T, code + ":identifier")  reference :identifier — TokenRow of
//                                        Reference.identifier
//   ParamHash(T, code + "#" + k)        component k (0-based) of composite `code`; every row of
//                                        one composite item shares grp = item number (1-based);
//                                        rows of ordinary parameters have grp = 0
// A parameter with RowSources (parameter_registry.h) has no rows of its own: Extract skips it,
// and its key (with any suffix) stands for the keys of its sources (IndexKeys). Rows written
// under its own key before it shared rows are never read. A parameter with PartSources writes
// no rows for those parts of its HumanName/Address items; its key stands for its own key and
// the part parameters' keys (rows it wrote for those parts earlier are found twice, which
// matches the same resources).
// Ranges are half-open [low, high). Open ends of a date are kMinMicros / kMaxMicros.
// Thread-safety: Extractor is immutable and thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/json.h"
#include "hestia/base/status.h"
#include "hestia/base/time.h"
#include "hestia/search/parameter_registry.h"

namespace hestia::fhirpath {
class Engine;
}

namespace hestia::search {

inline constexpr Micros kMinMicros = std::numeric_limits<int64_t>::min();
inline constexpr Micros kMaxMicros = std::numeric_limits<int64_t>::max();
// The widest range an indexed instant has: FHIR instants are precise to the second at least.
inline constexpr Micros kMaxInstantWidth = 1000000;

// 64-bit FNV-1a of (resource type, "|", code): the key of the index tables.
int64_t ParamHash(std::string_view resource_type, std::string_view code);
// The keys whose rows answer `key` ("code", "code:text", "code#1", …) on `resource_type`:
// {ParamHash(resource_type, key)}, or, when `code` shares the rows of other parameters
// (ParameterRegistry::RowSources), ParamHash(resource_type, source + suffix) for each source;
// plus ParamHash(resource_type, part code) for each of its PartSources (plain keys only).
// Not for composite components: their rows must be joined per source (grp numbers are per
// parameter), see sql_composite.cc.
std::vector<int64_t> IndexKeys(const ParameterRegistry& registry, std::string_view resource_type,
                               std::string_view key);

// The parts of a HumanName (`datatype` "HumanName": text, family, given, prefix, suffix) or
// an Address ("Address": line, city, district, state, postalCode, country, text) that string
// extraction indexes each on its own row, as the primitive string itself would be: the part's
// bit (a distinct power of two per part name), 0 for any other datatype or element.
uint32_t StringPartBit(std::string_view datatype, std::string_view part);

// Case- and accent-insensitive normal form for string search (ICU: NFD, strip nonspacing
// marks, case-fold, NFC; whitespace runs become one space, trimmed). Used on both sides.
std::string NormalizeString(std::string_view text);
// The full-text lexemes of `text` for _text and _content, on both sides (idx_text holds
// array_to_tsvector of them; a query is the tsquery of its own lexemes ANDed): the words of
// NormalizeString(text), split at every character that is not a letter, digit or mark ("."
// and "," between two digits stay: "3.5", "1,000"), each distinct word once, sorted. Words
// longer than kMaxLexemeBytes are dropped (PostgreSQL's lexeme limit).
std::vector<std::string> TextLexemes(std::string_view text);
// TextLexemes(text) joined by single spaces: the form IndexRows::narrative/content hold.
std::string JoinedTextLexemes(std::string_view text);
inline constexpr std::size_t kMaxLexemeBytes = 2047;
// Phonetic key for xpathUsage=phonetic parameters (American Soundex over the normalized
// letters of each word, words joined by ' ').
std::string PhoneticKey(std::string_view text);

struct TokenRow {
  int64_t param_hash = 0;
  int32_t grp = 0;
  std::string system;  // "" = no system
  std::string code;    // "" when only a system is known
};
struct StringRow {
  int64_t param_hash = 0;
  int32_t grp = 0;
  std::string norm;   // NormalizeString(exact), or PhoneticKey for phonetic parameters
  std::string exact;  // the value as written
};
struct DateRow {
  int64_t param_hash = 0;
  int32_t grp = 0;
  Micros low = 0;   // inclusive
  Micros high = 0;  // exclusive
};
struct NumberRow {  // decimals as exact text ("1.50"), compared as PostgreSQL numeric
  int64_t param_hash = 0;
  int32_t grp = 0;
  std::string low;   // inclusive; "" = unbounded
  std::string high;  // inclusive; "" = unbounded (a point value has low == high)
};
struct QuantityRow {
  int64_t param_hash = 0;
  int32_t grp = 0;
  std::string system;  // Quantity.system ("" when absent)
  std::string code;    // Quantity.code, else Quantity.unit
  std::string low;     // value as exact decimal text; Range gives low/high; "" = open
  std::string high;
  std::string canon_unit;  // UCUM canonical base-unit key ("g.m-3"); "" when not UCUM
  double canon_low = 0;    // low/high in canonical units (only when canon_unit is set)
  double canon_high = 0;
};
struct UriRow {
  int64_t param_hash = 0;
  int32_t grp = 0;
  std::string uri;
};
struct ReferenceRow {
  int64_t param_hash = 0;
  int32_t grp = 0;
  std::string target_type;  // for local references ("Patient/1", or absolute on our base)
  std::string target_id;
  std::string url;  // any other reference text: absolute URL, canonical (without |version)
};
struct GeoRow {  // Location.position, for near
  int64_t param_hash = 0;
  double latitude = 0;
  double longitude = 0;
};

struct IndexRows {
  std::vector<TokenRow> tokens;
  std::vector<StringRow> strings;
  std::vector<DateRow> dates;
  std::vector<NumberRow> numbers;
  std::vector<QuantityRow> quantities;
  std::vector<UriRow> uris;
  std::vector<ReferenceRow> references;
  std::vector<GeoRow> geo;
  // TextLexemes of the narrative's text (_text) and of every string value of the resource
  // (_content), each joined by single spaces ("" when none).
  std::string narrative;
  std::string content;
};

class Extractor {
 public:
  // `base_url` lets absolute references on this server index as local ones.
  Extractor(std::shared_ptr<const fhirpath::Engine> engine, std::string base_url);
  ~Extractor();

  // All rows of `resource` (of `resource_type`) for every parameter in `registry` that
  // applies to it. A parameter whose expression fails to evaluate contributes no rows (and
  // never fails the write); kInternal only for an unusable registry.
  Result<IndexRows> Extract(std::string_view resource_type, const json::Value& resource,
                            const ParameterRegistry& registry) const;

 private:
  std::shared_ptr<const fhirpath::Engine> engine_;
  std::string base_url_;
};

}  // namespace hestia::search
