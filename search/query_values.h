// Private to the query parser (query.cc): escape-aware splitting of search values and the
// parsing of one value alternative per SearchParameter type.
//
// Owns: the value grammar of FHIR R4 search — prefixes, token/quantity/reference/composite
// parts, dates through ParseFhirDateTime, `near`, and the escapes `\,` `\$` `\|` `\\`.
// FHIR R4: http://hl7.org/fhir/R4/search.html#escaping, #prefix, #token, #quantity,
// #reference, #composite, #date, #number, #uri, #string
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/status.h"
#include "hestia/search/parameter_registry.h"
#include "hestia/search/query.h"

namespace hestia::search::internal {

// Splits `s` at every `sep` not preceded by an escaping backslash. The pieces keep their
// escapes (a later split at another separator must still see them).
std::vector<std::string_view> SplitUnescaped(std::string_view s, char sep);

// Removes the search escapes: `\,` `\$` `\|` `\\` become the character; a backslash before
// any other character (or at the end) is kept as written.
std::string Unescape(std::string_view s);

// What a value parser needs beyond the text. `ignorable` is set when the failure is an
// unknown or unsupported feature (an unknown prefix) that lenient handling may skip; it is
// left alone for malformed values.
struct ValueContext {
  const ParameterRegistry* registry = nullptr;
  const ParseOptions* options = nullptr;
  bool* ignorable = nullptr;
};

// Parses one comma-alternative `text` (escapes intact) of parameter `def` used with
// `modifier` (target_type for Modifier::kType). `name` is the parameter as written, for
// messages. kInvalid for malformed values; kNotSupported for values this server cannot use.
Result<SearchValue> ParseValue(const SearchParameterDef& def, Modifier modifier,
                               std::string_view target_type, std::string_view text,
                               std::string_view name, const ValueContext& context);

// A date value with optional prefix ("ge2024-01"), for date parameters and _lastUpdated.
Result<SearchValue> ParseDateValue(std::string_view text, std::string_view name,
                                   const ValueContext& context);

// `:missing` values: "true" / "false".
Result<SearchValue> ParseMissingValue(std::string_view text, std::string_view name);

// Location near: latitude|longitude[|distance[|unit]].
Result<SearchValue> ParseNearValue(std::string_view text, std::string_view name);

// True when token parameter `def` indexes Identifier elements (its expression for
// `resource_type` ends in an `identifier` element), the only ones :of-type applies to.
bool IsIdentifierToken(const SearchParameterDef& def, std::string_view resource_type);

}  // namespace hestia::search::internal
