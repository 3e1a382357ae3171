// patch: PATCH [base]/[type]/[id] and conditional PATCH [base]/[type]?query with a JSON Patch
// body (application/json-patch+json, RFC 6902) or a FHIRPath Patch body (a Parameters resource
// as application/fhir+json or application/json), version-aware with If-Match. The patched
// resource must keep its resourceType and id and pass the same checks as an update body; it is
// then written exactly as an update (identical content → no new version).
// FHIR R4: http://hl7.org/fhir/R4/http.html#patch, http://hl7.org/fhir/R4/fhirpatch.html
// Thread-safety: stateless functions over a shared read-only Context; the FHIRPath engine for
// patches is built once per type registry under a mutex and is itself thread-safe.
#include <strings.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "conditional.h"
#include "hestia/base/id.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/fhirpath/patch.h"
#include "hestia/resources/json_patch.h"
#include "interactions.h"
#include "plugin_operations.h"

namespace hestia::interactions {
namespace {

enum class PatchFormat { kJsonPatch, kFhirPathPatch, kUnsupported };

bool IsParameters(const json::Value& body) {
  return body.IsObject() && json::StringMember(body, "resourceType") == "Parameters";
}

PatchFormat FormatOf(const std::string* content_type) {
  if (content_type == nullptr) return PatchFormat::kUnsupported;
  std::string_view essence(*content_type);
  essence = essence.substr(0, essence.find(';'));
  while (!essence.empty() && essence.back() == ' ') essence.remove_suffix(1);
  auto is = [&](std::string_view media_type) {
    return essence.size() == media_type.size() &&
           strncasecmp(essence.data(), media_type.data(), media_type.size()) == 0;
  };
  if (is("application/json-patch+json")) return PatchFormat::kJsonPatch;
  if (is("application/fhir+json") || is("application/json")) return PatchFormat::kFhirPathPatch;
  return PatchFormat::kUnsupported;
}

// Parses the request body as a JSON Patch array or a FHIRPath Patch Parameters resource.
Status ParsePatchBody(const Context& ctx, const Request& req, json::Document* patch) {
  const PatchFormat format = FormatOf(req.headers.Find("Content-Type"));
  if (format == PatchFormat::kUnsupported) {
    return Status(StatusCode::kUnsupportedMediaType,
                  "PATCH needs Content-Type application/json-patch+json (JSON Patch) or "
                  "application/fhir+json (FHIRPath Patch, a Parameters resource)");
  }
  if (req.body.empty()) return InvalidError("the PATCH request has no body");
  HESTIA_RETURN_IF_ERROR(json::Parse(req.body, ctx.options.json_limits, patch));
  if (format == PatchFormat::kJsonPatch && !patch->IsArray()) {
    return InvalidError("a JSON Patch document must be a JSON array");
  }
  if (format == PatchFormat::kFhirPathPatch && !IsParameters(*patch)) {
    return InvalidError("a FHIRPath Patch body must be a Parameters resource");
  }
  return Status::Ok();
}

// The FHIRPath engine for `ctx.types`, built on first use (seconds: it indexes the whole type
// model) and kept for as long as the process serves that registry.
Result<std::shared_ptr<const fhirpath::Engine>> PatchEngine(const Context& ctx) {
  static std::mutex mu;
  static std::shared_ptr<const fhirpath::Engine> engine;
  static const resources::TypeRegistry* built_for = nullptr;
  if (ctx.types == nullptr) return InternalError("FHIRPath Patch needs the type registry");
  const std::lock_guard<std::mutex> lock(mu);
  if (engine == nullptr || built_for != ctx.types.get()) {
    HESTIA_ASSIGN_OR_RETURN(engine, fhirpath::Engine::Create(ctx.types));
    built_for = ctx.types.get();
  }
  return engine;
}

Status ApplyPatch(const Context& ctx, const json::Value& patch, json::Document* doc) {
  if (patch.IsArray()) return resources::ApplyJsonPatch(patch, doc);
  if (!IsParameters(patch)) {
    return InvalidError("a patch must be a JSON Patch array or a Parameters resource");
  }
  HESTIA_ASSIGN_OR_RETURN(auto engine, PatchEngine(ctx));
  return fhirpath::ApplyFhirPathPatch(*engine, patch, doc);
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
  HESTIA_RETURN_IF_ERROR(ApplyPatch(ctx, patch, &doc));
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
    PluginAfterWrite(plugins::WriteKind::kUpdate, result);
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
    PluginAfterWrite(plugins::WriteKind::kUpdate, result);
    return EntryResponse(req, result);
  });
}

}  // namespace hestia::interactions
