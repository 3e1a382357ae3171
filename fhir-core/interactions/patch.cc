// patch: PATCH [base]/[type]/[id] and conditional PATCH [base]/[type]?query with a JSON Patch
// body (application/json-patch+json, RFC 6902), version-aware with If-Match. The patched
// resource must keep its resourceType and id and pass the same checks as an update body; it is
// then written exactly as an update (identical content → no new version).
// FHIRPath Patch (a Parameters body) is not supported yet: 415 naming it.
// FHIR R4: http://hl7.org/fhir/R4/http.html#patch
// Thread-safety: stateless functions over a shared read-only Context.
#include <strings.h>

#include <algorithm>

#include "conditional.h"
#include "hestia/base/id.h"
#include "hestia/resources/json_patch.h"
#include "interactions.h"

namespace hestia::interactions {
namespace {

bool IsJsonPatchMediaType(const std::string* content_type) {
  if (content_type == nullptr) return false;
  std::string_view essence(*content_type);
  essence = essence.substr(0, essence.find(';'));
  while (!essence.empty() && essence.back() == ' ') essence.remove_suffix(1);
  constexpr std::string_view kJsonPatch = "application/json-patch+json";
  return essence.size() == kJsonPatch.size() &&
         strncasecmp(essence.data(), kJsonPatch.data(), kJsonPatch.size()) == 0;
}

// Parses the request body as a JSON Patch document.
Status ParsePatchBody(const Context& ctx, const Request& req, json::Document* patch) {
  if (!IsJsonPatchMediaType(req.headers.Find("Content-Type"))) {
    return Status(StatusCode::kUnsupportedMediaType,
                  "PATCH needs Content-Type application/json-patch+json; FHIRPath Patch "
                  "(a Parameters body) is not supported yet");
  }
  if (req.body.empty()) return InvalidError("the PATCH request has no body");
  HESTIA_RETURN_IF_ERROR(json::Parse(req.body, ctx.options.json_limits, patch));
  if (!patch->IsArray()) return InvalidError("a JSON Patch document must be a JSON array");
  return Status::Ok();
}

}  // namespace

Result<EntryResult> PatchInTransaction(const Context& ctx, storage::Transaction& txn,
                                       const std::string& type, const std::string& id,
                                       const json::Value& patch, const Preconditions& pre) {
  HESTIA_ASSIGN_OR_RETURN(auto current, txn.LockCurrent(type, id));
  if (!current) return NotFoundError(type + "/" + id + " is not known");
  if (current->deleted) return Status(StatusCode::kDeleted, type + "/" + id + " was deleted");
  json::Document doc;
  json::Limits limits = ctx.options.json_limits;
  limits.max_bytes = std::max(limits.max_bytes, current->body.size());
  HESTIA_RETURN_IF_ERROR(json::Parse(current->body, limits, &doc));
  HESTIA_RETURN_IF_ERROR(resources::ApplyJsonPatch(patch, &doc));
  if (!doc.IsObject()) return InvalidError("the patched resource is not a JSON object");
  if (json::StringMember(doc, "resourceType") != type) {
    return InvalidError("a patch must not change the resourceType of " + type + "/" + id,
                        "resourceType");
  }
  if (json::StringMember(doc, "id") != id) {
    return InvalidError("a patch must not change or remove the id of " + type + "/" + id, "id");
  }
  HESTIA_RETURN_IF_ERROR(CheckResource(doc, type));
  HESTIA_ASSIGN_OR_RETURN(EntryResult result, UpdateInTransaction(ctx, txn, type, id, doc, pre));
  if (result.message.rfind("no change", 0) != 0) result.message = "patched " + type + "/" + id;
  return result;
}

Result<std::string> ConditionalPatchTarget(const Context& ctx, storage::Transaction& txn,
                                           const std::string& type, std::string_view query) {
  HESTIA_ASSIGN_OR_RETURN(auto matches, LockAndMatch(ctx, txn, type, query));
  if (matches.size() > 1) {
    return Status(StatusCode::kMultipleMatches,
                  "the conditional patch matches more than one " + type);
  }
  if (matches.empty()) return NotFoundError("the conditional patch matches no " + type);
  return matches[0].id;
}

Response Patch(const Context& ctx, const Request& req, const std::string& type,
               const std::string& id) {
  json::Document patch;
  if (Status s = ParsePatchBody(ctx, req, &patch); !s.ok()) return ErrorResponse(s);
  if (!IsValidId(id)) return ErrorResponse(NotFoundError(type + "/" + id + " is not known"));
  const Preconditions pre = Preconditions::FromHeaders(req);
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    HESTIA_ASSIGN_OR_RETURN(EntryResult result,
                            PatchInTransaction(ctx, *txn, type, id, patch, pre));
    HESTIA_RETURN_IF_ERROR(txn->Commit());
    return EntryResponse(req, result);
  });
}

Response ConditionalPatch(const Context& ctx, const Request& req, const std::string& type) {
  json::Document patch;
  if (Status s = ParsePatchBody(ctx, req, &patch); !s.ok()) return ErrorResponse(s);
  const Preconditions pre = Preconditions::FromHeaders(req);
  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    HESTIA_ASSIGN_OR_RETURN(std::string id, ConditionalPatchTarget(ctx, *txn, type, req.raw_query));
    HESTIA_ASSIGN_OR_RETURN(EntryResult result,
                            PatchInTransaction(ctx, *txn, type, id, patch, pre));
    HESTIA_RETURN_IF_ERROR(txn->Commit());
    return EntryResponse(req, result);
  });
}

}  // namespace hestia::interactions
