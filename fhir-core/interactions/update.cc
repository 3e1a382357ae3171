// update: PUT [base]/[type]/[id] (also update-as-create with a client id), version-aware
// with If-Match, create-only with If-None-Match: *, and conditional update PUT [type]?query.
// An update identical to the current version creates no new version.
// FHIR R4: http://hl7.org/fhir/R4/http.html#update, #concurrency, #cond-update
#include "conditional.h"
#include "hestia/base/id.h"
#include "hestia/search/index.h"
#include "interactions.h"
#include "plugin_operations.h"

namespace hestia::interactions {

Result<EntryResult> UpdateInTransaction(const Context& ctx, storage::Transaction& txn,
                                        const std::string& type, const std::string& id,
                                        const json::Value& resource, const Preconditions& pre) {
  HESTIA_ASSIGN_OR_RETURN(auto current, txn.LockCurrent(type, id));
  const bool exists = current.has_value() && !current->deleted;
  if (pre.if_match) {
    const long wanted = VersionFromETag(*pre.if_match);
    if (wanted < 0) return InvalidError("If-Match must be a version ETag such as W/\"3\"");
    if (!exists || current->version != wanted) {
      return Status(StatusCode::kPreconditionFailed,
                    "If-Match " + *pre.if_match + " does not match the current version" +
                        (current ? " " + ETagFor(current->version) : std::string()) + " of " +
                        type + "/" + id);
    }
  }
  if (pre.if_none_match) {
    if (*pre.if_none_match != "*") return InvalidError("If-None-Match on update must be *");
    if (exists) {
      return Status(StatusCode::kPreconditionFailed,
                    type + "/" + id + " exists; If-None-Match: * allows creation only");
    }
  }
  EntryResult r;
  r.type = type;
  r.id = id;
  if (exists && SameContent(current->body, resource)) {
    // No change: no new version, answer with the current one.
    r.status = 200;
    r.version = current->version;
    r.last_modified = current->last_updated;
    r.resource = std::move(current->body);
    r.message = "no change; version " + std::to_string(r.version) + " kept";
    return r;
  }
  storage::NewVersion v;
  if (current) v.existing_pk = current->pk;
  v.type = type;
  v.id = id;
  v.version = current ? current->version + 1 : 1;
  v.last_updated = NextLastUpdated(current ? current->last_updated : 0);
  v.method = "PUT";
  if (ctx.extractor == nullptr) return InternalError("index extraction is not configured");
  HESTIA_ASSIGN_OR_RETURN(v.index, ctx.extractor->Extract(type, resource, *ctx.Params()));
  json::Document copy;
  copy.CopyFrom(resource, copy.GetAllocator());
  v.body = StampResource(&copy, id, v.version, v.last_updated);
  HESTIA_RETURN_IF_ERROR(PluginBeforeWrite(v, exists ? current->body : std::string()));
  HESTIA_RETURN_IF_ERROR(txn.Write(v));
  r.status = exists ? 200 : 201;
  r.version = v.version;
  r.last_modified = v.last_updated;
  r.resource = std::move(v.body);
  r.message = (exists ? "updated " : "created ") + type + "/" + id;
  return r;
}

Result<std::string> ConditionalUpdateTarget(const Context& ctx, storage::Transaction& txn,
                                            const std::string& type, std::string_view query,
                                            const std::string& body_id) {
  HESTIA_ASSIGN_OR_RETURN(auto matches, LockAndMatch(ctx, txn, type, query));
  if (matches.size() > 1) {
    return Status(StatusCode::kMultipleMatches,
                  "the conditional update matches more than one " + type);
  }
  if (matches.size() == 1) {
    if (!body_id.empty() && body_id != matches[0].id) {
      return InvalidError("resource id '" + body_id + "' differs from the matching resource '" +
                              matches[0].id + "'",
                          "id");
    }
    return matches[0].id;
  }
  if (body_id.empty()) return NewId();
  HESTIA_ASSIGN_OR_RETURN(auto existing, txn.LockCurrent(type, body_id));
  if (existing && !existing->deleted) {
    return Status(StatusCode::kConflict,
                  type + "/" + body_id + " exists but does not match the condition");
  }
  return body_id;
}

Response Update(const Context& ctx, const Request& req, const std::string& type,
                const std::string& id) {
  json::Document doc;
  if (Status s = ParseResource(ctx, req, type, &doc); !s.ok()) return ErrorResponse(s);
  const std::string_view body_id = json::StringMember(doc, "id");
  if (body_id.empty()) {
    return ErrorResponse(InvalidError("the resource must have an id equal to the URL id", "id"));
  }
  if (body_id != id) {
    return ErrorResponse(InvalidError(
        "resource id '" + std::string(body_id) + "' does not match the URL id '" + id + "'", "id"));
  }
  const Preconditions pre = Preconditions::FromHeaders(req);
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    HESTIA_ASSIGN_OR_RETURN(EntryResult result, UpdateInTransaction(ctx, *txn, type, id, doc, pre));
    HESTIA_RETURN_IF_ERROR(txn->Commit());
    PluginAfterWrite(plugins::WriteKind::kUpdate, result);
    return EntryResponse(req, result);
  });
}

Response ConditionalUpdate(const Context& ctx, const Request& req, const std::string& type) {
  json::Document doc;
  if (Status s = ParseResource(ctx, req, type, &doc); !s.ok()) return ErrorResponse(s);
  const std::string body_id(json::StringMember(doc, "id"));
  const Preconditions pre = Preconditions::FromHeaders(req);
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    HESTIA_ASSIGN_OR_RETURN(std::string id,
                            ConditionalUpdateTarget(ctx, *txn, type, req.raw_query, body_id));
    HESTIA_ASSIGN_OR_RETURN(EntryResult result, UpdateInTransaction(ctx, *txn, type, id, doc, pre));
    HESTIA_RETURN_IF_ERROR(txn->Commit());
    PluginAfterWrite(plugins::WriteKind::kUpdate, result);
    return EntryResponse(req, result);
  });
}

}  // namespace hestia::interactions
