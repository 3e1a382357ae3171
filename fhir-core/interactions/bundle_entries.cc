// Bundle entry processing. See bundle_entries.h.
// FHIR R4: http://hl7.org/fhir/R4/http.html#transaction
#include "bundle_entries.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "hestia/base/id.h"
#include "hestia/base/operation_outcome.h"
#include "hestia/base/time.h"
#include "hestia/base/uri.h"
#include "hestia/search/executor.h"
#include "hestia/search/query.h"

namespace hestia::interactions {
namespace {

// RFC 4648 base64 (the FHIR base64Binary type); whitespace is ignored.
Result<std::string> DecodeBase64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  int padding = 0;
  for (char c : in) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+') v = 62;
    if (c == '/') v = 63;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (v < 0 || padding > 0) return InvalidError("Binary.data is not valid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (padding > 2) return InvalidError("Binary.data is not valid base64");
  return out;
}

std::string StatusLine(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 201:
      return "201 Created";
    case 204:
      return "204 No Content";
    case 304:
      return "304 Not Modified";
    case 400:
      return "400 Bad Request";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 406:
      return "406 Not Acceptable";
    case 409:
      return "409 Conflict";
    case 410:
      return "410 Gone";
    case 412:
      return "412 Precondition Failed";
    case 413:
      return "413 Payload Too Large";
    case 415:
      return "415 Unsupported Media Type";
    case 500:
      return "500 Internal Server Error";
    case 503:
      return "503 Service Unavailable";
    default:
      return std::to_string(status);
  }
}

const json::Value* TextMember(const json::Value& object, std::string_view name) {
  const json::Value* v = json::Member(object, name);
  return v != nullptr && json::IsText(*v) ? v : nullptr;
}

std::optional<std::string> OptionalText(const json::Value& object, std::string_view name) {
  const json::Value* v = TextMember(object, name);
  if (v == nullptr) return std::nullopt;
  return std::string(json::AsStringView(*v));
}

// The patch of a PATCH entry (http.html#patch): a FHIRPath Patch is the Parameters resource
// itself (copied, so that the entry owns it); a JSON Patch is encoded in a Binary resource.
Result<std::shared_ptr<json::Document>> PatchFromEntry(const Context& ctx,
                                                       const json::Value* resource) {
  if (resource == nullptr) {
    return InvalidError(
        "a PATCH entry needs a resource: a Parameters (FHIRPath Patch) or a Binary (JSON Patch)",
        "resource");
  }
  const std::string_view rt = json::StringMember(*resource, "resourceType");
  if (rt == "Parameters") {
    auto patch = std::make_shared<json::Document>();
    patch->CopyFrom(*resource, patch->GetAllocator());
    return patch;
  }
  if (rt != "Binary") {
    return InvalidError(
        "a PATCH entry's resource must be a Parameters (FHIRPath Patch) or a Binary holding a "
        "JSON Patch",
        "resource");
  }
  const std::string_view content_type = json::StringMember(*resource, "contentType");
  if (content_type.substr(0, content_type.find(';')) != "application/json-patch+json") {
    return Status(StatusCode::kUnsupportedMediaType,
                  "a PATCH entry's Binary.contentType must be application/json-patch+json");
  }
  HESTIA_ASSIGN_OR_RETURN(std::string text, DecodeBase64(json::StringMember(*resource, "data")));
  auto patch = std::make_shared<json::Document>();
  HESTIA_RETURN_IF_ERROR(json::Parse(text, ctx.options.json_limits, patch.get()));
  if (!patch->IsArray()) return InvalidError("a JSON Patch document must be a JSON array");
  return patch;
}

}  // namespace

Result<BundleEntry> ParseEntry(const Context& ctx, const Request& req, const json::Value& entry,
                               int index) {
  BundleEntry e;
  e.index = index;
  if (!entry.IsObject()) return StructureError("the entry is not a JSON object");
  const json::Value* request = json::Member(entry, "request");
  if (request == nullptr || !request->IsObject()) {
    return InvalidError("the entry has no request (method and url)", "request");
  }
  e.method_name = std::string(json::StringMember(*request, "method"));
  e.url = std::string(json::StringMember(*request, "url"));
  e.full_url = std::string(json::StringMember(entry, "fullUrl"));
  e.if_none_exist = OptionalText(*request, "ifNoneExist");
  e.if_modified_since = OptionalText(*request, "ifModifiedSince");
  e.pre.if_match = OptionalText(*request, "ifMatch");
  e.pre.if_none_match = OptionalText(*request, "ifNoneMatch");
  if (const json::Value* r = json::Member(entry, "resource"); r != nullptr) e.resource = r;

  if (e.method_name == "GET") {
    e.method = EntryMethod::kGet;
  } else if (e.method_name == "POST") {
    e.method = EntryMethod::kPost;
  } else if (e.method_name == "PUT") {
    e.method = EntryMethod::kPut;
  } else if (e.method_name == "PATCH") {
    e.method = EntryMethod::kPatch;
  } else if (e.method_name == "DELETE") {
    e.method = EntryMethod::kDelete;
  } else {
    return InvalidError("request.method must be GET, POST, PUT, PATCH or DELETE", "request.method");
  }
  if (e.url.empty()) return InvalidError("the entry has no request.url", "request.url");

  std::string_view url = e.url;
  const std::string base = req.base_url + "/";
  if (url.substr(0, base.size()) == base) {
    url.remove_prefix(base.size());
  } else if (url.find("://") != std::string_view::npos) {
    return InvalidError("request.url must be relative to this server's base", "request.url");
  }
  if (!url.empty() && url.front() == '/') url.remove_prefix(1);
  const auto q = url.find('?');
  const std::string_view path = url.substr(0, q);
  if (q != std::string_view::npos) e.raw_query = std::string(url.substr(q + 1));
  auto segments = SplitPath("/" + std::string(path));
  if (!segments.ok()) return InvalidError(segments.status().message(), "request.url");
  e.path = std::move(segments).value();
  if (e.path.empty()) {
    return InvalidError("request.url must name a resource type", "request.url");
  }
  if (e.method == EntryMethod::kGet) return e;

  e.type = e.path[0];
  if (!ctx.types->IsResourceType(e.type)) {
    return InvalidError("'" + e.type + "' is not a FHIR R4 resource type", "request.url");
  }
  const bool instance = e.path.size() == 2 && e.raw_query.empty();
  const bool by_query = e.path.size() == 1 && !e.raw_query.empty();
  if (e.method == EntryMethod::kPost) {
    if (e.path.size() != 1) return InvalidError("a POST entry's url must be [type]", "request.url");
  } else if (!instance && !by_query) {
    return InvalidError("a " + e.method_name + " entry's url must be [type]/[id] or [type]?query",
                        "request.url");
  }
  if (instance) {
    e.id = e.path[1];
    if (!IsValidId(e.id)) {
      return InvalidError("'" + e.id + "' is not a valid resource id", "request.url");
    }
  }
  e.conditional = by_query;

  if (e.method == EntryMethod::kPost || e.method == EntryMethod::kPut) {
    if (e.resource == nullptr) {
      return InvalidError("a " + e.method_name + " entry needs a resource", "resource");
    }
    HESTIA_RETURN_IF_ERROR(CheckResource(*e.resource, e.type));
    if (e.method == EntryMethod::kPut && instance) {
      const std::string_view body_id = json::StringMember(*e.resource, "id");
      if (body_id != e.id) {
        return InvalidError(
            "resource id '" + std::string(body_id) + "' does not match the url id '" + e.id + "'",
            "resource.id");
      }
    }
  }
  if (e.method == EntryMethod::kPatch) {
    HESTIA_ASSIGN_OR_RETURN(e.patch, PatchFromEntry(ctx, e.resource));
  }
  return e;
}

Status RewriteReferences(json::Value* value, json::Allocator& alloc,
                         const ReferenceResolver& resolve) {
  if (value->IsObject()) {
    for (auto& m : value->GetObject()) {
      if (m.name == "reference" && json::IsText(m.value)) {
        HESTIA_ASSIGN_OR_RETURN(auto replacement, resolve(json::AsStringView(m.value)));
        if (replacement) m.value = json::MakeString(*replacement, alloc);
        continue;
      }
      HESTIA_RETURN_IF_ERROR(RewriteReferences(&m.value, alloc, resolve));
    }
  } else if (value->IsArray()) {
    for (auto& v : value->GetArray()) HESTIA_RETURN_IF_ERROR(RewriteReferences(&v, alloc, resolve));
  }
  return Status::Ok();
}

std::string RewriteQueryValues(const Context& ctx, const std::string& type, std::string_view query,
                               const std::map<std::string, std::string>& ids) {
  std::string out;
  bool first = true;
  while (true) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    const auto eq = part.find('=');
    if (!first) out += '&';
    first = false;
    const std::string_view name = part.substr(0, std::min(eq, part.find(':')));
    const search::SearchParameterDef* def = ctx.Params()->Find(type, name);
    if (eq != std::string_view::npos && def != nullptr && def->type == "reference") {
      auto it = ids.find(std::string(part.substr(eq + 1)));
      out += it != ids.end() ? std::string(part.substr(0, eq + 1)) + it->second : std::string(part);
    } else {
      out += part;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

Result<std::optional<std::string>> ConditionalReferences::Resolve(std::string_view reference) {
  const auto q = reference.find('?');
  if (q == std::string_view::npos || q == 0) return std::optional<std::string>();
  const std::string type(reference.substr(0, q));
  if (type.find('/') != std::string::npos || !ctx_.types->IsResourceType(type)) {
    return std::optional<std::string>();
  }
  if (auto it = cache_.find(reference); it != cache_.end()) {
    return std::optional<std::string>(it->second);
  }
  const auto registry = ctx_.Params();
  search::ParseOptions options;
  options.base_url = ctx_.options.base_url;
  auto criteria = search::ParseConditional(type, reference.substr(q + 1), *registry, options);
  if (!criteria.ok()) {
    return InvalidError("conditional reference '" + std::string(reference) +
                        "': " + criteria.status().message());
  }
  HESTIA_ASSIGN_OR_RETURN(auto matches, search::FindMatches(*criteria, *registry, 2, txn_));
  if (matches.empty()) {
    return InvalidError("conditional reference '" + std::string(reference) +
                        "' matches no resource");
  }
  if (matches.size() > 1) {
    return Status(StatusCode::kMultipleMatches, "conditional reference '" + std::string(reference) +
                                                    "' matches more than one resource");
  }
  std::string resolved = type + "/" + matches[0].id;
  cache_.emplace(std::string(reference), resolved);
  return std::optional<std::string>(std::move(resolved));
}

Result<WriteTarget> ResolveTarget(const Context& ctx, storage::Transaction& txn,
                                  const BundleEntry& entry, std::string_view condition) {
  WriteTarget t;
  switch (entry.method) {
    case EntryMethod::kPost: {
      if (entry.if_none_exist) {
        HESTIA_ASSIGN_OR_RETURN(auto existing, MatchIfNoneExist(ctx, txn, entry.type, condition));
        if (existing) {
          t.id = *existing;
          t.matched_existing = true;
          return t;
        }
      }
      t.id = NewId();
      return t;
    }
    case EntryMethod::kPut: {
      if (!entry.conditional) {
        t.id = entry.id;
        return t;
      }
      HESTIA_ASSIGN_OR_RETURN(
          t.id, ConditionalUpdateTarget(ctx, txn, entry.type, condition,
                                        std::string(json::StringMember(*entry.resource, "id"))));
      return t;
    }
    case EntryMethod::kPatch: {
      if (!entry.conditional) {
        t.id = entry.id;
        return t;
      }
      HESTIA_ASSIGN_OR_RETURN(t.id, ConditionalPatchTarget(ctx, txn, entry.type, condition));
      return t;
    }
    case EntryMethod::kDelete: {
      if (!entry.conditional) {
        t.id = entry.id;
        return t;
      }
      HESTIA_ASSIGN_OR_RETURN(auto target,
                              ConditionalDeleteTarget(ctx, txn, entry.type, condition));
      if (target) {
        t.id = *target;
      } else {
        t.nothing_to_do = true;
      }
      return t;
    }
    case EntryMethod::kGet:
      break;
  }
  return InternalError("a GET entry has no write target");
}

Result<EntryResult> ExecuteWrite(const Context& ctx, storage::Transaction& txn,
                                 const BundleEntry& entry, const WriteTarget& target,
                                 const ReferenceResolver& resolve) {
  if (target.nothing_to_do) {
    EntryResult r;
    r.status = 204;
    r.type = entry.type;
    r.location = false;
    r.message = "no " + entry.type + " matched; nothing deleted";
    return r;
  }
  if (target.matched_existing) return ExistingInTransaction(txn, entry.type, target.id);
  switch (entry.method) {
    case EntryMethod::kPost:
    case EntryMethod::kPut: {
      json::Document copy;
      copy.CopyFrom(*entry.resource, copy.GetAllocator());
      HESTIA_RETURN_IF_ERROR(RewriteReferences(&copy, copy.GetAllocator(), resolve));
      if (entry.method == EntryMethod::kPost) {
        return CreateInTransaction(ctx, txn, entry.type, target.id, copy);
      }
      return UpdateInTransaction(ctx, txn, entry.type, target.id, copy, entry.pre);
    }
    case EntryMethod::kPatch: {
      if (!entry.patch->IsObject() || resolve == nullptr) {
        return PatchInTransaction(ctx, txn, entry.type, target.id, *entry.patch, entry.pre);
      }
      // A FHIRPath Patch may add references to other entries (urn:uuid:…) in its values.
      json::Document copy;
      copy.CopyFrom(*entry.patch, copy.GetAllocator());
      HESTIA_RETURN_IF_ERROR(RewriteReferences(&copy, copy.GetAllocator(), resolve));
      return PatchInTransaction(ctx, txn, entry.type, target.id, copy, entry.pre);
    }
    case EntryMethod::kDelete:
      return DeleteInTransaction(txn, entry.type, target.id, entry.pre);
    case EntryMethod::kGet:
      break;
  }
  return InternalError("a GET entry is not a write");
}

Response RunGetEntry(const Context& ctx, const Request& req, const BundleEntry& entry) {
  Request sub;
  sub.method = "GET";
  sub.path = entry.path;
  sub.raw_query = entry.raw_query;
  auto query = ParseQuery(entry.raw_query);
  if (!query.ok()) return ErrorResponse(query.status());
  sub.query = std::move(query).value();
  if (entry.pre.if_none_match) sub.headers.Add("If-None-Match", *entry.pre.if_none_match);
  if (entry.if_modified_since) sub.headers.Add("If-Modified-Since", *entry.if_modified_since);
  sub.base_url = req.base_url;
  sub.request_id = req.request_id;
  return Dispatch(ctx, sub);
}

std::string ResultEntryJson(const Request& req, const EntryResult& result) {
  const PreferReturn prefer = ParsePreferReturn(req);
  std::string out = "{";
  if (result.location) {
    out += "\"fullUrl\":" + JsonString(req.base_url + "/" + result.type + "/" + result.id) + ",";
    if (prefer == PreferReturn::kRepresentation && !result.resource.empty()) {
      out += "\"resource\":" + result.resource + ",";
    }
  }
  out += "\"response\":{\"status\":" + JsonString(StatusLine(result.status));
  if (result.location) {
    out += ",\"location\":" + JsonString(result.type + "/" + result.id + "/_history/" +
                                         std::to_string(result.version));
  }
  if (result.version > 0) out += ",\"etag\":" + JsonString(ETagFor(result.version));
  if (result.last_modified > 0) {
    out += ",\"lastModified\":" + JsonString(FormatInstant(result.last_modified));
  }
  if (prefer == PreferReturn::kOperationOutcome) {
    out += ",\"outcome\":" + InformationOutcomeJson(result.message);
  }
  out += "}}";
  return out;
}

std::string ErrorEntryJson(const Status& status) {
  return "{\"response\":{\"status\":" + JsonString(StatusLine(HttpStatusFor(status.code()))) +
         ",\"outcome\":" + OperationOutcomeJson(status) + "}}";
}

std::string ResponseEntryJson(const Response& response) {
  std::string out = "{";
  if (response.status < 300 && !response.body.empty()) {
    out += "\"resource\":" + response.body + ",";
  }
  out += "\"response\":{\"status\":" + JsonString(StatusLine(response.status));
  if (const std::string* etag = response.headers.Find("ETag"); etag != nullptr) {
    out += ",\"etag\":" + JsonString(*etag);
  }
  if (const std::string* lm = response.headers.Find("Last-Modified"); lm != nullptr) {
    if (auto t = ParseHttpDate(*lm); t.ok()) {
      out += ",\"lastModified\":" + JsonString(FormatInstant(*t));
    }
  }
  if (response.status >= 400 && !response.body.empty()) {
    out += ",\"outcome\":" + response.body;
  }
  out += "}}";
  return out;
}

Status EntryError(const BundleEntry* entry, int index, const Status& status) {
  std::string where = "Bundle.entry[" + std::to_string(index) + "]";
  std::string what = where;
  if (entry != nullptr) what += " (" + entry->method_name + " " + entry->url + ")";
  return Status(status.code(), what + ": " + status.message(), where);
}

Response ProcessBundle(const Context& ctx, const Request& req) {
  if (req.body.empty()) {
    return ErrorResponse(InvalidError("POST on the base URL needs a batch or transaction Bundle"));
  }
  json::Document doc;
  if (Status s = json::Parse(req.body, ctx.options.json_limits, &doc); !s.ok()) {
    return ErrorResponse(s);
  }
  if (!doc.IsObject() || json::StringMember(doc, "resourceType") != "Bundle") {
    return ErrorResponse(InvalidError(
        "POST on the base URL needs a Bundle of type batch or transaction", "resourceType"));
  }
  const json::Value* entries = json::Member(doc, "entry");
  if (entries != nullptr && !entries->IsArray()) {
    return ErrorResponse(StructureError("Bundle.entry must be an array"));
  }
  const std::size_t count = entries != nullptr ? entries->Size() : 0;
  if (count > ctx.options.bundle_max_entries) {
    return ErrorResponse(Status(
        StatusCode::kTooLarge,
        "the Bundle has " + std::to_string(count) + " entries; this server accepts at most " +
            std::to_string(ctx.options.bundle_max_entries) + " (bundle.max_entries)",
        "Bundle.entry"));
  }
  const std::string_view type = json::StringMember(doc, "type");
  if (type == "transaction") return Transaction(ctx, req, doc);
  if (type == "batch") return Batch(ctx, req, doc);
  return ErrorResponse(
      InvalidError("Bundle.type must be batch or transaction to be processed; "
                   "got '" +
                       std::string(type) + "'",
                   "Bundle.type"));
}

}  // namespace hestia::interactions
