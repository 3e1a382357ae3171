// delete: DELETE [base]/[type]/[id] — a versioned tombstone (read → 410 afterwards, earlier
// versions stay readable with vread); conditional delete DELETE [type]?query (single match).
// FHIR R4: http://hl7.org/fhir/R4/http.html#delete, http://hl7.org/fhir/R4/http.html#cdelete
#include "conditional.h"
#include "hestia/base/id.h"
#include "hestia/base/operation_outcome.h"
#include "interactions.h"

namespace hestia::interactions {
namespace {

// Deletes type/id inside txn. `must_exist`: 404 when the resource never existed.
Result<Response> DeleteInTransaction(const Request& req, storage::Transaction& txn,
                                     const std::string& type, const std::string& id,
                                     bool must_exist) {
  HESTIA_ASSIGN_OR_RETURN(auto current, txn.LockCurrent(type, id));
  if (!current) {
    if (must_exist) return NotFoundError(type + "/" + id + " is not known");
  }
  if (const std::string* if_match = req.headers.Find("If-Match"); if_match != nullptr) {
    const long wanted = VersionFromETag(*if_match);
    if (!current || current->deleted || current->version != wanted) {
      return Status(
          StatusCode::kPreconditionFailed,
          "If-Match " + *if_match + " does not match the current version of " + type + "/" + id);
    }
  }
  Response r;
  r.status = ParsePreferReturn(req) == PreferReturn::kOperationOutcome ? 200 : 204;
  if (!current || current->deleted) {
    // Deleting a deleted resource is a no-op: no new version (idempotent DELETE).
    if (current) r.headers.Add("ETag", ETagFor(current->version));
    if (r.status == 200) r.body = InformationOutcomeJson(type + "/" + id + " is already deleted");
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
  HESTIA_RETURN_IF_ERROR(txn.Write(v));
  HESTIA_RETURN_IF_ERROR(txn.Commit());
  r.headers.Add("ETag", ETagFor(v.version));
  if (r.status == 200) r.body = InformationOutcomeJson("deleted " + type + "/" + id);
  return r;
}

}  // namespace

Response Delete(const Context& ctx, const Request& req, const std::string& type,
                const std::string& id) {
  if (!IsValidId(id)) return ErrorResponse(NotFoundError(type + "/" + id + " is not known"));
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    return DeleteInTransaction(req, *txn, type, id, /*must_exist=*/true);
  });
}

Response ConditionalDelete(const Context& ctx, const Request& req, const std::string& type) {
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    HESTIA_ASSIGN_OR_RETURN(auto matches, LockAndMatch(ctx, *txn, type, req.raw_query));
    if (matches.size() > 1) {
      return Status(StatusCode::kMultipleMatches, "the conditional delete matches more than one " +
                                                      type +
                                                      "; this server deletes single matches only");
    }
    if (matches.empty()) {
      Response r;
      r.status = ParsePreferReturn(req) == PreferReturn::kOperationOutcome ? 200 : 204;
      if (r.status == 200)
        r.body = InformationOutcomeJson("no " + type + " matched; nothing deleted");
      return r;
    }
    return DeleteInTransaction(req, *txn, type, matches[0].id, /*must_exist=*/true);
  });
}

}  // namespace hestia::interactions
