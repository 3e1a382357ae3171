// The server's core objects, opened once from configuration: definitions, database and the
// FHIR service. `hestia serve` puts HTTP in front of them; `hestia import` calls the service
// in-process. One place decides how they are wired, so both commands honour the same options.
// Thread-safety: opened and closed on one thread; the service and store are thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "hestia/base/config.h"
#include "hestia/base/status.h"
#include "hestia/interactions/service.h"
#include "hestia/plugins/host.h"
#include "hestia/resources/type_registry.h"
#include "hestia/search/parameter_registry.h"
#include "hestia/storage/embedded_cluster.h"
#include "hestia/storage/store.h"

namespace hestia::server {

// Raises configured values for callers with larger needs (import's big files and workers).
struct RuntimeMinimums {
  int pool_size = 1;
  std::size_t json_max_bytes = 0;
  std::size_t bundle_max_entries = 0;
};

// Members are destroyed in reverse order: service, store, then the embedded cluster.
struct Runtime {
  std::shared_ptr<const resources::TypeRegistry> types;
  std::shared_ptr<const search::ParameterRegistry> params;
  std::unique_ptr<storage::EmbeddedCluster> cluster;  // null when database.url is set
  std::string data_dir;                               // absolute database.data_dir
  std::unique_ptr<storage::Store> store;
  std::shared_ptr<interactions::Service> service;
  // Declared after the service so it is destroyed (threads stopped, plug-ins shut down) first.
  std::unique_ptr<plugins::PluginHost> plugins;

  // Stops the service, the pool and the embedded cluster (fast shutdown), logging a failure.
  void Close();
};

// Loads the definitions, starts the embedded cluster (supervised when `supervise`) or connects
// to database.url, opens the store (migrations, durability checks) and builds the service.
// The three start-up jobs run in parallel, so a restart takes the time of the slowest.
// Errors: kInvalid for bad option values; the failing step's Status otherwise.
Result<Runtime> OpenRuntime(const Config& config, const RuntimeMinimums& minimums, bool supervise);

}  // namespace hestia::server
