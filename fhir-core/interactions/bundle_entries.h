// Bundle entry processing shared by batch.cc and transaction.cc (private).
//
// Owns: POST [base] dispatch (ProcessBundle: parse, Bundle.type, the entry limit), parsing one
// Bundle.entry into a BundleEntry (request.method/url, conditional headers, the resource or —
// for PATCH — the FHIRPath Patch Parameters or the JSON Patch inside a Binary), reference rewriting
// over a whole resource (every "reference" member, nested, in extensions and contained resources),
// conditional references resolved with the foundation search, the write step of one entry inside a
// caller's storage::Transaction, and the JSON text of response entries.
// FHIR R4: http://hl7.org/fhir/R4/http.html#transaction, #trules, #patch
// Thread-safety: stateless functions; a ConditionalReferences belongs to one transaction.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interactions.h"

namespace hestia::interactions {

enum class EntryMethod { kGet, kPost, kPut, kPatch, kDelete };

struct BundleEntry {
  int index = 0;
  EntryMethod method = EntryMethod::kGet;
  std::string method_name;                // as sent: "POST"
  std::string url;                        // request.url as sent
  std::string full_url;                   // entry.fullUrl, or ""
  std::vector<std::string> path;          // decoded segments of the URL path
  std::string raw_query;                  // the URL's query, without '?'; "" when none
  std::string type;                       // path[0] (writes)
  std::string id;                         // path[1] for instance URLs
  bool conditional = false;               // [type]?query for PUT, PATCH, DELETE
  const json::Value* resource = nullptr;  // points into the Bundle document (POST, PUT)
  std::shared_ptr<json::Document> patch;  // PATCH: JSON Patch array or Parameters (FHIRPath)
  std::optional<std::string> if_none_exist;
  std::optional<std::string> if_modified_since;
  Preconditions pre;
};

// Parses Bundle.entry[index] of a Bundle POSTed to `req`. Never fails for a GET whose URL is
// merely unknown (the dispatcher answers it); kInvalid/kStructure/kNotSupported for a
// malformed entry, a resourceType different from the URL type, a PUT whose resource id
// differs from the URL id, or a PATCH body that is neither a Parameters resource (FHIRPath
// Patch) nor a base64 JSON Patch Binary.
Result<BundleEntry> ParseEntry(const Context& ctx, const Request& req, const json::Value& entry,
                               int index);

// Returns the replacement of one Reference.reference, or nullopt to keep it.
using ReferenceResolver = std::function<Result<std::optional<std::string>>(std::string_view)>;

// Calls `resolve` on every "reference" string member anywhere in `*value` and replaces it
// when asked to. Stops at the first error and returns it (`*value` is then partly rewritten).
Status RewriteReferences(json::Value* value, json::Allocator& alloc,
                         const ReferenceResolver& resolve);

// Replaces every value of a reference-type search parameter of `type` in `query` that is a key
// of `ids` (a fullUrl such as urn:uuid:…) by its mapped value ("Type/id"). Values of other
// parameters are left alone: an identifier may legitimately be a urn:uuid.
std::string RewriteQueryValues(const Context& ctx, const std::string& type, std::string_view query,
                               const std::map<std::string, std::string>& ids);

// Conditional references ("Patient?identifier=sys|val" as a Reference.reference), resolved
// with the foundation search inside `txn`, each distinct one once.
class ConditionalReferences {
 public:
  ConditionalReferences(const Context& ctx, storage::Transaction& txn) : ctx_(ctx), txn_(txn) {}
  // nullopt when `reference` is not a conditional reference; "Type/id" for exactly one
  // match; kInvalid for no match or unsupported criteria, kMultipleMatches for more than one.
  Result<std::optional<std::string>> Resolve(std::string_view reference);

 private:
  const Context& ctx_;
  storage::Transaction& txn_;
  std::map<std::string, std::string, std::less<>> cache_;
};

// Where a write entry lands, decided before it runs (so that fullUrls can be mapped first).
struct WriteTarget {
  std::string id;
  bool matched_existing = false;  // POST with ifNoneExist that matched: nothing is written
  bool nothing_to_do = false;     // conditional DELETE that matched nothing
};

// Decides the target of a POST, PUT, PATCH or DELETE entry inside `txn`. `condition` is the
// entry's ifNoneExist (POST) or URL query (conditional PUT/PATCH/DELETE), after rewriting.
Result<WriteTarget> ResolveTarget(const Context& ctx, storage::Transaction& txn,
                                  const BundleEntry& entry, std::string_view condition);

// Runs one write entry against `target` inside `txn` (no commit). POST and PUT resources, and
// the Parameters of a FHIRPath Patch, are copied and their references passed through `resolve`
// first (when `resolve` is set).
Result<EntryResult> ExecuteWrite(const Context& ctx, storage::Transaction& txn,
                                 const BundleEntry& entry, const WriteTarget& target,
                                 const ReferenceResolver& resolve);

// Runs a GET entry through the URL dispatcher (read, vread, search, history) as the client
// that sent `req`.
Response RunGetEntry(const Context& ctx, const Request& req, const BundleEntry& entry);

// Response entries as JSON text: a write's result (resource / outcome chosen by Prefer), an
// error with its OperationOutcome, and a GET's Response.
std::string ResultEntryJson(const Request& req, const EntryResult& result);
std::string ErrorEntryJson(const Status& status);
std::string ResponseEntryJson(const Response& response);

// The Status of entry `index` failing inside a Bundle: the same code, the message prefixed
// with the entry, and expression Bundle.entry[index].
Status EntryError(const BundleEntry* entry, int index, const Status& status);

}  // namespace hestia::interactions
