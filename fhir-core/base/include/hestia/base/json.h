// The one JSON reader and writer of the server.
//
// Owns: turning untrusted bytes into a RapidJSON DOM, and a DOM back into text. Every body a
// client sends goes through Parse(), which enforces size, nesting depth and number-length
// limits *before* RapidJSON sees the text (RapidJSON 1.1.0 lacks the CVE-2024-38517 fix), and
// rejects what FHIR forbids in JSON: duplicate property names and control characters in strings.
//
// Decimals keep their exact lexical form (FHIR: "0.010" differs from "0.01"). A number whose
// text survives a round trip through int64/uint64/double is stored as a RapidJSON number; any
// other number ("1.50", "1e-7", 30-digit integers) is stored as a *raw number*: a string value
// whose first byte is kRawNumberMark. Code that inspects values must therefore use IsNumber /
// NumberText / NumberAsDouble / IsText below instead of RapidJSON's IsNumber / IsString, and
// must write documents only through Write(). Clients cannot forge the mark: Parse() rejects
// strings containing control characters.
// Thread-safety: stateless functions; a Document is not shared between threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "hestia/base/status.h"

namespace hestia::json {

using Document = rapidjson::Document;
using Value = rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

inline constexpr char kRawNumberMark = '\x01';

struct Limits {
  std::size_t max_bytes = 16 * 1024 * 1024;  // whole text; larger → kTooLarge
  int max_depth = 100;                       // nested objects/arrays; deeper → kStructure
  std::size_t max_number_length = 64;        // characters of one number token → kValue
  std::size_t max_exponent_digits = 4;       // digits after e/E → kValue
};

// Parses `text` into *doc (replacing its content). On failure *doc is unspecified and the
// Status says what and where (byte offset): kTooLarge, kStructure or kValue.
Status Parse(std::string_view text, const Limits& limits, Document* doc);

// Serializes `value` compactly, or with two-space indentation when `pretty`.
std::string Write(const Value& value, bool pretty = false);
// `s` as a JSON string literal, quotes included (for JSON assembled as text).
std::string Quote(std::string_view s);

// Number helpers aware of raw numbers (see the file comment).
bool IsNumber(const Value& v);
bool IsText(const Value& v);             // a JSON string that is not a raw number
std::string NumberText(const Value& v);  // lexical form; "" when !IsNumber(v)
double NumberAsDouble(const Value& v);   // nearest double; 0 when !IsNumber(v)
// Makes a raw-number value from a lexical form the caller has validated as a JSON number.
Value MakeRawNumber(std::string_view text, Allocator& alloc);

// Small conveniences for reading members; all return nullptr / "" when absent or mistyped.
const Value* Member(const Value& object, std::string_view name);
std::string_view StringMember(const Value& object, std::string_view name);
inline std::string_view AsStringView(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}
inline Value MakeString(std::string_view s, Allocator& alloc) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
}

}  // namespace hestia::json
