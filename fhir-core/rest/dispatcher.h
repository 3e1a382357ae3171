// The HTTP layer's request pipeline, from a parsed HTTP request to the response bytes' content.
//
// Owns: routing (/healthz, /readyz, /metrics, the FHIR base, 404 elsewhere), request ids,
// content negotiation, the Request handed to interactions::Service, _pretty, the response
// headers, the OperationOutcome on every 4xx/5xx, exception containment, the access log and
// the metrics. It knows nothing about sockets or Pistache, so unit tests and fuzzers drive
// it directly.
// Thread-safety: Handle may be called concurrently; the Dispatcher is immutable apart from
// its metrics (internally synchronised).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "hestia/interactions/service.h"
#include "hestia/rest/http_server.h"
#include "metrics.h"
#include "wire.h"

namespace hestia::rest {

class Dispatcher {
 public:
  Dispatcher(HttpOptions options, std::shared_ptr<interactions::Service> service);

  // The bound port, used for base URLs when a request has no usable Host header.
  void set_port(int port) { port_.store(port, std::memory_order_relaxed); }

  // Produces the response for one complete request. Never throws.
  WireResponse Handle(const WireRequest& request) noexcept;

  // The response for a request that failed before it could be dispatched (malformed head,
  // body over the limit): OperationOutcome body, counted and logged like any other.
  WireResponse Reject(const Status& status, std::string_view method,
                      std::string_view target) noexcept;

  const HttpOptions& options() const { return options_; }

 private:
  struct Outcome;
  WireResponse Finish(Outcome outcome, std::string_view method, std::string_view target) noexcept;
  void Route(const WireRequest& request, Outcome* outcome);
  void HandleFhir(const WireRequest& request, std::string_view path, std::string_view query,
                  Outcome* outcome);
  std::string BaseUrl(const WireRequest& request) const;

  HttpOptions options_;
  std::string base_path_;  // without a trailing '/'; "" for the root
  std::shared_ptr<interactions::Service> service_;
  std::atomic<int> port_{0};
  HttpMetrics metrics_;
};

}  // namespace hestia::rest
