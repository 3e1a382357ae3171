// The FHIR REST service: routes a Request to one interaction and runs it.
//
// Owns: the wiring of registries, store and options into a Service (service.h). Each
// interaction lives in its own file (read.cc, vread.cc, create.cc, update.cc, delete.cc,
// history.cc, search_type.cc, capabilities.cc, patch.cc, batch.cc, transaction.cc); router.cc
// maps FHIR URLs to them.
// FHIR R4: http://hl7.org/fhir/R4/http.html
// Thread-safety: the returned Service is thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "hestia/base/json.h"
#include "hestia/interactions/service.h"
#include "hestia/resources/type_registry.h"
#include "hestia/search/parameter_registry.h"
#include "hestia/storage/store.h"

namespace hestia::plugins {
class PluginHost;
}  // namespace hestia::plugins

namespace hestia::interactions {

struct ServiceOptions {
  json::Limits json_limits;  // applied to every request body
  int default_count = 20;    // page size when the client sends no _count
  int max_count = 1000;      // _count above this is lowered to it
  // statement_timeout of each search statement (search.statement_timeout_ms); over it the
  // search answers 503 with an OperationOutcome (issue code timeout).
  int search_timeout_ms = 10000;
  // The definitions package (compartment definitions are read from it at start-up).
  std::string definitions_dir = HESTIA_DEFAULT_DEFINITIONS_DIR;
  // Entries accepted in one batch/transaction Bundle; more → 413 (bundle.max_entries). The
  // Bundle's size in bytes is bounded by json_limits.max_bytes (server.max_request_bytes).
  std::size_t bundle_max_entries = 10000;
  std::string software_version = HESTIA_VERSION;
  // server.public_base_url: absolute references starting with it are local ones (index
  // extraction, search values). "" = only relative references are local.
  std::string base_url;
  // Loaded plug-ins (custom operations, write interceptors); not owned, must outlive the
  // service. Null: no plug-ins.
  plugins::PluginHost* plugins = nullptr;
};

// `store` must outlive the service. Registries are shared.
std::unique_ptr<Service> MakeFhirService(std::shared_ptr<const resources::TypeRegistry> types,
                                         std::shared_ptr<const search::ParameterRegistry> params,
                                         storage::Store* store, ServiceOptions options);

}  // namespace hestia::interactions
