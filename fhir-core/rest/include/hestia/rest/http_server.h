// The HTTP server: FHIR REST over HTTP/1.1 on Pistache, plus /healthz, /readyz and /metrics.
//
// Owns: sockets, worker threads, request size limits and timeouts, content negotiation
// (Accept, _format, Content-Type), _pretty, X-Request-Id, the access log and the HTTP
// metrics. Everything under `base_path` goes to interactions::Service::Handle; every 4xx/5xx
// this layer produces itself carries an OperationOutcome. hestia_rest is the only code that
// includes <pistache/…>.
// Thread-safety: Start, port and Shutdown may be called from any thread; the service is
// called concurrently from `threads` worker threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "hestia/base/status.h"
#include "hestia/interactions/service.h"

namespace hestia::rest {

struct HttpOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0 = pick a free port (see HttpServer::port)
  int threads = 4;
  std::size_t max_request_bytes = 16 << 20;   // body; larger → 413 OperationOutcome
  std::size_t max_response_bytes = 64 << 20;  // larger → 500 OperationOutcome
  int header_timeout_ms = 10000, body_timeout_ms = 30000, keepalive_timeout_ms = 60000;
  std::string base_path = "/fhir";
  std::string public_base_url;  // "" → "http://<Host header><base_path>"
};

class HttpServer {
 public:
  // Binds host:port and starts serving on `options.threads` worker threads. Ignores SIGPIPE
  // process-wide. The server shares ownership of `service`. Fails with kInvalid for
  // unusable options and kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpOptions& options,
                                                   std::shared_ptr<interactions::Service> service);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // Shutdown()

  // The bound port (the chosen one when options.port was 0).
  int port() const;

  // Stops accepting, closes connections and joins the worker threads. Requests in progress
  // finish first. Idempotent.
  void Shutdown();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hestia::rest
