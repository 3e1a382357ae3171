// Opening and closing the server's core objects. See runtime.h.
#include "runtime.h"

#include <algorithm>
#include <filesystem>
#include <future>

#include "hestia/base/log.h"
#include "hestia/interactions/fhir_service.h"
#include "hestia/interactions/plugin_gateway.h"
#include "hestia/storage/plugin_store.h"

namespace hestia::server {

void Runtime::Close() {
  if (plugins) plugins->Stop();
  service.reset();
  plugins.reset();
  store.reset();
  if (cluster) {
    if (Status s = cluster->Stop(storage::EmbeddedCluster::StopMode::kFast); !s.ok()) {
      log::Warn("embedded PostgreSQL did not stop cleanly", {{"error", s.ToString()}});
    }
    cluster.reset();
  }
}

Result<Runtime> OpenRuntime(const Config& config, const RuntimeMinimums& minimums, bool supervise) {
  HESTIA_ASSIGN_OR_RETURN(const long pool_size, config.GetInt("database.pool_size", 1, 1000));
  HESTIA_ASSIGN_OR_RETURN(const long statement_timeout,
                          config.GetInt("database.statement_timeout_ms", 0, 86400000));
  HESTIA_ASSIGN_OR_RETURN(const long acquire_timeout,
                          config.GetInt("database.acquire_timeout_ms", 1, 600000));
  HESTIA_ASSIGN_OR_RETURN(const long startup_timeout,
                          config.GetInt("database.startup_timeout_ms", 0, 600000));
  HESTIA_ASSIGN_OR_RETURN(const long max_request,
                          config.GetInt("server.max_request_bytes", 1024, 1L << 31));
  HESTIA_ASSIGN_OR_RETURN(const long json_depth, config.GetInt("json.max_depth", 2, 10000));
  HESTIA_ASSIGN_OR_RETURN(const long json_number, config.GetInt("json.max_number_length", 8, 4096));
  HESTIA_ASSIGN_OR_RETURN(const long default_count,
                          config.GetInt("search.default_count", 1, 100000));
  HESTIA_ASSIGN_OR_RETURN(const long max_count, config.GetInt("search.max_count", 1, 100000));
  HESTIA_ASSIGN_OR_RETURN(const long search_timeout,
                          config.GetInt("search.statement_timeout_ms", 0, 86400000));
  HESTIA_ASSIGN_OR_RETURN(const long bundle_max_entries,
                          config.GetInt("bundle.max_entries", 1, 10000000));

  Runtime rt;
  // Plug-ins first: a refused one fails start-up before the database starts, and they register
  // in init, before the service builds its CapabilityStatement. Their jobs and events start
  // once the service can answer their FHIR calls (below).
  HESTIA_ASSIGN_OR_RETURN(rt.plugins, plugins::PluginHost::LoadConfigured(
                                          config.Get("plugins.dir"), config.Get("plugins.config"),
                                          config.Get("plugins.list")));
  rt.data_dir = std::filesystem::absolute(config.Get("database.data_dir"));
  const std::string definitions = config.Get("fhir.definitions");
  auto params_job =
      std::async(std::launch::async, search::ParameterRegistry::LoadFromPackage, definitions);

  storage::StoreOptions store_options;
  store_options.url = config.Get("database.url");
  store_options.pool_size = static_cast<int>(std::max<long>(pool_size, minimums.pool_size));
  store_options.statement_timeout_ms = static_cast<int>(statement_timeout);
  store_options.acquire_timeout_ms = static_cast<int>(acquire_timeout);
  store_options.startup_timeout_ms = static_cast<int>(startup_timeout);
  store_options.booking_patient_exclusive = config.GetBool("booking.patient_exclusive");
  struct Database {
    std::unique_ptr<storage::EmbeddedCluster> cluster;
    std::unique_ptr<storage::Store> store;
  };
  auto database_job = std::async(std::launch::async, [&]() -> Result<Database> {
    Database db;
    if (store_options.url.empty()) {
      storage::ClusterOptions cluster_options;
      cluster_options.data_dir = rt.data_dir;
      HESTIA_ASSIGN_OR_RETURN(db.cluster, storage::EmbeddedCluster::Start(cluster_options));
      // The cluster's monitor thread, not this one, forks and supervises postgres.
      if (supervise) db.cluster->Supervise();
      store_options.url = db.cluster->ConnectionString();
    }
    HESTIA_ASSIGN_OR_RETURN(db.store, storage::Store::Open(store_options));
    return db;
  });

  auto types = resources::TypeRegistry::LoadFromPackage(definitions);
  auto params = params_job.get();
  auto database = database_job.get();
  if (!types.ok()) {
    return InternalError(types.status().message() +
                         " (run scripts/setup.sh to fetch the definitions package)");
  }
  if (!params.ok()) return params.status();
  log::Info("definitions loaded",
            {{"resource_types", static_cast<long>((*types)->ResourceTypes().size())},
             {"search_parameters", static_cast<long>((*params)->size())},
             {"package", definitions}});
  if (!database.ok()) return database.status();
  rt.types = std::move(types).value();
  rt.params = (*params)->WithElementTypes(*rt.types);
  rt.cluster = std::move(database->cluster);
  rt.store = std::move(database->store);

  interactions::ServiceOptions service_options;
  service_options.json_limits.max_bytes =
      std::max(static_cast<std::size_t>(max_request), minimums.json_max_bytes);
  service_options.json_limits.max_depth = static_cast<int>(json_depth);
  service_options.json_limits.max_number_length = static_cast<std::size_t>(json_number);
  service_options.default_count = static_cast<int>(default_count);
  service_options.max_count = static_cast<int>(max_count);
  service_options.search_timeout_ms = static_cast<int>(search_timeout);
  service_options.definitions_dir = definitions;
  // Absolute references on this server's public base index as local ones.
  service_options.base_url = config.Get("server.public_base_url");
  service_options.bundle_max_entries =
      std::max(static_cast<std::size_t>(bundle_max_entries), minimums.bundle_max_entries);
  service_options.plugins = rt.plugins.get();
  rt.service = interactions::MakeFhirService(rt.types, rt.params, rt.store.get(), service_options);
  HESTIA_ASSIGN_OR_RETURN(auto plugin_store, storage::PluginStore::Open(store_options));
  HESTIA_RETURN_IF_ERROR(rt.plugins->Start(interactions::MakePluginGateway(rt.service.get()),
                                           std::move(plugin_store)));
  return rt;
}

}  // namespace hestia::server
