// The FHIR URL dispatcher: maps method + path under the base to one interaction (Dispatch, also
// used for the GET entries of Bundles), and is the FhirService (fhir_service.h) the HTTP layer
// calls. Thread-safety: FhirService is immutable after construction.
// FHIR R4: http://hl7.org/fhir/R4/http.html (summary table of interactions)
#include <exception>

#include "hestia/base/log.h"
#include "hestia/conformance/capability_statement.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/interactions/fhir_service.h"
#include "interactions.h"
#include "plugin_operations.h"
#include "reindex.h"
#include "search.h"

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
    if (ctx_.registry_slot == nullptr) {
      ctx_.registry_slot = std::make_shared<search::RegistrySlot>(ctx_.params);
    }
    if (ctx_.compartments == nullptr) {
      auto compartments = resources::Compartments::LoadFromPackage(ctx_.options.definitions_dir);
      if (compartments.ok()) {
        ctx_.compartments = std::move(compartments).value();
      } else {
        // Compartment search then answers "no compartment"; everything else works.
        log::Error("compartment definitions not loaded",
                   {{"error", compartments.status().ToString()}});
        ctx_.compartments = std::make_shared<resources::Compartments>();
      }
    }
    reindexer_ = std::make_unique<Reindexer>(&ctx_);
    ctx_.reindexer = reindexer_.get();
    reindexer_->Start();  // re-activates run-time SearchParameters before the statement is built
    ctx_.capability_statement = conformance::BuildCapabilityStatement(
        *ctx_.types, *ctx_.Params(), ctx_.options.software_version,
        PluginCapabilityOperations(ctx_));
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
  std::unique_ptr<Reindexer> reindexer_;  // destroyed first: its thread reads ctx_
};

}  // namespace

Response Dispatch(const Context& ctx, const Request& req) {
  const auto& p = req.path;
  const std::string& m = req.method;
  const bool get = m == "GET" || m == "HEAD";
  const PluginScope plugin_scope(ctx, req);
  if (p.empty()) {
    if (m == "POST") return Tagged(ProcessBundle(ctx, req), "bundle");
    if (get) return Tagged(SearchSystem(ctx, req), "search-system");
    return NotAllowed(m, "the base URL");
  }
  if (p.size() == 1 && p[0] == "_search") {
    return m == "POST" ? Tagged(SearchSystem(ctx, req), "search-system")
                       : NotAllowed(m, "_search (POST form parameters to it)");
  }
  if (p.size() == 1 && p[0] == "$reindex") return Tagged(Reindex(ctx, req, "", ""), "operation");
  if (!p[0].empty() && p[0][0] == '$') {
    return Tagged(PluginOperation(ctx, req, HESTIA_OP_SYSTEM, "", "", p[0]), "operation");
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
  if (p.size() == 2 && p[1] == "$reindex") return Tagged(Reindex(ctx, req, type, ""), "operation");
  if (p.size() == 3 && p[2] == "$reindex") {
    return Tagged(Reindex(ctx, req, type, p[1]), "operation");
  }
  if (p.size() == 2 && p[1] == "$explain" && get) {
    Request explain = req;
    explain.query.emplace_back("_explain", "true");
    return Tagged(SearchType(ctx, explain, type), "search-type");
  }
  if (p.size() >= 2 && !p[1].empty() && p[1][0] == '$') {
    return Tagged(PluginOperation(ctx, req, HESTIA_OP_TYPE, type, "", p[1]), "operation");
  }
  if (p.size() >= 3 && !p[2].empty() && p[2][0] == '$') {
    return Tagged(PluginOperation(ctx, req, HESTIA_OP_INSTANCE, type, p[1], p[2]), "operation");
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
    return m == "POST" ? Tagged(SearchType(ctx, req, type), "search-type")
                       : NotAllowed(m, type + "/_search (POST form parameters to it)");
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
  if (p.size() == 3 && (p[2] == "*" || ctx.types->IsResourceType(p[2]))) {
    return get ? Tagged(SearchCompartment(ctx, req, type, id, p[2]), "search-compartment")
               : NotAllowed(m, type + "/" + id + "/" + p[2]);
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
  // Index extraction evaluates every SearchParameter's FHIRPath expression on each write.
  // Without an engine writes answer 500 (they could not be found by search otherwise).
  if (auto engine = fhirpath::Engine::Create(ctx.types); engine.ok()) {
    ctx.extractor =
        std::make_shared<const search::Extractor>(std::move(engine).value(), ctx.options.base_url);
  } else {
    log::Error("FHIRPath engine for index extraction not built",
               {{"error", engine.status().ToString()}});
  }
  return std::make_unique<FhirService>(std::move(ctx));
}

}  // namespace hestia::interactions
