// Helpers shared by the interactions. See context.h.
#include "context.h"

#include <algorithm>
#include <cstring>

#include "hestia/base/id.h"
#include "hestia/base/operation_outcome.h"
#include "hestia/base/time.h"
#include "interactions.h"

namespace hestia::interactions {

Status ParseResource(const Context& ctx, const Request& req, std::string_view type,
                     json::Document* doc) {
  if (req.body.empty())
    return InvalidError("the request has no body; a " + std::string(type) +
                        " resource was expected");
  HESTIA_RETURN_IF_ERROR(json::Parse(req.body, ctx.options.json_limits, doc));
  return CheckResource(*doc, type);
}

Status CheckResource(const json::Value& resource, std::string_view type) {
  const json::Value* doc = &resource;
  if (!doc->IsObject()) return StructureError("the body is not a JSON object");
  const json::Value* rt = json::Member(*doc, "resourceType");
  if (rt == nullptr || !json::IsText(*rt)) {
    return InvalidError("the resource has no resourceType", "resourceType");
  }
  const std::string_view actual = json::AsStringView(*rt);
  if (actual != type) {
    return InvalidError("resourceType '" + std::string(actual) + "' does not match the URL type '" +
                            std::string(type) + "'",
                        "resourceType");
  }
  if (const json::Value* id = json::Member(*doc, "id"); id != nullptr) {
    if (!json::IsText(*id) || !IsValidId(json::AsStringView(*id))) {
      return InvalidError("id must be 1-64 characters of A-Z a-z 0-9 - .", "id");
    }
  }
  if (const json::Value* meta = json::Member(*doc, "meta"); meta != nullptr && !meta->IsObject()) {
    return InvalidError("meta must be an object", "meta");
  }
  return Status::Ok();
}

std::string StampResource(json::Document* doc, std::string_view id, long version,
                          Micros last_updated) {
  auto& a = doc->GetAllocator();
  json::Value out(rapidjson::kObjectType);
  out.AddMember("resourceType", (*doc)["resourceType"], a);
  out.AddMember("id", json::MakeString(id, a), a);
  json::Value meta(rapidjson::kObjectType);
  meta.AddMember("versionId", json::MakeString(std::to_string(version), a), a);
  meta.AddMember("lastUpdated", json::MakeString(FormatInstant(last_updated), a), a);
  if (auto it = doc->FindMember("meta"); it != doc->MemberEnd() && it->value.IsObject()) {
    for (auto& m : it->value.GetObject()) {
      if (m.name == "versionId" || m.name == "lastUpdated") continue;
      meta.AddMember(m.name, m.value, a);
    }
  }
  out.AddMember("meta", meta, a);
  for (auto& m : doc->GetObject()) {
    if (m.name == "resourceType" || m.name == "id" || m.name == "meta") continue;
    out.AddMember(m.name, m.value, a);
  }
  return json::Write(out);
}

namespace {

void StripVolatile(json::Value* v) {
  if (!v->IsObject()) return;
  v->RemoveMember("id");
  auto meta = v->FindMember("meta");
  if (meta == v->MemberEnd() || !meta->value.IsObject()) return;
  meta->value.RemoveMember("versionId");
  meta->value.RemoveMember("lastUpdated");
  if (meta->value.MemberCount() == 0) v->RemoveMember("meta");
}

}  // namespace

bool SameContent(std::string_view stored_body, const json::Value& incoming) {
  json::Document stored;
  json::Limits limits;
  limits.max_bytes = std::max<std::size_t>(limits.max_bytes, stored_body.size());
  if (!json::Parse(stored_body, limits, &stored).ok()) return false;
  json::Document copy;
  copy.CopyFrom(incoming, copy.GetAllocator());
  StripVolatile(&stored);
  StripVolatile(&copy);
  return stored == copy;
}

PreferReturn ParsePreferReturn(const Request& req) {
  const std::string* prefer = req.headers.Find("Prefer");
  if (prefer == nullptr) return PreferReturn::kRepresentation;
  if (prefer->find("return=minimal") != std::string::npos) return PreferReturn::kMinimal;
  if (prefer->find("return=OperationOutcome") != std::string::npos) {
    return PreferReturn::kOperationOutcome;
  }
  return PreferReturn::kRepresentation;
}

bool PreferLenient(const Request& req) {
  const std::string* prefer = req.headers.Find("Prefer");
  return prefer != nullptr && prefer->find("handling=lenient") != std::string::npos;
}

Response WriteResponse(const Request& req, int status, std::string_view type, std::string_view id,
                       long version, Micros last_updated, const std::string& body,
                       std::string_view outcome_message) {
  Response r;
  r.status = status;
  r.headers.Add("Location", req.base_url + "/" + std::string(type) + "/" + std::string(id) +
                                "/_history/" + std::to_string(version));
  r.headers.Add("ETag", ETagFor(version));
  r.headers.Add("Last-Modified", FormatHttpDate(last_updated));
  switch (ParsePreferReturn(req)) {
    case PreferReturn::kRepresentation:
      r.body = body;
      break;
    case PreferReturn::kMinimal:
      break;
    case PreferReturn::kOperationOutcome:
      r.body = InformationOutcomeJson(outcome_message);
      break;
  }
  return r;
}

Preconditions Preconditions::FromHeaders(const Request& req) {
  Preconditions p;
  if (const std::string* v = req.headers.Find("If-Match"); v != nullptr) p.if_match = *v;
  if (const std::string* v = req.headers.Find("If-None-Match"); v != nullptr) p.if_none_match = *v;
  return p;
}

Response EntryResponse(const Request& req, const EntryResult& result) {
  if (!result.location) {
    // A deletion: 204, or 200 with an OperationOutcome when the client prefers one.
    Response r;
    r.status = ParsePreferReturn(req) == PreferReturn::kOperationOutcome ? 200 : 204;
    if (result.version > 0) r.headers.Add("ETag", ETagFor(result.version));
    if (r.status == 200) r.body = InformationOutcomeJson(result.message);
    return r;
  }
  return WriteResponse(req, result.status, result.type, result.id, result.version,
                       result.last_modified, result.resource, result.message);
}

Response ReadResponse(long version, Micros last_updated, std::string body) {
  Response r;
  r.status = 200;
  r.headers.Add("ETag", ETagFor(version));
  r.headers.Add("Last-Modified", FormatHttpDate(last_updated));
  r.body = std::move(body);
  return r;
}

std::string JsonString(std::string_view s) { return json::Quote(s); }

std::string SelfLink(const Request& req) {
  std::string link = req.base_url;
  for (const auto& seg : req.path) link += "/" + seg;
  if (!req.raw_query.empty()) link += "?" + req.raw_query;
  return link;
}

std::string QueryWithout(const Request& req, std::string_view name) {
  std::string out;
  std::string_view rest = req.raw_query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    const std::string_view key = part.substr(0, part.find('='));
    if (key != name && !part.empty()) out += (out.empty() ? "" : "&") + std::string(part);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

Response RetryOnConflict(const std::function<Result<Response>()>& attempt) {
  Status last;
  for (int i = 0; i < 5; ++i) {
    Result<Response> r = attempt();
    if (r.ok()) return std::move(r).value();
    if (r.status().code() != StatusCode::kAborted) return ErrorResponse(r.status());
    last = r.status();
  }
  return ErrorResponse(last);
}

Micros NextLastUpdated(Micros previous) {
  return std::max(TruncateToMillis(NowMicros()), previous);
}

}  // namespace hestia::interactions
