// Logical ids and version ids.
//
// Owns: the FHIR id syntax check and server-assigned id generation.
// FHIR R4: http://hl7.org/fhir/R4/datatypes.html#id
// Thread-safety: NewId() is safe from any thread (thread-local generator).
#pragma once

#include <string>
#include <string_view>

namespace hestia {

// [A-Za-z0-9\-\.]{1,64}
bool IsValidId(std::string_view id);

// A new random id: a lowercase RFC 4122 version-4 UUID (36 characters, a valid FHIR id).
std::string NewId();

// Weak ETag for a version: W/"3".
std::string ETagFor(long version);
// Parses W/"3", "3" or 3 into a version number; -1 when the text is none of these.
long VersionFromETag(std::string_view etag);

}  // namespace hestia
