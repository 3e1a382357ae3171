// HttpServer: the Pistache endpoint and its lifetime. See hestia/rest/http_server.h.
#include "hestia/rest/http_server.h"

#include <chrono>
#include <csignal>
#include <mutex>

#include <pistache/endpoint.h>
#include <pistache/net.h>

#include "connection_handler.h"
#include "dispatcher.h"
#include "hestia/base/log.h"

namespace hestia::rest {

namespace Http = Pistache::Http;

struct HttpServer::Impl {
  std::unique_ptr<Http::Endpoint> endpoint;
  int port = 0;
  std::mutex mutex;  // serialises Shutdown
  bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Shutdown() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  try {
    impl_->endpoint->shutdown();
  } catch (const std::exception& e) {
    log::Warn("HTTP server shutdown failed", {{"error", e.what()}});
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpOptions& options, std::shared_ptr<interactions::Service> service) {
  if (service == nullptr) return InvalidError("HttpServer::Start needs a service");
  if (options.port < 0 || options.port > 65535) {
    return InvalidError("port " + std::to_string(options.port) + " is out of range");
  }
  if (options.threads < 1 || options.threads > 1024) {
    return InvalidError("threads must be between 1 and 1024");
  }
  if (options.max_request_bytes == 0 || options.max_response_bytes == 0 ||
      options.header_timeout_ms <= 0 || options.body_timeout_ms <= 0 ||
      options.keepalive_timeout_ms <= 0) {
    return InvalidError("HTTP size limits and timeouts must be positive");
  }
  // A peer that closes early must not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  auto impl = std::make_unique<Impl>();
  try {
    Pistache::Address address(options.host, Pistache::Port(static_cast<uint16_t>(options.port)));
    impl->endpoint = std::make_unique<Http::Endpoint>(address);
    // Pistache's buffer holds the whole request (head + body, chunk framing included); our
    // own checks answer 413 with an OperationOutcome before it fills up.
    std::size_t parser_limit = options.max_request_bytes + options.max_request_bytes / 8 +
                               ConnectionHandler::kMaxHeadBytes + 4096;
    auto opts = Http::Endpoint::options()
                    .threads(options.threads)
                    .threadsName("hestia-http")
                    .flags(Pistache::Tcp::Options::ReuseAddr | Pistache::Tcp::Options::NoDelay)
                    .backlog(1024)
                    .maxRequestSize(parser_limit)
                    .maxResponseSize(options.max_response_bytes + 64 * 1024)
                    .headerTimeout(std::chrono::milliseconds(options.header_timeout_ms))
                    .bodyTimeout(std::chrono::milliseconds(options.body_timeout_ms))
                    .keepaliveTimeout(std::chrono::milliseconds(options.keepalive_timeout_ms));
    impl->endpoint->init(opts);
    auto dispatcher = std::make_shared<Dispatcher>(options, std::move(service));
    auto handler = Http::make_handler<ConnectionHandler>(dispatcher);
    handler->setMaxRequestSize(parser_limit);
    handler->setMaxResponseSize(options.max_response_bytes + 64 * 1024);
    handler->setHeaderTimeout(std::chrono::milliseconds(options.header_timeout_ms));
    handler->setBodyTimeout(std::chrono::milliseconds(options.body_timeout_ms));
    impl->endpoint->setHandler(handler);
    impl->endpoint->serveThreaded();  // binds, then starts the workers
    impl->port = static_cast<uint16_t>(impl->endpoint->getPort());
    dispatcher->set_port(impl->port);
  } catch (const std::exception& e) {
    return UnavailableError("cannot serve HTTP on " + options.host + ":" +
                            std::to_string(options.port) + ": " + e.what());
  }
  log::Info("HTTP server listening", {{"host", options.host},
                                      {"port", impl->port},
                                      {"threads", options.threads},
                                      {"base_path", options.base_path}});
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace hestia::rest
