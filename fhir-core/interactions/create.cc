// create: POST [base]/[type], and conditional create (If-None-Exist).
// FHIR R4: http://hl7.org/fhir/R4/http.html#create, http://hl7.org/fhir/R4/http.html#ccreate
#include "conditional.h"
#include "hestia/base/id.h"
#include "hestia/search/index.h"
#include "interactions.h"
#include "plugin_operations.h"

namespace hestia::interactions {

Result<std::optional<std::string>> MatchIfNoneExist(const Context& ctx, storage::Transaction& txn,
                                                    const std::string& type,
                                                    std::string_view query) {
  HESTIA_ASSIGN_OR_RETURN(auto matches, LockAndMatch(ctx, txn, type, query));
  if (matches.size() > 1) {
    return Status(StatusCode::kMultipleMatches,
                  "If-None-Exist '" + std::string(query) + "' matches more than one " + type);
  }
  if (matches.empty()) return std::optional<std::string>();
  return std::optional<std::string>(matches[0].id);
}

namespace {

// Version 1 of a new resource: id, meta and index rows set, body stamped.
Result<storage::NewVersion> FirstVersion(const Context& ctx, const std::string& type,
                                         const std::string& id, const json::Value& resource) {
  json::Document copy;
  copy.CopyFrom(resource, copy.GetAllocator());
  storage::NewVersion v;
  v.type = type;
  v.id = id;
  v.version = 1;
  v.last_updated = NextLastUpdated(0);
  v.method = "POST";
  // Before stamping, which moves the members out of `copy` (id and meta.versionId /
  // lastUpdated are columns of `resource`, not index rows).
  if (ctx.extractor == nullptr) return InternalError("index extraction is not configured");
  HESTIA_ASSIGN_OR_RETURN(v.index, ctx.extractor->Extract(type, copy, *ctx.Params()));
  v.body = StampResource(&copy, v.id, 1, v.last_updated);
  return v;
}

EntryResult Created(storage::NewVersion&& v) {
  EntryResult r;
  r.status = 201;
  r.type = v.type;
  r.id = v.id;
  r.version = 1;
  r.last_modified = v.last_updated;
  r.resource = std::move(v.body);
  r.message = "created " + v.type + "/" + v.id;
  return r;
}

}  // namespace

Result<EntryResult> CreateInTransaction(const Context& ctx, storage::Transaction& txn,
                                        const std::string& type, const std::string& id,
                                        const json::Value& resource) {
  HESTIA_ASSIGN_OR_RETURN(storage::NewVersion v, FirstVersion(ctx, type, id, resource));
  HESTIA_RETURN_IF_ERROR(PluginBeforeWrite(v));
  HESTIA_RETURN_IF_ERROR(txn.Write(v));
  return Created(std::move(v));
}

Result<EntryResult> ExistingInTransaction(storage::Transaction& txn, const std::string& type,
                                          const std::string& id) {
  HESTIA_ASSIGN_OR_RETURN(auto current, txn.LockCurrent(type, id));
  if (!current || current->deleted) {
    return InternalError(type + "/" + id + " matched but has no current version");
  }
  EntryResult r;
  r.status = 200;
  r.type = type;
  r.id = id;
  r.version = current->version;
  r.last_modified = current->last_updated;
  r.resource = std::move(current->body);
  r.message = "a matching resource exists; nothing was created";
  return r;
}

Response Create(const Context& ctx, const Request& req, const std::string& type) {
  json::Document doc;
  if (Status s = ParseResource(ctx, req, type, &doc); !s.ok()) return ErrorResponse(s);
  const std::string* if_none_exist = req.headers.Find("If-None-Exist");
  // The id a client puts in a create is ignored (http.html#create); the server assigns one.
  if (if_none_exist == nullptr) {
    // Nothing to read or lock first: one statement, one round trip, its own transaction.
    return RetryOnConflict([&]() -> Result<Response> {
      HESTIA_ASSIGN_OR_RETURN(storage::NewVersion v, FirstVersion(ctx, type, NewId(), doc));
      HESTIA_RETURN_IF_ERROR(PluginBeforeWrite(v));
      HESTIA_RETURN_IF_ERROR(ctx.store->WriteAutocommit(v));
      const EntryResult result = Created(std::move(v));
      PluginAfterWrite(plugins::WriteKind::kCreate, result);
      return EntryResponse(req, result);
    });
  }
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    std::optional<std::string> existing;
    if (if_none_exist != nullptr) {
      HESTIA_ASSIGN_OR_RETURN(existing, MatchIfNoneExist(ctx, *txn, type, *if_none_exist));
    }
    EntryResult result;
    if (existing) {
      // Nothing is written: answer with the existing resource (http.html#ccreate).
      HESTIA_ASSIGN_OR_RETURN(result, ExistingInTransaction(*txn, type, *existing));
    } else {
      HESTIA_ASSIGN_OR_RETURN(result, CreateInTransaction(ctx, *txn, type, NewId(), doc));
    }
    HESTIA_RETURN_IF_ERROR(txn->Commit());
    PluginAfterWrite(plugins::WriteKind::kCreate, result);
    return EntryResponse(req, result);
  });
}

}  // namespace hestia::interactions
