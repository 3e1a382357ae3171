// The interaction entry points (private to hestia_interactions), one per file.
//
// Each single-request interaction takes the already-routed request parts and returns a
// complete Response; errors come back as ErrorResponse (an OperationOutcome). None throws.
// Each write interaction also has a form that runs inside a caller-provided
// storage::Transaction and returns an EntryResult without committing: the single-request
// interaction is then Begin + that form + Commit under RetryOnConflict, and batch/transaction
// Bundles (transaction.cc, batch.cc) compose the same forms for their entries.
// Thread-safety: stateless functions over a shared read-only Context.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "context.h"

namespace hestia::interactions {

Response Read(const Context& ctx, const Request& req, const std::string& type,
              const std::string& id);
Response VRead(const Context& ctx, const Request& req, const std::string& type,
               const std::string& id, const std::string& vid);
Response Create(const Context& ctx, const Request& req, const std::string& type);
Response Update(const Context& ctx, const Request& req, const std::string& type,
                const std::string& id);
Response ConditionalUpdate(const Context& ctx, const Request& req, const std::string& type);
Response Delete(const Context& ctx, const Request& req, const std::string& type,
                const std::string& id);
Response ConditionalDelete(const Context& ctx, const Request& req, const std::string& type);
Response Patch(const Context& ctx, const Request& req, const std::string& type,
               const std::string& id);
Response ConditionalPatch(const Context& ctx, const Request& req, const std::string& type);
// type and id may be empty: system / type / instance history.
Response History(const Context& ctx, const Request& req, const std::string& type,
                 const std::string& id);
Response SearchType(const Context& ctx, const Request& req, const std::string& type);
Response Capabilities(const Context& ctx, const Request& req);
// POST [base] with a batch or transaction Bundle (bundle_entries.cc picks batch.cc or
// transaction.cc).
Response ProcessBundle(const Context& ctx, const Request& req);
Response Transaction(const Context& ctx, const Request& req, const json::Value& bundle);
Response Batch(const Context& ctx, const Request& req, const json::Value& bundle);

// Maps method + path to one interaction (router.cc). Bundles use it for their GET entries.
Response Dispatch(const Context& ctx, const Request& req);

// ---- In-transaction forms ------------------------------------------------------------------

// If-Match / If-None-Match of one write, from HTTP headers or from Bundle.entry.request.
struct Preconditions {
  std::optional<std::string> if_match;
  std::optional<std::string> if_none_match;

  static Preconditions FromHeaders(const Request& req);
};

// The outcome of one successful write (or of a conditional create that found a match).
struct EntryResult {
  int status = 200;  // 200, 201 or 204
  std::string type;
  std::string id;
  long version = 0;          // 0 when there is no version to name (delete of nothing)
  Micros last_modified = 0;  // 0 when unknown
  bool location = true;      // deletes name no Location
  std::string resource;      // the stored resource text; empty for deletes
  std::string message;       // for Prefer: return=OperationOutcome and delete outcomes
};

// The id of the resource `query` (an If-None-Exist value) matches, nullopt when none does;
// kMultipleMatches for more than one, kInvalid for unsupported criteria. Locks the criteria
// (LockAndMatch) until `txn` ends.
Result<std::optional<std::string>> MatchIfNoneExist(const Context& ctx, storage::Transaction& txn,
                                                    const std::string& type,
                                                    std::string_view query);
// Writes `resource` as version 1 of type/id (the caller assigns id). Does not commit.
Result<EntryResult> CreateInTransaction(const Context& ctx, storage::Transaction& txn,
                                        const std::string& type, const std::string& id,
                                        const json::Value& resource);
// A 200 result for the existing current version of type/id (conditional create that matched).
Result<EntryResult> ExistingInTransaction(storage::Transaction& txn, const std::string& type,
                                          const std::string& id);

// Writes `resource` as the next version of type/id (or version 1), honouring `pre`; identical
// content creates no version. Does not commit. kPreconditionFailed, kInvalid on failure.
Result<EntryResult> UpdateInTransaction(const Context& ctx, storage::Transaction& txn,
                                        const std::string& type, const std::string& id,
                                        const json::Value& resource, const Preconditions& pre);
// The id a conditional update `query` writes: the single match, else `body_id`, else a new id.
// kMultipleMatches, kConflict (body id exists but does not match), kInvalid on failure.
Result<std::string> ConditionalUpdateTarget(const Context& ctx, storage::Transaction& txn,
                                            const std::string& type, std::string_view query,
                                            const std::string& body_id);

// Writes a deletion of type/id honouring If-Match; kNotFound when it never existed; a no-op
// (204, no new version) when it is already deleted. Does not commit.
Result<EntryResult> DeleteInTransaction(storage::Transaction& txn, const std::string& type,
                                        const std::string& id, const Preconditions& pre);
// The id a conditional delete `query` deletes; nullopt when nothing matches;
// kMultipleMatches for more than one.
Result<std::optional<std::string>> ConditionalDeleteTarget(const Context& ctx,
                                                           storage::Transaction& txn,
                                                           const std::string& type,
                                                           std::string_view query);

// Applies `patch` (a JSON Patch array or a FHIRPath Patch Parameters resource) to the current
// version of type/id and writes the result as its next version (UpdateInTransaction). kNotFound /
// kDeleted when there is no current version, kPreconditionFailed for If-Match, kInvalid when the
// patch fails or changes the resourceType or id. Does not commit.
Result<EntryResult> PatchInTransaction(const Context& ctx, storage::Transaction& txn,
                                       const std::string& type, const std::string& id,
                                       const json::Value& patch, const Preconditions& pre);
// The id a conditional patch `query` patches: exactly one match, else kNotFound (none) or
// kMultipleMatches.
Result<std::string> ConditionalPatchTarget(const Context& ctx, storage::Transaction& txn,
                                           const std::string& type, std::string_view query);

// The single-request Response for a write's result, with the body Prefer: return asks for.
// Location is absolute (req.base_url).
Response EntryResponse(const Request& req, const EntryResult& result);

}  // namespace hestia::interactions
