// Small FHIR JSON helpers for the scheduling plug-in: parsing with RapidJSON, reading members
// and operation Parameters, writing JSON text, and FHIR calls through the host that throw an
// sdk::Error carrying the host's status and diagnostics when they fail.
//
// The plug-in links none of the server's libraries (its ABI is JSON text, R6), so it keeps its
// own few helpers here. Input reaching them has already passed the host's JSON reader (depth,
// size and number limits), so plain RapidJSON parsing is safe.
// Thread-safety: stateless; every function works on its arguments only.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hestia/plugin_sdk.hpp>

namespace hestia::scheduling {

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Allocator = rapidjson::Document::AllocatorType;

// Canonical URLs of what this plug-in defines (served as StructureDefinitions / CodeSystem).
inline constexpr const char* kSlotCapacityUrl =
    "http://hestia.health/fhir/StructureDefinition/slot-capacity";
inline constexpr const char* kHoldExpiresUrl =
    "http://hestia.health/fhir/StructureDefinition/hold-expires";
inline constexpr const char* kWaitlistForUrl =
    "http://hestia.health/fhir/StructureDefinition/waitlist-for";
inline constexpr const char* kWaitlistPassedUrl =
    "http://hestia.health/fhir/StructureDefinition/waitlist-passed";
inline constexpr const char* kTagSystem = "http://hestia.health/fhir/CodeSystem/scheduling";

// Parses `text`; throws Error(HESTIA_ERR_INVALID) naming `what` when it is not a JSON object.
Document ParseObject(std::string_view text, std::string_view what);
std::string ToJson(const Value& value);

// The member `name` of an object, or nullptr.
const Value* Member(const Value& object, const char* name);
// The string member `name`, or "" when absent or not a string.
std::string String(const Value& object, const char* name);
// The array member `name` (an empty static array when absent or not an array).
const Value& Array(const Value& object, const char* name);
// Sets (replacing) member `name` of `object` to `value`.
void Set(Value& object, const char* name, Value value, Allocator& alloc);
void SetString(Value& object, const char* name, std::string_view text, Allocator& alloc);
void Remove(Value& object, const char* name);

// The first extension of `resource` with `url`, or nullptr.
const Value* Extension(const Value& resource, const char* url);
// Removes every extension with `url` (and the array when it becomes empty).
void RemoveExtension(Value& resource, const char* url, Allocator& alloc);
void AddExtension(Value& resource, const char* url, const char* value_key, std::string_view value,
                  Allocator& alloc);
// Adds an extension with valueReference {"reference": reference}.
void AddReferenceExtension(Value& resource, const char* url, std::string_view reference,
                           Allocator& alloc);
// True when meta.tag holds kTagSystem|code.
bool HasTag(const Value& resource, std::string_view code);
void AddTag(Value& resource, std::string_view code, Allocator& alloc);
void RemoveTag(Value& resource, std::string_view code, Allocator& alloc);

// "Type/id" from a reference value that is relative, absolute on any base, or versioned;
// "" when it names no resource of type `type` ("" accepts any type).
std::string ReferenceKey(std::string_view reference, std::string_view type = {});

// The parameters of an operation: a Parameters resource (POST) or valueStrings from a GET.
class Parameters {
 public:
  explicit Parameters(std::string_view text);
  // Every parameter named `name`.
  std::vector<const Value*> All(std::string_view name) const;
  // The text of the first `name`: value[x] of a primitive type, or valueReference.reference,
  // or a valueCoding/valueCodeableConcept as "system|code". nullopt when absent.
  std::optional<std::string> Text(std::string_view name) const;
  // The texts of every `name` (as Text).
  std::vector<std::string> Texts(std::string_view name) const;
  // The `resource` of the first `name`, or nullptr.
  const Value* Resource(std::string_view name) const;

 private:
  Document doc_;
};

// The text of one parameter entry (see Parameters::Text); nullopt when it has no usable value.
std::optional<std::string> ParameterText(const Value& parameter);

// FHIR calls through the host that throw Error(status, diagnostics) when the call fails, with
// the OperationOutcome's first diagnostics as the message.
Document ReadResource(const sdk::Call& call, std::string_view type, std::string_view id);
Document SearchBundle(const sdk::Call& call, std::string_view type, std::string_view query);
Document RunTransaction(const sdk::Call& call, std::string_view bundle);
// The diagnostics of an OperationOutcome text (or the text itself when it is not one).
std::string Diagnostics(std::string_view outcome);

// Every resource of a searchset Bundle whose search.mode is `mode` ("" = any).
std::vector<const Value*> BundleResources(const Value& bundle, std::string_view mode = {});

// The query (after '?') of the next page link of a searchset Bundle; "" on the last page.
std::string NextQuery(const Value& bundle);

// URL-encodes a query parameter value.
std::string UrlEncode(std::string_view text);

// A JSON string literal (quoted, escaped).
std::string Quote(std::string_view text);

// Transaction and batch Bundle entries.
struct Entry {
  std::string method;          // POST, PUT, DELETE
  std::string url;             // "Appointment", "Slot/abc", "StructureDefinition?url=…"
  std::string resource;        // JSON text; "" for DELETE
  std::string if_match;        // W/"3" or ""
  bool if_none_match = false;  // If-None-Match: * (create only)
};
// W/"<meta.versionId>" of a stored resource, for If-Match ("" when it has none).
std::string VersionETag(const Value& resource);
// meta.versionId as a number; 0 when absent or not a whole number.
int64_t VersionNumber(const Value& resource);

// A Bundle of `type` ("transaction" or "batch") holding `entries`.
std::string MakeBundle(std::string_view type, const std::vector<Entry>& entries);

}  // namespace hestia::scheduling
