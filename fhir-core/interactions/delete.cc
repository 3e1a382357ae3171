// delete: DELETE [base]/[type]/[id] — a versioned tombstone (read → 410 afterwards, earlier
// versions stay readable with vread); conditional delete DELETE [type]?query (single match).
// FHIR R4: http://hl7.org/fhir/R4/http.html#delete, http://hl7.org/fhir/R4/http.html#cdelete
#include "conditional.h"
#include "hestia/base/id.h"
#include "hestia/base/operation_outcome.h"
#include "interactions.h"
#include "plugin_operations.h"

namespace hestia::interactions {

Result<EntryResult> DeleteInTransaction(storage::Transaction& txn, const std::string& type,
                                        const std::string& id, const Preconditions& pre) {
  HESTIA_ASSIGN_OR_RETURN(auto current, txn.LockCurrent(type, id));
  if (!current) return NotFoundError(type + "/" + id + " is not known");
  if (pre.if_match) {
    const long wanted = VersionFromETag(*pre.if_match);
    if (current->deleted || current->version != wanted) {
      return Status(StatusCode::kPreconditionFailed, "If-Match " + *pre.if_match +
                                                         " does not match the current version of " +
                                                         type + "/" + id);
    }
  }
  EntryResult r;
  r.status = 204;
  r.type = type;
  r.id = id;
  r.location = false;
  if (current->deleted) {
    // Deleting a deleted resource is a no-op: no new version (idempotent DELETE).
    r.version = current->version;
    r.message = type + "/" + id + " is already deleted";
    return r;
  }
  storage::NewVersion v;
  v.existing_pk = current->pk;
  v.type = type;
  v.id = id;
  v.version = current->version + 1;
  v.last_updated = NextLastUpdated(current->last_updated);
  v.deleted = true;
  v.method = "DELETE";
  HESTIA_RETURN_IF_ERROR(PluginBeforeWrite(v, current->body));
  HESTIA_RETURN_IF_ERROR(txn.Write(v));
  r.version = v.version;
  r.last_modified = v.last_updated;
  r.message = "deleted " + type + "/" + id;
  return r;
}

Result<std::optional<std::string>> ConditionalDeleteTarget(const Context& ctx,
                                                           storage::Transaction& txn,
                                                           const std::string& type,
                                                           std::string_view query) {
  HESTIA_ASSIGN_OR_RETURN(auto matches, LockAndMatch(ctx, txn, type, query));
  if (matches.size() > 1) {
    return Status(StatusCode::kMultipleMatches, "the conditional delete matches more than one " +
                                                    type +
                                                    "; this server deletes single matches only");
  }
  if (matches.empty()) return std::optional<std::string>();
  return std::optional<std::string>(matches[0].id);
}

Response Delete(const Context& ctx, const Request& req, const std::string& type,
                const std::string& id) {
  if (!IsValidId(id)) return ErrorResponse(NotFoundError(type + "/" + id + " is not known"));
  const Preconditions pre = Preconditions::FromHeaders(req);
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    HESTIA_ASSIGN_OR_RETURN(EntryResult result, DeleteInTransaction(*txn, type, id, pre));
    HESTIA_RETURN_IF_ERROR(txn->Commit());
    PluginAfterWrite(plugins::WriteKind::kDelete, result);
    return EntryResponse(req, result);
  });
}

Response ConditionalDelete(const Context& ctx, const Request& req, const std::string& type) {
  const Preconditions pre = Preconditions::FromHeaders(req);
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    HESTIA_ASSIGN_OR_RETURN(auto target, ConditionalDeleteTarget(ctx, *txn, type, req.raw_query));
    if (!target) {
      Response r;
      r.status = ParsePreferReturn(req) == PreferReturn::kOperationOutcome ? 200 : 204;
      if (r.status == 200) {
        r.body = InformationOutcomeJson("no " + type + " matched; nothing deleted");
      }
      return r;
    }
    HESTIA_ASSIGN_OR_RETURN(EntryResult result, DeleteInTransaction(*txn, type, *target, pre));
    HESTIA_RETURN_IF_ERROR(txn->Commit());
    PluginAfterWrite(plugins::WriteKind::kDelete, result);
    return EntryResponse(req, result);
  });
}

}  // namespace hestia::interactions
