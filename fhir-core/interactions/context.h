// What every interaction receives (private to hestia_interactions).
//
// Owns: the Context (registries, store, options) and the helpers shared by the interaction
// files: body parsing, stamping id/meta into a resource, write responses, Prefer handling,
// Bundle text assembly, and the retry loop for writes that lost a race.
// Thread-safety: Context is read-only and shared by all threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hestia/base/json.h"
#include "hestia/base/status.h"
#include "hestia/interactions/fhir_service.h"
#include "hestia/interactions/http_types.h"
#include "hestia/resources/compartments.h"
#include "hestia/search/index.h"

namespace hestia::interactions {

class Reindexer;

struct Context {
  std::shared_ptr<const resources::TypeRegistry> types;
  std::shared_ptr<const search::ParameterRegistry> params;  // the definitions' registry
  // The registry in force: the definitions' one plus SearchParameters $reindex activated.
  std::shared_ptr<search::RegistrySlot> registry_slot;
  std::shared_ptr<const resources::Compartments> compartments;
  // Index rows for every write (create, update, patch, Bundle entries, import, $reindex).
  std::shared_ptr<const search::Extractor> extractor;
  storage::Store* store = nullptr;
  ServiceOptions options;
  std::string capability_statement;  // built once at start-up
  Reindexer* reindexer = nullptr;    // owned by the service; null in tools without one

  // The registry searches and index extraction use now.
  std::shared_ptr<const search::ParameterRegistry> Params() const {
    return registry_slot != nullptr ? registry_slot->Get() : params;
  }
};

// Parses the request body as a resource of `type`: valid JSON within limits, an object whose
// resourceType equals `type`. kStructure/kValue/kTooLarge/kInvalid otherwise.
Status ParseResource(const Context& ctx, const Request& req, std::string_view type,
                     json::Document* doc);

// The checks ParseResource makes on an already parsed value (for resources inside Bundles and
// patched resources): an object, resourceType equal to `type`, a valid id when present, meta an
// object. kStructure/kInvalid otherwise.
Status CheckResource(const json::Value& resource, std::string_view type);

// Rewrites `doc` so that it starts with resourceType, id and meta (versionId, lastUpdated set,
// other meta elements kept) and returns its compact JSON text — the exact text stored.
std::string StampResource(json::Document* doc, std::string_view id, long version,
                          Micros last_updated);

// True when `stored_body` and `incoming` differ only in meta.versionId / meta.lastUpdated
// (and `id`, which the caller has already checked).
bool SameContent(std::string_view stored_body, const json::Value& incoming);

enum class PreferReturn { kRepresentation, kMinimal, kOperationOutcome };
PreferReturn ParsePreferReturn(const Request& req);
bool PreferLenient(const Request& req);

// Response for a successful write: status, Location (…/_history/n), ETag, Last-Modified, and
// a body chosen by Prefer: return.
Response WriteResponse(const Request& req, int status, std::string_view type, std::string_view id,
                       long version, Micros last_updated, const std::string& body,
                       std::string_view outcome_message);

// Response for a read of a stored version: ETag, Last-Modified, body.
Response ReadResponse(long version, Micros last_updated, std::string body);

// JSON string literal for `s` (with quotes), for assembling Bundles as text.
std::string JsonString(std::string_view s);

// The request URL relative to the base, with query, for self links.
std::string SelfLink(const Request& req);

// The raw query string without parameter `name` (for next links).
std::string QueryWithout(const Request& req, std::string_view name);

// Runs `attempt` until it returns something other than kAborted, at most 5 times.
Response RetryOnConflict(const std::function<Result<Response>()>& attempt);

// The next lastUpdated for a resource whose previous version has `previous` (0 if none):
// now, truncated to milliseconds, and never earlier than `previous`.
Micros NextLastUpdated(Micros previous);

}  // namespace hestia::interactions
