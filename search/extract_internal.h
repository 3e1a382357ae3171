// Private to hestia_search: the per-type halves of index extraction (extract_<type>.cc) that
// extract.cc calls for each item a SearchParameter's expression yields.
//
// Owns: the Sink (where one parameter's rows go, with its derived keys) and one Add function
// per search-parameter type. Each takes one FHIRPath item — a FHIR node (primitive or data
// type) or a System value — and appends the rows it contributes; items of a type the
// parameter type cannot index contribute nothing.
// FHIR R4: http://hl7.org/fhir/R4/search.html (per type: #number #date #string #token
// #reference #quantity #uri), http://hl7.org/fhir/R4/location.html#positional
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hestia/base/json.h"
#include "hestia/fhirpath/value.h"
#include "hestia/search/index.h"

namespace hestia::search::internal {

// Index keys longer than this are not indexed (tokens, uris, reference urls) or are cut
// (string norms): a PostgreSQL btree entry must stay under ~2.7 kB, and a longer key would
// fail the whole write.
inline constexpr std::size_t kMaxKeyBytes = 1024;

// Where the rows of one parameter (or one composite component) go.
struct Sink {
  IndexRows* rows = nullptr;
  int64_t hash = 0;
  int32_t grp = 0;
  // Derived keys (index.h); 0 = do not emit them (composite components).
  int64_t text_hash = 0;        // token :text
  int64_t of_type_hash = 0;     // token :of-type
  int64_t identifier_hash = 0;  // reference :identifier
  bool phonetic = false;        // string: norm is PhoneticKey
  // string: HumanName/Address parts (StringPartBit) whose rows another parameter writes
  // (ParameterRegistry::PartSources); none for composite components.
  uint32_t skipped_parts = 0;
  std::string_view base_url;  // reference: absolute URLs under it are local
};

// The FHIR type name of a node item ("Coding", "date"); "" for System values and nodes the
// model does not know.
std::string_view FhirType(const fhirpath::Item& item);
// True when the node's type is `name` or derives from it (Age → Quantity).
bool IsA(const fhirpath::Item& item, std::string_view name);
// Quantity or a type derived from it (Age, Count, Distance, Duration, SimpleQuantity…).
bool IsQuantity(const fhirpath::Item& item);

// The text of a primitive: a primitive node's JSON value (string, raw or plain number,
// boolean as "true"/"false") or a System value (String, Boolean, Integer, Decimal, Date,
// DateTime, Time). False for complex nodes, primitives without a value, and Quantities.
bool PrimitiveText(const fhirpath::Item& item, std::string* out);
// Same, for a JSON value inside a node (a data type's member): strings, numbers, booleans.
bool JsonText(const json::Value* value, std::string* out);

void AddToken(const fhirpath::Item& item, const Sink& sink);
void AddString(const fhirpath::Item& item, const Sink& sink);
void AddDate(const fhirpath::Item& item, const Sink& sink);
void AddNumber(const fhirpath::Item& item, const Sink& sink);
void AddQuantity(const fhirpath::Item& item, const Sink& sink);
void AddUri(const fhirpath::Item& item, const Sink& sink);
void AddReference(const fhirpath::Item& item, const Sink& sink);
// Location.position (latitude, longitude) for `near`.
void AddGeo(const fhirpath::Item& item, const Sink& sink);

// The string row of `text` under `hash` (normalized, or its phonetic key); nothing for blank
// text.
void AddStringRow(IndexRows* rows, int64_t hash, int32_t grp, bool phonetic, std::string_view text);

// Cuts `s` to at most `limit` bytes without splitting a UTF-8 sequence.
void CutUtf8(std::string* s, std::size_t limit);

// _text: the text content of the narrative (Resource.text.div), tags removed, the XHTML
// entities decoded, whitespace collapsed, at most `limit` bytes. "" when there is none.
std::string NarrativeText(const json::Value& resource, std::size_t limit);
// _content: the words of the resource: each distinct string value except the narrative,
// binary data, ids and URIs (code systems, profiles, references), joined by spaces, at most
// `limit` bytes (cut at a character boundary).
std::string ContentText(const json::Value& resource, std::size_t limit);

}  // namespace hestia::search::internal
