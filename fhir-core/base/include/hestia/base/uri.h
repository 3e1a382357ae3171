// URL decoding: percent-decoding, FHIR path segments, query strings.
//
// Owns: turning raw URL text into decoded path segments and query parameters, and rejecting
// targets that try to smuggle a '/' or a dot-segment through percent-encoding. One decoder
// for every URL the server reads: HTTP request targets (rest/dispatcher.cc), Bundle
// entry request.url (interactions/bundle_entries.cc) and conditional URLs (search/query.cc).
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hestia/base/status.h"

namespace hestia {

// Decodes %XX escapes (and '+' as space when `plus_as_space`, for form encoding). Returns
// nullopt for a malformed escape ("%4", "%zz") or a decoded control character (< 0x20 or
// 0x7f), which no FHIR path or search value may contain.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_as_space);

// Splits the part of a path after the FHIR base ("" or "/Patient/1/_history/2") into decoded
// segments. One trailing '/' is ignored. Fails with kInvalid for an empty segment, a segment
// that decodes to "." or "..", or one whose decoding contains '/' or '\' ("%2F" tricks).
Result<std::vector<std::string>> SplitPath(std::string_view path);

// Parses "a=1&b=x+y&c" into ordered, decoded pairs ("+" is a space, as in form encoding;
// "c" has an empty value). Empty pieces are skipped. Fails with kInvalid on a bad escape.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view raw);

}  // namespace hestia
