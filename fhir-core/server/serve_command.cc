// `hestia serve`: wiring of configuration, definitions, storage, the FHIR service and HTTP.
// Thread-safety: runs on the main thread; worker threads are owned by HttpServer and Pool.
#include "serve_command.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>

#include "demo_loader.h"
#include "hestia/base/config.h"
#include "hestia/base/log.h"
#include "hestia/interactions/fhir_service.h"
#include "hestia/resources/type_registry.h"
#include "hestia/rest/http_server.h"
#include "hestia/search/parameter_registry.h"
#include "hestia/storage/embedded_cluster.h"
#include "hestia/storage/store.h"
#include "options.h"

namespace hestia::server {
namespace {

int Fail(const Status& s) {
  log::Error("start-up failed", {{"error", s.ToString()}});
  std::fprintf(stderr, "hestia: %s\n", s.ToString().c_str());
  return 1;
}

// `var` names the declared variable, so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define HESTIA_INT_OPTION(var, key, min, max)                 \
  auto var##_result = config.GetInt(key, min, max);           \
  if (!var##_result.ok()) return Fail(var##_result.status()); \
  const long var = *var##_result
// NOLINTEND(bugprone-macro-parentheses)

}  // namespace

int RunServeCommand(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << "Usage: hestia serve [options]\n\nStarts the FHIR R4 server. Every option is "
                   "also a hestia.yaml key and a HESTIA_… environment variable;\nprecedence: "
                   "flag > environment > hestia.yaml > default.\n\n"
                << Config::HelpText(ServeOptions());
      return 0;
    }
  }
  auto loaded = Config::Load(ServeOptions(), argc, argv);
  if (!loaded.ok()) return Fail(loaded.status());
  const Config& config = *loaded;
  if (!log::SetLevel(config.Get("log.level"))) {
    return Fail(InvalidError("log.level must be debug, info, warn or error"));
  }

  // Block the stop signals in every thread we start; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  HESTIA_INT_OPTION(port, "server.port", 0, 65535);
  HESTIA_INT_OPTION(threads, "server.threads", 1, 256);
  HESTIA_INT_OPTION(max_request, "server.max_request_bytes", 1024, 1L << 31);
  HESTIA_INT_OPTION(header_timeout, "server.header_timeout_ms", 100, 3600000);
  HESTIA_INT_OPTION(body_timeout, "server.body_timeout_ms", 100, 3600000);
  HESTIA_INT_OPTION(keepalive_timeout, "server.keepalive_timeout_ms", 100, 3600000);
  HESTIA_INT_OPTION(pool_size, "database.pool_size", 1, 1000);
  HESTIA_INT_OPTION(statement_timeout, "database.statement_timeout_ms", 0, 86400000);
  HESTIA_INT_OPTION(acquire_timeout, "database.acquire_timeout_ms", 1, 600000);
  HESTIA_INT_OPTION(startup_timeout, "database.startup_timeout_ms", 0, 600000);
  HESTIA_INT_OPTION(json_depth, "json.max_depth", 2, 10000);
  HESTIA_INT_OPTION(json_number, "json.max_number_length", 8, 4096);
  HESTIA_INT_OPTION(default_count, "search.default_count", 1, 100000);
  HESTIA_INT_OPTION(max_count, "search.max_count", 1, 100000);
  HESTIA_INT_OPTION(bundle_max_entries, "bundle.max_entries", 1, 10000000);

  // Start-up runs three independent jobs at once, so that a restart after a crash is ready
  // in the time of the slowest one rather than the sum: the type registry here (cached beside
  // the package after the first parse), the search parameters and the database (start-up,
  // crash recovery, migrations) on their own threads.
  const std::string definitions = config.Get("fhir.definitions");
  auto params_job =
      std::async(std::launch::async, search::ParameterRegistry::LoadFromPackage, definitions);

  struct Database {
    std::unique_ptr<storage::EmbeddedCluster> cluster;
    std::unique_ptr<storage::Store> store;
  };
  storage::StoreOptions store_options;
  store_options.url = config.Get("database.url");
  store_options.pool_size = static_cast<int>(pool_size);
  store_options.statement_timeout_ms = static_cast<int>(statement_timeout);
  store_options.acquire_timeout_ms = static_cast<int>(acquire_timeout);
  store_options.startup_timeout_ms = static_cast<int>(startup_timeout);
  const std::string data_dir = std::filesystem::absolute(config.Get("database.data_dir"));
  auto database_job =
      std::async(std::launch::async, [&store_options, &data_dir]() -> Result<Database> {
        Database db;
        if (store_options.url.empty()) {
          storage::ClusterOptions cluster_options;
          cluster_options.data_dir = data_dir;
          HESTIA_ASSIGN_OR_RETURN(db.cluster, storage::EmbeddedCluster::Start(cluster_options));
          // The cluster's monitor thread, not this one, forks and supervises postgres, so this
          // thread may end.
          db.cluster->Supervise();
          store_options.url = db.cluster->ConnectionString();
        }
        HESTIA_ASSIGN_OR_RETURN(db.store, storage::Store::Open(store_options));
        return db;
      });

  auto types = resources::TypeRegistry::LoadFromPackage(definitions);
  auto params = params_job.get();
  auto database = database_job.get();
  if (!types.ok()) {
    return Fail(InternalError(types.status().message() +
                              " (run scripts/setup.sh to fetch the definitions package)"));
  }
  if (!params.ok()) return Fail(params.status());
  log::Info("definitions loaded",
            {{"resource_types", static_cast<long>((*types)->ResourceTypes().size())},
             {"search_parameters", static_cast<long>((*params)->size())},
             {"package", definitions}});
  if (!database.ok()) return Fail(database.status());
  std::unique_ptr<storage::EmbeddedCluster> cluster = std::move(database->cluster);
  auto store = std::move(database->store);

  interactions::ServiceOptions service_options;
  service_options.json_limits.max_bytes = static_cast<std::size_t>(max_request);
  service_options.json_limits.max_depth = static_cast<int>(json_depth);
  service_options.json_limits.max_number_length = static_cast<std::size_t>(json_number);
  service_options.default_count = static_cast<int>(default_count);
  service_options.max_count = static_cast<int>(max_count);
  service_options.bundle_max_entries = static_cast<std::size_t>(bundle_max_entries);
  std::shared_ptr<interactions::Service> service =
      interactions::MakeFhirService(*types, *params, store.get(), service_options);

  rest::HttpOptions http;
  http.host = config.Get("server.host");
  http.port = static_cast<int>(port);
  http.threads = static_cast<int>(threads);
  http.max_request_bytes = static_cast<std::size_t>(max_request);
  http.header_timeout_ms = static_cast<int>(header_timeout);
  http.body_timeout_ms = static_cast<int>(body_timeout);
  http.keepalive_timeout_ms = static_cast<int>(keepalive_timeout);
  http.base_path = config.Get("server.base_path");
  http.public_base_url = config.Get("server.public_base_url");

  if (config.GetBool("demo.load")) {
    const std::string base = http.public_base_url.empty()
                                 ? "http://localhost:" + std::to_string(port) + http.base_path
                                 : http.public_base_url;
    if (Status s = LoadDemoData(config.Get("demo.file"), *store, *service, base); !s.ok()) {
      return Fail(s);
    }
  }

  auto server = rest::HttpServer::Start(http, service);
  if (!server.ok()) return Fail(server.status());
  const std::string shown_host = http.host == "0.0.0.0" ? "localhost" : http.host;
  const std::string base_url =
      "http://" + shown_host + ":" + std::to_string((*server)->port()) + http.base_path;
  log::Info("hestia ready", {{"base_url", base_url}, {"threads", threads}});
  std::printf("Hestia FHIR R4 server ready at %s  (Ctrl-C stops it)\n", base_url.c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  log::Info("stopping", {{"signal", signal}});
  (*server)->Shutdown();
  server->reset();
  service.reset();
  store.reset();
  if (cluster) {
    if (Status s = cluster->Stop(storage::EmbeddedCluster::StopMode::kFast); !s.ok()) {
      log::Warn("embedded PostgreSQL did not stop cleanly", {{"error", s.ToString()}});
    }
  }
  log::Info("stopped");
  return 0;
}

}  // namespace hestia::server
