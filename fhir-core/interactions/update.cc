// update: PUT [base]/[type]/[id] (also update-as-create with a client id), version-aware
// with If-Match, create-only with If-None-Match: *, and conditional update PUT [type]?query.
// An update identical to the current version creates no new version.
// FHIR R4: http://hl7.org/fhir/R4/http.html#update, #concurrency, #cond-update
#include "conditional.h"
#include "hestia/base/id.h"
#include "hestia/search/criteria.h"
#include "interactions.h"

namespace hestia::interactions {

Result<Response> UpdateInTransaction(const Context& ctx, const Request& req,
                                     storage::Transaction& txn, const std::string& type,
                                     const std::string& id, json::Document& doc) {
  HESTIA_ASSIGN_OR_RETURN(auto current, txn.LockCurrent(type, id));
  const bool exists = current.has_value() && !current->deleted;
  if (const std::string* if_match = req.headers.Find("If-Match"); if_match != nullptr) {
    const long wanted = VersionFromETag(*if_match);
    if (wanted < 0) return InvalidError("If-Match must be a version ETag such as W/\"3\"");
    if (!exists || current->version != wanted) {
      return Status(StatusCode::kPreconditionFailed,
                    "If-Match " + *if_match + " does not match the current version" +
                        (current ? " " + ETagFor(current->version) : std::string()) + " of " +
                        type + "/" + id);
    }
  }
  if (const std::string* inm = req.headers.Find("If-None-Match"); inm != nullptr) {
    if (*inm != "*") return InvalidError("If-None-Match on update must be *");
    if (exists) {
      return Status(StatusCode::kPreconditionFailed,
                    type + "/" + id + " exists; If-None-Match: * allows creation only");
    }
  }
  if (exists && SameContent(current->body, doc)) {
    // No change: no new version, answer with the current one.
    return WriteResponse(req, 200, type, id, current->version, current->last_updated, current->body,
                         "no change; version " + std::to_string(current->version) + " kept");
  }
  storage::NewVersion v;
  if (current) v.existing_pk = current->pk;
  v.type = type;
  v.id = id;
  v.version = current ? current->version + 1 : 1;
  v.last_updated = NextLastUpdated(current ? current->last_updated : 0);
  v.method = "PUT";
  v.index = search::ExtractIndex(type, doc, *ctx.params);
  json::Document copy;
  copy.CopyFrom(doc, copy.GetAllocator());
  v.body = StampResource(&copy, id, v.version, v.last_updated);
  HESTIA_RETURN_IF_ERROR(txn.Write(v));
  HESTIA_RETURN_IF_ERROR(txn.Commit());
  return WriteResponse(req, exists ? 200 : 201, type, id, v.version, v.last_updated, v.body,
                       (exists ? "updated " : "created ") + type + "/" + id);
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
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    return UpdateInTransaction(ctx, req, *txn, type, id, doc);
  });
}

Response ConditionalUpdate(const Context& ctx, const Request& req, const std::string& type) {
  json::Document doc;
  if (Status s = ParseResource(ctx, req, type, &doc); !s.ok()) return ErrorResponse(s);
  const std::string body_id(json::StringMember(doc, "id"));
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    HESTIA_ASSIGN_OR_RETURN(auto matches, LockAndMatch(ctx, *txn, type, req.raw_query));
    if (matches.size() > 1) {
      return Status(StatusCode::kMultipleMatches,
                    "the conditional update matches more than one " + type);
    }
    std::string id;
    if (matches.size() == 1) {
      id = matches[0].id;
      if (!body_id.empty() && body_id != id) {
        return InvalidError(
            "resource id '" + body_id + "' differs from the matching resource '" + id + "'", "id");
      }
    } else if (!body_id.empty()) {
      HESTIA_ASSIGN_OR_RETURN(auto existing, txn->LockCurrent(type, body_id));
      if (existing && !existing->deleted) {
        return Status(StatusCode::kConflict,
                      type + "/" + body_id + " exists but does not match the condition");
      }
      id = body_id;
    } else {
      id = NewId();
    }
    return UpdateInTransaction(ctx, req, *txn, type, id, doc);
  });
}

}  // namespace hestia::interactions
