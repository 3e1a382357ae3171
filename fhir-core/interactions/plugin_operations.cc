// Plug-in operations and write interceptors. See plugin_operations.h.
// FHIR R4: http://hl7.org/fhir/R4/operations.html (invoking operations: GET with simple
// parameters, or POST with a Parameters resource)
#include "plugin_operations.h"

#include <hestia/plugin.h>

#include "hestia/base/log.h"
#include "hestia/base/operation_outcome.h"
#include "hestia/base/uri.h"
#include "hestia/interactions/plugin_gateway.h"

namespace hestia::interactions {
namespace {

thread_local const Context* current_ctx = nullptr;
thread_local const Request* current_req = nullptr;

plugins::Caller CallerOf(const Request& req) {
  plugins::Caller c;
  if (const std::string* auth = req.headers.Find("Authorization"); auth != nullptr) {
    c.authorization = *auth;
  }
  c.request_id = req.request_id;
  c.base_url = req.base_url;
  return c;
}

// A Parameters resource with one valueString per query parameter (operations.html: "simple"
// GET parameters).
std::string ParametersFromQuery(const Request& req) {
  std::string out = R"({"resourceType":"Parameters")";
  bool first = true;
  for (const auto& [name, value] : req.query) {
    if (name.empty() || name[0] == '_') continue;  // _format, _pretty belong to the server
    out += first ? R"(,"parameter":[)" : ",";
    first = false;
    out += R"({"name":)" + JsonString(name) + R"(,"valueString":)" + JsonString(value) + "}";
  }
  if (!first) out += "]";
  return out + "}";
}

plugins::WriteInfo InfoOf(plugins::WriteKind kind, const EntryResult& r) {
  plugins::WriteInfo w;
  w.kind = kind;
  w.type = r.type;
  w.id = r.id;
  w.version = r.version;
  w.resource = r.resource;
  return w;
}

}  // namespace

PluginScope::PluginScope(const Context& ctx, const Request& req)
    : previous_ctx_(current_ctx), previous_req_(current_req) {
  current_ctx = &ctx;
  current_req = &req;
}

PluginScope::~PluginScope() {
  current_ctx = static_cast<const Context*>(previous_ctx_);
  current_req = static_cast<const Request*>(previous_req_);
}

Response PluginOperation(const Context& ctx, const Request& req, uint32_t level,
                         const std::string& type, const std::string& id, const std::string& name) {
  const std::string bare = name.substr(1);
  plugins::PluginHost* host = ctx.options.plugins;
  // $name must end the path: [base]/$name, [base]/[type]/$name, [base]/[type]/[id]/$name.
  const std::size_t depth = level == HESTIA_OP_SYSTEM ? 1 : level == HESTIA_OP_TYPE ? 2 : 3;
  if (host == nullptr || req.path.size() != depth || !host->HasOperation(level, type, bare)) {
    return ErrorResponse(NotSupportedError("operation " + name + " is not supported"));
  }
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (!get && req.method != "POST") {
    return ErrorResponse(
        {StatusCode::kMethodNotAllowed, req.method + " is not allowed for operation " + name});
  }
  std::string parameters;
  if (get) {
    parameters = ParametersFromQuery(req);
  } else {
    json::Document doc;
    if (Status s = json::Parse(req.body, ctx.options.json_limits, &doc); !s.ok()) {
      return ErrorResponse(s);
    }
    if (!doc.IsObject() || json::StringMember(doc, "resourceType").empty()) {
      return ErrorResponse(InvalidError("the body of " + name +
                                        " must be a FHIR resource "
                                        "(usually Parameters)"));
    }
    parameters = req.body;
  }
  plugins::OperationCall call;
  call.level = level;
  call.name = bare;
  call.method = get ? "GET" : "POST";
  call.type = type;
  call.id = id;
  call.parameters = parameters;
  auto result = host->InvokeOperation(CallerOf(req), call);
  if (!result.ok()) return ErrorResponse(result.status());
  Response r;
  r.status = result->status;
  r.body = std::move(result->body);
  return r;
}

Status PluginBeforeWrite(const storage::NewVersion& version, std::string_view previous) {
  if (current_ctx == nullptr || current_ctx->options.plugins == nullptr) return Status::Ok();
  plugins::PluginHost* host = current_ctx->options.plugins;
  if (!host->HasInterceptors()) return Status::Ok();
  plugins::WriteInfo w;
  w.kind = version.deleted        ? plugins::WriteKind::kDelete
           : version.version == 1 ? plugins::WriteKind::kCreate
                                  : plugins::WriteKind::kUpdate;
  w.type = version.type;
  w.id = version.id;
  w.version = version.version;
  if (!version.deleted) w.resource = version.body;
  w.previous = previous;
  return host->BeforeWrite(CallerOf(*current_req), w);
}

void PluginAfterWrite(plugins::WriteKind kind, const EntryResult& result) {
  if (current_ctx == nullptr || current_ctx->options.plugins == nullptr) return;
  plugins::PluginHost* host = current_ctx->options.plugins;
  if (!host->HasInterceptors()) return;
  if (kind == plugins::WriteKind::kCreate && result.status != 201) return;  // matched, no write
  if (kind == plugins::WriteKind::kUpdate && result.status == 201) {
    kind = plugins::WriteKind::kCreate;
  }
  host->AfterWrite(CallerOf(*current_req), InfoOf(kind, result));
}

void PluginAfterWrite(const EntryResult& result) {
  if (!result.location) {
    PluginAfterWrite(plugins::WriteKind::kDelete, result);
  } else {
    PluginAfterWrite(
        result.status == 201 ? plugins::WriteKind::kCreate : plugins::WriteKind::kUpdate, result);
  }
}

void PluginAfterWrites(const std::vector<std::optional<EntryResult>>& results) {
  for (const auto& r : results) {
    if (r) PluginAfterWrite(*r);
  }
}

std::vector<conformance::OperationEntry> PluginCapabilityOperations(const Context& ctx) {
  std::vector<conformance::OperationEntry> out;
  if (ctx.options.plugins == nullptr) return out;
  for (const auto& op : ctx.options.plugins->Operations()) {
    const bool system_level = (op.levels & HESTIA_OP_SYSTEM) != 0;
    const bool type_level = (op.levels & (HESTIA_OP_TYPE | HESTIA_OP_INSTANCE)) != 0;
    if (system_level || (type_level && op.type.empty())) {
      out.push_back({op.name, op.definition_url, ""});
    }
    if (type_level && !op.type.empty()) out.push_back({op.name, op.definition_url, op.type});
  }
  return out;
}

plugins::Gateway MakePluginGateway(Service* service) {
  return [service](const plugins::GatewayRequest& g) -> plugins::GatewayResponse {
    Request req;
    req.method = g.method;
    auto path = SplitPath(g.path.empty() ? g.path : "/" + g.path);
    if (!path.ok()) return {400, OperationOutcomeJson(path.status())};
    req.path = std::move(path).value();
    auto query = ParseQuery(g.query);
    if (!query.ok()) return {400, OperationOutcomeJson(query.status())};
    req.query = std::move(query).value();
    req.raw_query = g.query;
    req.body = g.body;
    if (!g.body.empty()) req.headers.Add("Content-Type", "application/fhir+json");
    if (!g.caller.authorization.empty()) req.headers.Add("Authorization", g.caller.authorization);
    req.headers.Add("Prefer",
                    g.method == "DELETE" ? "return=OperationOutcome" : "return=representation");
    req.base_url = g.caller.base_url;
    req.request_id = g.caller.request_id;
    Response r = service->Handle(req);
    return {r.status, std::move(r.body)};
  };
}

}  // namespace hestia::interactions
