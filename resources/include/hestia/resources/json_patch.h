// JSON Patch (RFC 6902) over the server's JSON DOM, with JSON Pointer (RFC 6901) paths.
//
// Owns: applying a patch document (add, remove, replace, move, copy, test; "~0"/"~1" escapes;
// "-" as the index after the last array element) and the JSON equality the `test` operation
// needs. Pure JSON: FHIR rules about the patched resource (same resourceType and id, still a
// valid resource) belong to the caller — the PATCH interaction.
// Numbers follow hestia/base/json.h: raw numbers (decimals kept in their lexical form) compare
// by value with ordinary numbers, so `1.0` equals `1` as RFC 6902 §4.6 requires.
// Used by: fhir-core/interactions/patch.cc (PATCH, and PATCH entries of batch/transaction).
// FHIR R4: http://hl7.org/fhir/R4/http.html#patch (application/json-patch+json)
// Thread-safety: stateless functions.
#pragma once

#include "hestia/base/json.h"
#include "hestia/base/status.h"

namespace hestia::resources {

// Applies `patch` (a JSON array of operation objects) to `*doc`, all or nothing: on any error
// `*doc` is left exactly as it was. Values are copied into doc's allocator; `patch` is not
// modified and may live in another document.
// Errors (all kInvalid, with the operation's index in the message and as expression
// "[i]"): `patch` not an array, an operation without a known "op", a missing or malformed
// "path"/"from"/"value", a path whose parent does not exist, an array index out of range,
// a move into its own child, and a failed `test`.
Status ApplyJsonPatch(const json::Value& patch, json::Document* doc);

// RFC 6902 §4.6 equality: same type; numbers equal by value (raw numbers included); strings
// by code points; arrays element by element; objects by member set regardless of order.
bool JsonEqual(const json::Value& a, const json::Value& b);

}  // namespace hestia::resources
