// The FHIR URL dispatcher: maps method + path under the base to one interaction (Dispatch, also
// used for the GET entries of Bundles), and is the FhirService (fhir_service.h) the HTTP layer
// calls. Thread-safety: FhirService is immutable after construction.
// FHIR R4: http://hl7.org/fhir/R4/http.html (summary table of interactions)
#include <exception>

#include "hestia/base/log.h"
#include "hestia/conformance/capability_statement.h"
#include "hestia/interactions/fhir_service.h"
#include "interactions.h"

namespace hestia::interactions {
namespace {

Response NotAllowed(const std::string& method, const std::string& what) {
  return ErrorResponse({StatusCode::kMethodNotAllowed, method + " is not supported on " + what});
}

Response Tagged(Response r, const char* interaction) {
  r.interaction = interaction;
  return r;
}

class FhirService final : public Service {
 public:
  explicit FhirService(Context ctx) : ctx_(std::move(ctx)) {
    ctx_.capability_statement = conformance::BuildCapabilityStatement(
        *ctx_.types, *ctx_.params, ctx_.options.software_version);
  }

  Response Handle(const Request& req) override {
    try {
      return Route(req);
    } catch (const std::exception& e) {
      log::Error("unhandled exception", {{"request_id", req.request_id}, {"what", e.what()}});
      return Tagged(ErrorResponse(InternalError("internal error; see the server log for request " +
                                                req.request_id)),
                    "error");
    }
  }

  Status CheckReady() override { return ctx_.store->Ping(); }

  void AppendMetrics(std::string* out) override {
    const storage::PoolStats s = ctx_.store->Stats();
    *out +=
        "# HELP hestia_db_pool_connections Database connections by state.\n"
        "# TYPE hestia_db_pool_connections gauge\n";
    *out += "hestia_db_pool_connections{state=\"max\"} " + std::to_string(s.size) + "\n";
    *out += "hestia_db_pool_connections{state=\"in_use\"} " + std::to_string(s.in_use) + "\n";
    *out +=
        "# HELP hestia_db_pool_waiting Requests waiting for a database connection.\n"
        "# TYPE hestia_db_pool_waiting gauge\n";
    *out += "hestia_db_pool_waiting " + std::to_string(s.waiting) + "\n";
    *out +=
        "# HELP hestia_db_connect_failures_total Failed attempts to connect to the database.\n"
        "# TYPE hestia_db_connect_failures_total counter\n";
    *out += "hestia_db_connect_failures_total " + std::to_string(s.connect_failures) + "\n";
  }

 private:
  Response Route(const Request& req) { return Dispatch(ctx_, req); }

  Context ctx_;
};

}  // namespace

Response Dispatch(const Context& ctx, const Request& req) {
  const auto& p = req.path;
  const std::string& m = req.method;
  const bool get = m == "GET" || m == "HEAD";
  if (p.empty()) {
    if (m == "POST") return Tagged(ProcessBundle(ctx, req), "bundle");
    return Tagged(ErrorResponse({StatusCode::kMethodNotAllowed,
                                 m + " on the base URL (system search) is not supported by this "
                                     "server yet; POST a batch or transaction Bundle"}),
                  "system");
  }
  if (!p[0].empty() && p[0][0] == '$') {
    return Tagged(ErrorResponse(NotSupportedError("operation " + p[0] + " is not supported")),
                  "operation");
  }
  if (p.size() == 1 && p[0] == "metadata") {
    return get ? Tagged(Capabilities(ctx, req), "capabilities") : NotAllowed(m, "metadata");
  }
  if (p.size() == 1 && p[0] == "_history") {
    return get ? Tagged(History(ctx, req, "", ""), "history-system") : NotAllowed(m, "_history");
  }
  const std::string& type = p[0];
  if (!ctx.types->IsResourceType(type)) {
    return Tagged(
        ErrorResponse({StatusCode::kUnknownType, "'" + type + "' is not a FHIR R4 resource type"}),
        "unknown");
  }
  if (p.size() >= 2 && !p[1].empty() && p[1][0] == '$') {
    return Tagged(ErrorResponse(NotSupportedError("operation " + p[1] + " is not supported")),
                  "operation");
  }
  if (p.size() >= 3 && !p[2].empty() && p[2][0] == '$') {
    return Tagged(ErrorResponse(NotSupportedError("operation " + p[2] + " is not supported")),
                  "operation");
  }
  if (p.size() == 1) {
    if (get) return Tagged(SearchType(ctx, req, type), "search-type");
    if (m == "POST") return Tagged(Create(ctx, req, type), "create");
    if (m == "PUT" && !req.raw_query.empty()) {
      return Tagged(ConditionalUpdate(ctx, req, type), "update");
    }
    if (m == "DELETE" && !req.raw_query.empty()) {
      return Tagged(ConditionalDelete(ctx, req, type), "delete");
    }
    if (m == "PATCH" && !req.raw_query.empty()) {
      return Tagged(ConditionalPatch(ctx, req, type), "patch");
    }
    return NotAllowed(m, type);
  }
  if (p.size() == 2 && p[1] == "_history") {
    return get ? Tagged(History(ctx, req, type, ""), "history-type")
               : NotAllowed(m, type + "/_history");
  }
  if (p.size() == 2 && p[1] == "_search") {
    return NotAllowed(m, type + "/_search (use GET search)");
  }
  const std::string& id = p[1];
  if (p.size() == 2) {
    if (get) return Tagged(Read(ctx, req, type, id), "read");
    if (m == "PUT") return Tagged(Update(ctx, req, type, id), "update");
    if (m == "DELETE") return Tagged(Delete(ctx, req, type, id), "delete");
    if (m == "PATCH") return Tagged(Patch(ctx, req, type, id), "patch");
    return NotAllowed(m, type + "/" + id);
  }
  if (p.size() == 3 && p[2] == "_history") {
    return get ? Tagged(History(ctx, req, type, id), "history-instance")
               : NotAllowed(m, type + "/" + id + "/_history");
  }
  if (p.size() == 4 && p[2] == "_history") {
    return get ? Tagged(VRead(ctx, req, type, id, p[3]), "vread")
               : NotAllowed(m, type + "/" + id + "/_history/" + p[3]);
  }
  return Tagged(ErrorResponse(NotFoundError("no FHIR interaction at this URL")), "unknown");
}

std::unique_ptr<Service> MakeFhirService(std::shared_ptr<const resources::TypeRegistry> types,
                                         std::shared_ptr<const search::ParameterRegistry> params,
                                         storage::Store* store, ServiceOptions options) {
  Context ctx;
  ctx.types = std::move(types);
  ctx.params = std::move(params);
  ctx.store = store;
  ctx.options = std::move(options);
  return std::make_unique<FhirService>(std::move(ctx));
}

}  // namespace hestia::interactions
